"""FrozenStudy: the stored description of a study, as storages list them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tansaku._internal.study_direction import StudyDirection


class FrozenStudy:
    """A study's name, directions and attrs, as kept by a storage."""

    __slots__ = ("study_name", "_directions", "user_attrs", "system_attrs", "_study_id")

    def __init__(
        self,
        study_name: str,
        direction: StudyDirection | None,
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        study_id: int,
        *,
        directions: Sequence[StudyDirection] | None = None,
    ) -> None:
        if (direction is None) == (directions is None):
            raise ValueError("FrozenStudy: specify exactly one of direction and directions")
        self.study_name = study_name
        self._directions = [direction] if direction is not None else list(directions or ())
        self.user_attrs = user_attrs
        self.system_attrs = system_attrs
        self._study_id = study_id

    @property
    def direction(self) -> StudyDirection:
        """The direction of a single-objective study."""
        if len(self._directions) > 1:
            raise RuntimeError(
                "FrozenStudy.direction is for single-objective studies; use directions"
            )
        return self._directions[0]

    @property
    def directions(self) -> list[StudyDirection]:
        """The directions, one per objective."""
        return list(self._directions)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenStudy):
            return NotImplemented
        return (
            self.study_name == other.study_name
            and self._directions == other._directions
            and self.user_attrs == other.user_attrs
            and self.system_attrs == other.system_attrs
            and self._study_id == other._study_id
        )

    def __hash__(self) -> int:
        return hash((self.study_name, self._study_id))

    def __repr__(self) -> str:
        return (
            f"FrozenStudy(study_name={self.study_name!r}, directions={self._directions}, "
            f"user_attrs={self.user_attrs}, system_attrs={self.system_attrs}, "
            f"study_id={self._study_id})"
        )
