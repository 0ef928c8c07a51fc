"""Copy or merge studies between storages, so that copying twice adds nothing the second time.

Every copied trial carries its origin in the system attr ``ORIGIN_KEY``: the identity of the
storage it was first written to (see ``ResolvedStorage.identity``) and its trial id there. A
trial that is itself a copy keeps the origin it has, so copying A to B and B to C, then A to C,
still gives each of A's trials once in C. A trial of the source whose origin is already in the
target study is skipped; everything else (state, values, params and their distributions,
intermediate values, user and system attrs, start and end times) is copied as it is. Trial
numbers are given afresh by the target, after the trials it has.

A study that does not exist in the target is created with the source's directions and study
attrs; one that exists is merged into when its directions are the same (its study attrs
keep their values; keys it lacks are added).

A trial copied while it was still running stays as it was copied: the copy is a snapshot, and
running the copy again does not finish it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tansaku.exceptions import CLIUsageError

if TYPE_CHECKING:
    from tansaku.cli._storage_args import ResolvedStorage
    from tansaku.storages import BaseStorage
    from tansaku.trial import FrozenTrial

ORIGIN_KEY = "tansaku:copied_from"


@dataclass(frozen=True)
class CopyResult:
    """What copying one study did."""

    source_name: str
    target_name: str
    copied: int
    already_there: int
    created_study: bool


def copy_study_trials(
    source: ResolvedStorage,
    target: ResolvedStorage,
    source_name: str,
    target_name: str,
) -> CopyResult:
    """Copy (or merge) the study ``source_name`` of ``source`` into ``target_name``.

    Raises:
        CLIUsageError: the source study is missing, the target study has other directions,
            or the copy would go into the study it reads.
    """
    if source.identity == target.identity and source_name == target_name:
        raise CLIUsageError(
            f"study {source_name!r} would be copied into itself; name another "
            "target storage or --to-study"
        )
    src = source.storage
    try:
        source_id = src.get_study_id_from_name(source_name)
    except KeyError:
        raise CLIUsageError(f"no study named {source_name!r} in the source storage") from None
    directions = src.get_study_directions(source_id)
    dst = target.storage
    target_id, created = _target_study(dst, target_name, directions)
    _merge_attrs(
        dst.get_study_user_attrs(target_id),
        src.get_study_user_attrs(source_id),
        lambda key, value: dst.set_study_user_attr(target_id, key, value),
    )
    _merge_attrs(
        dst.get_study_system_attrs(target_id),
        src.get_study_system_attrs(source_id),
        lambda key, value: dst.set_study_system_attr(target_id, key, value),
    )
    present = {
        _origin_key(trial.system_attrs[ORIGIN_KEY])
        for trial in dst.get_all_trials(target_id, deepcopy=False)
        if isinstance(trial.system_attrs.get(ORIGIN_KEY), dict)
    }
    copied = 0
    already_there = 0
    for trial in src.get_all_trials(source_id, deepcopy=False):
        origin = trial.system_attrs.get(ORIGIN_KEY)
        if not isinstance(origin, dict):
            origin = {"storage": source.identity, "trial_id": trial._trial_id}
        if _origin_key(origin) in present:
            already_there += 1
            continue
        dst.create_new_trial(target_id, template_trial=_with_origin(trial, origin))
        present.add(_origin_key(origin))
        copied += 1
    return CopyResult(source_name, target_name, copied, already_there, created)


def _target_study(storage: BaseStorage, name: str, directions: list[Any]) -> tuple[int, bool]:
    try:
        study_id = storage.get_study_id_from_name(name)
    except KeyError:
        return storage.create_new_study(directions, name), True
    existing = storage.get_study_directions(study_id)
    if list(existing) != list(directions):
        raise CLIUsageError(
            f"the target study {name!r} has directions "
            f"{[d.name for d in existing]}, the source {[d.name for d in directions]}; "
            "only studies of the same directions merge"
        )
    return study_id, False


def _merge_attrs(present: dict[str, Any], incoming: dict[str, Any], write: Any) -> None:
    for key, value in incoming.items():
        if key not in present:
            write(key, value)


def _origin_key(origin: dict[str, Any]) -> tuple[str, str]:
    return str(origin.get("storage")), str(origin.get("trial_id"))


def _with_origin(trial: FrozenTrial, origin: dict[str, Any]) -> FrozenTrial:
    from tansaku.trial import FrozenTrial

    return FrozenTrial(
        number=trial.number,
        state=trial.state,
        value=None,
        values=trial.values,
        datetime_start=trial.datetime_start,
        datetime_complete=trial.datetime_complete,
        params=trial.params,
        distributions=trial.distributions,
        user_attrs=trial.user_attrs,
        system_attrs={**trial.system_attrs, ORIGIN_KEY: origin},
        intermediate_values=trial.intermediate_values,
        trial_id=trial._trial_id,
    )
