"""StudyDirection, defined low in the tree because storages keep it too.

Public as ``tansaku.study.StudyDirection``.
"""

from __future__ import annotations

import enum


class StudyDirection(enum.IntEnum):
    """Whether an objective is minimized or maximized.

    An IntEnum as in Optuna, so ``str()`` and f-strings give what Python's IntEnum gives:
    ``"2"`` on Python 3.11 and later, ``"StudyDirection.MAXIMIZE"`` before.
    """

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2
