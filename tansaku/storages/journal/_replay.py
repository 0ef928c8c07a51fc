"""Replaying journal records into an in-memory state: the meaning of each operation.

Record layout and operation codes are Optuna's, so a journal written by either replays in both.
A record that is rejected (an update of a finished trial, a duplicated study name) changes
nothing; its error goes back to the worker that wrote it, and every other reader skips it alike.

A record that no writer writes (not an object, an unknown op code, a field missing or of the
wrong type: a corrupted or hand-edited journal) is malformed: :func:`malformed` says why, and
the storage skips it with a warning instead of failing to open the journal.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution
from tansaku.storages._in_memory import LogReplayStorage
from tansaku.storages._stored_values import (
    UnreadableParamError,
    external_value,
    read_distribution,
    warn_param_left_out,
)
from tansaku.storages.journal._heartbeats import (
    HEARTBEAT_KEY,
    HeartbeatLedger,
    is_heartbeat_record,
    written_time,
)
from tansaku.trial import FrozenTrial, TrialState


class OpCode:
    """The operation codes of journal records (Optuna's numbering)."""

    CREATE_STUDY = 0
    DELETE_STUDY = 1
    SET_STUDY_USER_ATTR = 2
    SET_STUDY_SYSTEM_ATTR = 3
    CREATE_TRIAL = 4
    SET_TRIAL_PARAM = 5
    SET_TRIAL_STATE_VALUES = 6
    SET_TRIAL_INTERMEDIATE_VALUE = 7
    SET_TRIAL_USER_ATTR = 8
    SET_TRIAL_SYSTEM_ATTR = 9


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_number_or_none(value: Any) -> bool:
    return value is None or _is_number(value)


def _is_str_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_numbers_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(map(_is_number, value)))


def _is_state(value: Any) -> bool:
    return _is_int(value) and value in _STATES


def _is_directions(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(_is_int(d) and d in _DIRECTIONS for d in value)
    )


def _is_texts(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(text, str) for text in value.values())


def _is_numbers_by_name(value: Any) -> bool:
    return isinstance(value, dict) and all(map(_is_number, value.values()))


def _is_values_by_step(value: Any) -> bool:
    return isinstance(value, dict) and all(
        _is_step_text(step) and _is_number_or_none(v) for step, v in value.items()
    )


