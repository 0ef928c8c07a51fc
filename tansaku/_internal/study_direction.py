"""StudyDirection, defined low in the tree because storages keep it too.

Public as ``tansaku.study.StudyDirection``.
"""

from __future__ import annotations

import enum


class StudyDirection(enum.IntEnum):
    """Whether an objective is minimized or maximized."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"<StudyDirection.{self.name}: {self.value}>"

    def __str__(self) -> str:
        return f"StudyDirection.{self.name}"
