"""Snapshots of a journal's replayed state, so that opening a long journal stays fast.

Replaying a journal costs time in proportion to its length: a 100k-trial study is about
half a million records. A worker that has replayed the log writes what it holds (the studies
and trials, as JSON, never pickle) to its backend, together with how many records that state
covers; a worker that opens the journal later loads the snapshot and replays only the records
appended after it. The result is the same as replaying the whole log: a snapshot is a cache
of the replay and is ignored (with a warning) when it does not match the log.

When: after a sync, once the records replayed since the last snapshot are at least
``max(SNAPSHOT_MIN_RECORDS, SNAPSHOT_FRACTION * records)``. Writing a snapshot costs time in
proportion to the whole state, so spacing snapshots by a fraction of the log keeps their
total cost proportional to the log, while a new reader replays at most that fraction of it.
"""

from __future__ import annotations

import abc
import datetime
import json
import warnings
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution, distribution_to_json
from tansaku.storages._in_memory import LogReplayStorage, StorageImage, StoredStudy
from tansaku.storages._stored_values import (
    SharedSpaces,
    UnreadableParamError,
    external_value,
    read_distribution,
    warn_param_left_out,
)
from tansaku.trial import FrozenTrial, TrialState

# Format 2 lists each study's distributions once; a param names its distribution by index.
# Format 3 keeps a trial's params, their distributions' indexes and its intermediate values in
# three flat objects instead of a [value, index] or [step, value] array each: a JSON object of
# plain values loads as a dict the garbage collector does not track, and an array as a list it
# does, which its full collections walk again and again while a large snapshot loads.
SNAPSHOT_FORMAT = 3
SNAPSHOT_MIN_RECORDS = 10_000
SNAPSHOT_FRACTION = 0.1


class BaseJournalSnapshot(abc.ABC):
    """A journal backend that can also keep a snapshot of the replayed state (Optuna's names).

    A backend stores with the snapshot its own read position, so that after
    :meth:`load_snapshot` reading from the snapshot's record number starts right there
    instead of at the first record.
    """

    @abc.abstractmethod
    def save_snapshot(self, snapshot: bytes) -> None:
        """Keep ``snapshot``, the state after every record this backend has read so far."""

    @abc.abstractmethod
    def load_snapshot(self) -> bytes | None:
        """The latest snapshot that matches the log, or None; moves the read position to it."""


def warn_snapshot_ignored(backend: str, where: str) -> None:
    """Report that the snapshot at ``where`` does not match the journal and is not used."""
    warnings.warn(
        f"{backend}: ignored the snapshot {where!r}, which does not match the journal; "
        "replaying the whole journal",
        RuntimeWarning,
        stacklevel=4,
    )


def snapshot_due(n_records: int, n_at_last_snapshot: int) -> bool:
    """True when enough records were replayed since the last snapshot to write a new one."""
    since = n_records - n_at_last_snapshot
    return since >= max(SNAPSHOT_MIN_RECORDS, SNAPSHOT_FRACTION * n_records)


