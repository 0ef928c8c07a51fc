"""Module-level study functions: create, load, delete, copy and list studies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from tansaku import logging as tansaku_logging
from tansaku._internal.study_direction import StudyDirection
from tansaku.exceptions import DuplicatedStudyError
from tansaku.pruners import BasePruner
from tansaku.samplers import BaseSampler
from tansaku.storages import BaseStorage, get_storage
from tansaku.study._study import Study
from tansaku.study._summary import StudySummary

_logger = tansaku_logging.get_logger(__name__)

DirectionLike = Literal["minimize", "maximize"] | StudyDirection


def _to_directions(
    direction: DirectionLike | None, directions: Sequence[DirectionLike] | None
) -> list[StudyDirection]:
    if direction is not None and directions is not None:
        raise ValueError("create_study: specify only one of direction and directions")
    if direction is not None:
        if isinstance(direction, Sequence) and not isinstance(direction, str):
            raise ValueError(
                f"create_study: direction={direction!r} must be one direction; use directions "
                "for several objectives"
            )
        directions = [direction]
    elif directions is None:
        directions = ["minimize"]
    elif isinstance(directions, str):
        # ValueError, as Optuna (which reads the str as a list of letters).
        raise ValueError(
            f"create_study: directions={directions!r} must be a list of directions; use "
            "direction for one objective"
        )
    else:
        directions = list(directions)  # TypeError when it is not iterable, as Optuna's
    if len(directions) == 0:
        raise ValueError("create_study: directions must hold at least one direction")
    result: list[StudyDirection] = []
    for d in directions:
        if d in (StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE):
            result.append(StudyDirection(d))
        elif d in ("minimize", "maximize"):
            result.append(StudyDirection[d.upper()])
        else:
            raise ValueError(
                f"create_study: direction={d!r} must be 'minimize' or 'maximize' "
                "(or a StudyDirection)"
            )
    return result


def create_study(
    *,
    storage: str | BaseStorage | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: DirectionLike | None = None,
    load_if_exists: bool = False,
    directions: Sequence[DirectionLike] | None = None,
) -> Study:
    """Create a study (or, with ``load_if_exists``, load the one of that name).

    Example:
        >>> study = tansaku.create_study(direction="maximize", storage="sqlite:///study.db")
        >>> study.optimize(objective, n_trials=100)

    Args:
        storage: None for in-memory, a database URL, or a storage object.
        sampler: The sampler; by default chosen for the number of objectives.
        pruner: The pruner; ``MedianPruner()`` by default.
        study_name: A name to load the study by later; generated when None.
        direction: "minimize" (default) or "maximize", for one objective.
        load_if_exists: Load the study named ``study_name`` if it exists instead of failing.
        directions: One direction per objective, for several objectives.

    Raises:
        DuplicatedStudyError: ``study_name`` exists and ``load_if_exists`` is False.
        ValueError: a direction is not "minimize" or "maximize", or both ``direction`` and
            ``directions`` are given.
    """
    study_directions = _to_directions(direction, directions)
    backend = get_storage(storage)
    try:
        study_id = backend.create_new_study(study_directions, study_name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"create_study: a study named {study_name!r} already exists; pass "
                "load_if_exists=True to continue it"
            ) from None
        assert study_name is not None
        existing = backend.get_study_directions(backend.get_study_id_from_name(study_name))
        if existing != study_directions and (direction is not None or directions is not None):
            raise ValueError(
                f"create_study: study {study_name!r} exists with directions {existing}, "
                f"not {study_directions}"
            ) from None
        _logger.info(f"Using an existing study with name {study_name!r} instead of creating one.")
        study_id = backend.get_study_id_from_name(study_name)
    name = backend.get_study_name_from_id(study_id)
    return Study(study_name=name, storage=backend, sampler=sampler, pruner=pruner)


def load_study(
    *,
    study_name: str | None,
    storage: str | BaseStorage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Load an existing study; with ``study_name=None`` the storage's only study.

    Raises:
        KeyError: no study of that name exists.
        ValueError: ``study_name`` is None and the storage does not hold exactly one study.
    """
    backend = get_storage(storage)
    if study_name is None:
        names = get_all_study_names(backend)
        if len(names) != 1:
            raise ValueError(
                f"load_study: study_name=None needs a storage with exactly one study; "
                f"this one has {len(names)}: {names[:10]}"
            )
        study_name = names[0]
    return Study(study_name=study_name, storage=backend, sampler=sampler, pruner=pruner)


def delete_study(*, study_name: str, storage: str | BaseStorage) -> None:
    """Delete a study and all its trials.

    Raises:
        KeyError: no study of that name exists.
    """
    backend = get_storage(storage)
    backend.delete_study(backend.get_study_id_from_name(study_name))


def copy_study(
    *,
    from_study_name: str,
    from_storage: str | BaseStorage,
    to_storage: str | BaseStorage,
    to_study_name: str | None = None,
) -> None:
    """Copy a study, with its attrs and every trial, into another storage (or under a new name).

    Raises:
        KeyError: the source study does not exist.
        DuplicatedStudyError: the target name exists already in ``to_storage``.
    """
    source = get_storage(from_storage)
    source_id = source.get_study_id_from_name(from_study_name)
    target = get_storage(to_storage)
    target_id = target.create_new_study(
        source.get_study_directions(source_id), to_study_name or from_study_name
    )
    for key, value in source.get_study_system_attrs(source_id).items():
        target.set_study_system_attr(target_id, key, value)
    for key, value in source.get_study_user_attrs(source_id).items():
        target.set_study_user_attr(target_id, key, value)
    for trial in source.get_all_trials(source_id, deepcopy=False):
        target.create_new_trial(target_id, template_trial=trial)


def get_all_study_names(storage: str | BaseStorage) -> list[str]:
    """Return the names of every study in ``storage``."""
    return [study.study_name for study in get_storage(storage).get_all_studies()]


def get_all_study_summaries(
    storage: str | BaseStorage, include_best_trial: bool = True
) -> list[StudySummary]:
    """Summarize every study of ``storage``: name, directions, trial count, best trial."""
    backend = get_storage(storage)
    summaries = []
    for study in backend.get_all_studies():
        study_id = study._study_id
        trials = backend.get_all_trials(study_id, deepcopy=False)
        best = None
        if include_best_trial and len(study.directions) == 1:
            try:
                best = backend.get_best_trial(study_id)
            except ValueError:
                best = None
        starts = [t.datetime_start for t in trials if t.datetime_start is not None]
        summary = StudySummary(
            study_name=study.study_name,
            direction=None,
            directions=study.directions,
            best_trial=best,
            user_attrs=study.user_attrs,
            n_trials=len(trials),
            datetime_start=min(starts) if starts else None,
            study_id=study_id,
        )
        summary.system_attrs = study.system_attrs
        summaries.append(summary)
    return summaries