def _is_step_text(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


_STATES = frozenset(state.value for state in TrialState)
_DIRECTIONS = frozenset(direction.value for direction in StudyDirection)
_Check = Callable[[Any], bool]
# What each kind of record must hold: field -> check of its value.
_REQUIRED: dict[int, dict[str, _Check]] = {
    OpCode.CREATE_STUDY: {"study_name": _is_str, "directions": _is_directions},
    OpCode.DELETE_STUDY: {"study_id": _is_int},
    OpCode.SET_STUDY_USER_ATTR: {"study_id": _is_int, "user_attr": _is_dict},
    OpCode.SET_STUDY_SYSTEM_ATTR: {"study_id": _is_int, "system_attr": _is_dict},
    OpCode.CREATE_TRIAL: {"study_id": _is_int},
    OpCode.SET_TRIAL_PARAM: {
        "trial_id": _is_int,
        "param_name": _is_str,
        "param_value_internal": _is_number,
        "distribution": _is_str,
    },
    OpCode.SET_TRIAL_STATE_VALUES: {"trial_id": _is_int, "state": _is_state},
    OpCode.SET_TRIAL_INTERMEDIATE_VALUE: {
        "trial_id": _is_int,
        "step": _is_int,
        "intermediate_value": _is_number_or_none,
    },
    OpCode.SET_TRIAL_USER_ATTR: {"trial_id": _is_int, "user_attr": _is_dict},
    OpCode.SET_TRIAL_SYSTEM_ATTR: {"trial_id": _is_int, "system_attr": _is_dict},
}
# Fields a record may leave out (or hold null), checked when present.
_OPTIONAL: dict[int, dict[str, _Check]] = {
    OpCode.CREATE_TRIAL: {"datetime_start": _is_str_or_none, "datetime_complete": _is_str_or_none},
    OpCode.SET_TRIAL_STATE_VALUES: {
        "values": _is_numbers_or_none,
        "datetime_start": _is_str_or_none,
        "datetime_complete": _is_str_or_none,
    },
}
# A trial created whole (from a template: a record with a "state") holds these too.
_TEMPLATE_REQUIRED: dict[str, _Check] = {
    "state": _is_state,
    "distributions": _is_texts,
    "params": _is_numbers_by_name,
    "user_attrs": _is_dict,
    "system_attrs": _is_dict,
    "intermediate_values": _is_values_by_step,
}
_TEMPLATE_OPTIONAL: dict[str, _Check] = {
    "values": _is_numbers_or_none,
    "value": _is_number_or_none,
}


def malformed(record: Any) -> str | None:
    """Why ``record`` is not a journal record any writer writes, or None when it is one.

    Checks the shape only (an object, a known op code, the fields of its operation with
    values of the right types); whether the operation applies (the trial exists and is not
    finished...) is for :meth:`JournalReplay.apply` to find out.
    """
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not an object"
    op = record.get("op_code")
    if not _is_int(op) or op not in _REQUIRED:
        return f"op_code={op!r} is not one of 0 to {len(_REQUIRED) - 1}"
    required = _REQUIRED[op]
    optional = _OPTIONAL.get(op, {})
    if op == OpCode.CREATE_TRIAL and "state" in record:
        required = {**required, **_TEMPLATE_REQUIRED}
        optional = {**optional, **_TEMPLATE_OPTIONAL}
    for name, check in required.items():
        if name not in record:
            return f"op_code {op} without its field {name!r}"
        if not check(record[name]):
            return f"op_code {op} with {name}={record[name]!r:.60}"
    for name, check in optional.items():
        if name in record and not check(record[name]):
            return f"op_code {op} with {name}={record[name]!r:.60}"
    return None


def now_text() -> str:
    """Now, as the UTC ISO text the records carry."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def parse_time(text: str | None) -> datetime.datetime | None:
    """A record's time as a naive local datetime, like the other storages hand out."""
    if text is None:
        return None
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone().replace(tzinfo=None)
    return moment


def utc_text(moment: datetime.datetime) -> str:
    """``moment`` (naive means local time) as the UTC ISO text the records carry."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(datetime.timezone.utc).isoformat()


class JournalReplay:
    """The state that a journal's records build, applied one record at a time.

    Attributes:
        state: The studies and trials replayed so far.
        heartbeats: When this process saw each running trial's latest heartbeat.
    """

    def __init__(self, state: LogReplayStorage | None = None) -> None:
        self.state = state if state is not None else LogReplayStorage()
        self.heartbeats = HeartbeatLedger()
        # Cache: distributions by the JSON text the records hold, each parsed once. Dropped
        # with the replay; a study has a handful, each SET_TRIAL_PARAM record repeats one.
        # Buys the parse (~7 us, json.loads and the constructor's checks) of every param
        # record after the first of its kind.
        self._distributions: dict[str, BaseDistribution] = {}

    def apply(self, record: dict[str, Any]) -> Any:
        """Apply one record to the state; return its result or raise why it was rejected."""
        state = self.state
        op = record["op_code"]
        if op == OpCode.CREATE_STUDY:
            return state.create_new_study(
                [StudyDirection(d) for d in record["directions"]], record["study_name"]
            )
        if op == OpCode.DELETE_STUDY:
            return state.delete_study(record["study_id"])
        if op == OpCode.SET_STUDY_USER_ATTR:
            for key, value in record["user_attr"].items():
                state.set_study_user_attr(record["study_id"], key, value)
            return None
        if op == OpCode.SET_STUDY_SYSTEM_ATTR:
            for key, value in record["system_attr"].items():
                state.set_study_system_attr(record["study_id"], key, value)
            return None
        if op == OpCode.CREATE_TRIAL:
            return self._create_trial(record)
        trial_id = record["trial_id"]
        if op == OpCode.SET_TRIAL_PARAM:
            return self._set_trial_param(record)
        if op == OpCode.SET_TRIAL_STATE_VALUES:
            new_state = TrialState(record["state"])
            changed = state.set_trial_state_values_at(
                trial_id,
                new_state,
                record.get("values"),
                parse_time(record.get("datetime_start")),
                parse_time(record.get("datetime_complete")),
            )
            if changed:
                if new_state.is_finished():
                    self.heartbeats.forget(trial_id)
                elif new_state is TrialState.RUNNING:
                    self._first_heartbeat(trial_id, record)
            return changed
        if op == OpCode.SET_TRIAL_INTERMEDIATE_VALUE:
            return state.set_trial_intermediate_value(
                trial_id, record["step"], record["intermediate_value"]
            )
        if op == OpCode.SET_TRIAL_USER_ATTR:
            for key, value in record["user_attr"].items():
                state.set_trial_user_attr(trial_id, key, value)
            return None
        if op == OpCode.SET_TRIAL_SYSTEM_ATTR:
            if is_heartbeat_record(record["system_attr"]):
                # Late beats of a finished (or deleted) trial are harmless: ignore them.
                if state.trial_state(trial_id) is TrialState.RUNNING:
                    self.heartbeats.saw(
                        trial_id, written_time(record["system_attr"][HEARTBEAT_KEY])
                    )
                return None
            for key, value in record["system_attr"].items():
                state.set_trial_system_attr(trial_id, key, value)
            return None
        raise ValueError(f"unknown journal op_code {op!r}")

    def _first_heartbeat(self, trial_id: int, record: dict[str, Any]) -> None:
        """Count the heartbeat that a record starting a RUNNING trial carries, if any."""
        if HEARTBEAT_KEY in record:
            self.heartbeats.saw(trial_id, written_time(record[HEARTBEAT_KEY]))

    def _set_trial_param(self, record: dict[str, Any]) -> None:
        trial_id, name = record["trial_id"], record["param_name"]
        internal = record["param_value_internal"]
        try:
            distribution = read_distribution(record["distribution"], self._distributions)
            external_value(distribution, internal)
        except UnreadableParamError as error:
            # tansaku checks both before it writes them: another program wrote this record.
            # The param is left out; the rest of the trial and of the journal is replayed.
            trial_state = self.state.trial_state(trial_id)
            if trial_state is not None and not trial_state.is_finished():
                warn_param_left_out(self.state.get_trial_number_from_id(trial_id), name, error)
            return
        self.state.set_trial_param(trial_id, name, internal, distribution)

    def _create_trial(self, record: dict[str, Any]) -> int:
        study_id = record["study_id"]
        if "state" not in record:
            started = FrozenTrial(
                -1,
                TrialState.RUNNING,
                None,
                parse_time(record.get("datetime_start")),
                None,
                {},
                {},
                {},
                {},
                {},
                -1,
            )
            trial_id = self.state.adopt_trial(study_id, started)
            self._first_heartbeat(trial_id, record)
            return trial_id
        params, distributions = self._template_params(record)
        values = record.get("values")
        if values is None and record.get("value") is not None:
            values = [record["value"]]
        trial = FrozenTrial(
            number=-1,
            state=TrialState(record["state"]),
            value=None,
            values=values,
            datetime_start=parse_time(record.get("datetime_start")),
            datetime_complete=parse_time(record.get("datetime_complete")),
            params=params,
            distributions=distributions,
            user_attrs=record["user_attrs"],
            system_attrs=record["system_attrs"],
            intermediate_values={int(k): v for k, v in record["intermediate_values"].items()},
            trial_id=-1,
        )
        return self.state.adopt_trial(study_id, trial)

    def _template_params(
        self, record: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, BaseDistribution]]:
        """The params and distributions of a CREATE_TRIAL record that copies a trial."""
        params: dict[str, Any] = {}
        distributions: dict[str, BaseDistribution] = {}
        for name, internal in record["params"].items():
            try:
                distribution = read_distribution(
                    record["distributions"][name], self._distributions
                )
                params[name] = external_value(distribution, internal)
            except (UnreadableParamError, KeyError) as error:
                number = self.state.get_n_trials(record["study_id"])  # the number it will get
                warn_param_left_out(number, name, error)
                continue
            distributions[name] = distribution
        return params, distributions