def dump_state(
    state: LogReplayStorage, n_records: int, heartbeat_trial_ids: list[int] | None = None
) -> bytes:
    """The replayed ``state`` after ``n_records`` records, as JSON bytes.

    Args:
        state: The replayed studies and trials.
        n_records: How many records ``state`` covers.
        heartbeat_trial_ids: The running trials that have sent heartbeats.
    """
    # The image keeps the ids the replay assigned (gaps left by deleted studies included),
    # which the public storage API does not expose.
    image = state.export()
    studies = []
    for study in image.studies:
        # A study's trials share a handful of distribution objects (replay parses each text
        # once): each is written once, and params name it by its index in the list.
        indexes: dict[int, int] = {}
        texts: list[str] = []
        trials = [
            _trial_to_json(trial, trial_id, indexes, texts)
            for trial, trial_id in zip(study.trials, study.trial_ids)
        ]
        studies.append(
            {
                "id": study.study_id,
                "name": study.name,
                "directions": [int(d) for d in study.directions],
                "user_attrs": study.user_attrs,
                "system_attrs": study.system_attrs,
                "distributions": texts,
                "trials": trials,
            }
        )
    document = {
        "format": SNAPSHOT_FORMAT,
        "n_records": n_records,
        "next_study_id": image.next_study_id,
        "next_trial_id": image.next_trial_id,
        "studies": studies,
        "heartbeat_trial_ids": heartbeat_trial_ids or [],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def load_state(snapshot: bytes) -> tuple[LogReplayStorage, int, list[int]]:
    """The state, record count and heartbeat trial ids that :func:`dump_state` wrote.

    Raises:
        ValueError: ``snapshot`` is not a snapshot of this format.
    """
    document = json.loads(snapshot)
    if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"not a tansaku journal snapshot of format {SNAPSHOT_FORMAT}")
    # Cache: distributions by text, for this load only: each text is parsed once.
    known: dict[str, BaseDistribution] = {}
    # Finished trials share one distributions dict per space (see SharedSpaces).
    spaces = SharedSpaces()
    studies = []
    for study in document["studies"]:
        distributions = [_parse_distribution(text, known) for text in study["distributions"]]
        studies.append(
            StoredStudy(
                study_id=study["id"],
                name=study["name"],
                directions=[StudyDirection(d) for d in study["directions"]],
                user_attrs=study["user_attrs"],
                system_attrs=study["system_attrs"],
                trials=[
                    _shared(_trial_from_json(trial_json, number, distributions), spaces)
                    for number, trial_json in enumerate(study["trials"])
                ],
                trial_ids=[trial_json["id"] for trial_json in study["trials"]],
            )
        )
    state = LogReplayStorage.from_image(
        StorageImage(studies, document["next_study_id"], document["next_trial_id"])
    )
    return state, int(document["n_records"]), list(document.get("heartbeat_trial_ids", []))


def _shared(trial: FrozenTrial, spaces: SharedSpaces) -> FrozenTrial:
    """``trial``, with its distributions dict shared with its space's if it has finished."""
    if trial.state.is_finished():
        trial.distributions = spaces.share(trial.distributions)
    return trial


def _time_to_json(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time_from_json(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


def _distribution_index(
    distribution: BaseDistribution, indexes: dict[int, int], texts: list[str]
) -> int:
    # Keyed by identity: every distribution is alive (held by a trial) while the dump runs.
    index = indexes.get(id(distribution))
    if index is None:
        index = indexes[id(distribution)] = len(texts)
        texts.append(distribution_to_json(distribution))
    return index


def _trial_to_json(
    trial: FrozenTrial, trial_id: int, indexes: dict[int, int], texts: list[str]
) -> dict[str, Any]:
    return {
        "id": trial_id,
        "state": int(trial.state),
        "values": trial.values,
        "start": _time_to_json(trial.datetime_start),
        "complete": _time_to_json(trial.datetime_complete),
        "params": {
            name: distribution.to_internal_repr(trial.params[name])
            for name, distribution in trial.distributions.items()
        },
        "distributions": {
            name: _distribution_index(distribution, indexes, texts)
            for name, distribution in trial.distributions.items()
        },
        "user_attrs": trial.user_attrs,
        "system_attrs": trial.system_attrs,
        # JSON object keys are text; steps go back to int on load.
        "intermediate": {str(step): value for step, value in trial.intermediate_values.items()},
    }


def _parse_distribution(
    text: str, known: dict[str, BaseDistribution]
) -> BaseDistribution | UnreadableParamError:
    try:
        return read_distribution(text, known)
    except UnreadableParamError as error:
        return error  # reported for each trial that holds it


def _trial_from_json(
    data: dict[str, Any], number: int, distributions: list[BaseDistribution | UnreadableParamError]
) -> FrozenTrial:
    params = {}
    trial_distributions = {}
    indexes = data["distributions"]
    for name, internal in data["params"].items():
        distribution = distributions[indexes[name]]
        try:
            if isinstance(distribution, UnreadableParamError):
                raise distribution
            params[name] = external_value(distribution, internal)
        except UnreadableParamError as error:
            warn_param_left_out(number, name, error)
            continue
        trial_distributions[name] = distribution
    return FrozenTrial(
        number=number,
        state=TrialState(data["state"]),
        value=None,
        values=data["values"],
        datetime_start=_time_from_json(data["start"]),
        datetime_complete=_time_from_json(data["complete"]),
        params=params,
        distributions=trial_distributions,
        user_attrs=data["user_attrs"],
        system_attrs=data["system_attrs"],
        intermediate_values={int(step): value for step, value in data["intermediate"].items()},
        trial_id=data["id"],
    )
