"""What goes over the wire between the proxy and its clients: JSON, never pickle.

Requests and responses are JSON objects encoded as UTF-8 bytes. Trials travel with their params
in the internal (float) representation and each distinct distribution once per message, as
its JSON text, so a large ``get_all_trials`` answer does not repeat them. Exceptions raised by
the proxied storage travel by type name and arguments and are raised again on the client as
the same type with the same message; only the types below are rebuilt, never arbitrary names.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from typing import Any

from tansaku._internal.study_direction import StudyDirection
from tansaku.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from tansaku.exceptions import (
    DuplicatedStudyError,
    StorageInternalError,
    TansakuError,
    UpdateFinishedTrialError,
)
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.trial import FrozenTrial, TrialState

# System attrs the proxy writes so that a retried call can find what its first attempt did
# (see _server.py). Clients never show them: ``decode_trial`` and ``strip_markers`` drop them.
MARKER_PREFIX = "tansaku.grpc."
CREATED_BY = MARKER_PREFIX + "created_by"  # trial and study: the request that created it
CLAIMED_BY = MARKER_PREFIX + "claimed_by"  # trial: the request that moved it WAITING -> RUNNING

# Exception types rebuilt on the client, by name. A storage's exception of another type is
# mapped to the nearest of these in its MRO (e.g. json.JSONDecodeError -> ValueError), or to
# StorageInternalError naming the original type.
_ERRORS: dict[str, type[BaseException]] = {
    cls.__name__: cls
    for cls in (
        KeyError,
        ValueError,
        TypeError,
        IndexError,
        RuntimeError,
        NotImplementedError,
        DuplicatedStudyError,
        UpdateFinishedTrialError,
        StorageInternalError,
        TansakuError,
    )
}


def dumps(document: Any) -> bytes:
    # NaN and infinities (intermediate values, attrs) are written as Python's json writes them.
    return json.dumps(document, separators=(",", ":")).encode()


def loads(payload: bytes) -> Any:
    return json.loads(payload)


# -- errors -------------------------------------------------------------------------------------


def encode_error(error: BaseException) -> list[Any]:
    """``[type name, args]`` of an exception raised by the proxied storage."""
    for cls in type(error).__mro__:
        if _ERRORS.get(cls.__name__) is cls:
            args = list(error.args)
            try:
                json.dumps(args)
            except (TypeError, ValueError):
                args = [str(error)]
            return [cls.__name__, args]
    return [StorageInternalError.__name__, [f"{type(error).__name__}: {error}"]]


def decode_error(encoded: list[Any]) -> BaseException:
    """The exception to raise on the client for an ``encode_error`` answer."""
    name, args = encoded
    cls = _ERRORS.get(name, StorageInternalError)
    return cls(*args)


# -- trials and studies -------------------------------------------------------------------------


def _time_to_json(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time_from_json(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


class TrialWriter:
    """Encodes trials, collecting each distinct distribution once for the message."""

    def __init__(self) -> None:
        self.distributions: list[str] = []
        self._indexes: dict[str, int] = {}

    def _index(self, distribution: BaseDistribution) -> int:
        text = distribution_to_json(distribution)
        index = self._indexes.get(text)
        if index is None:
            index = self._indexes[text] = len(self.distributions)
            self.distributions.append(text)
        return index

    def trial(self, trial: FrozenTrial) -> dict[str, Any]:
        return {
            "id": trial._trial_id,
            "number": trial.number,
            "state": int(trial.state),
            "values": trial.values,
            "start": _time_to_json(trial.datetime_start),
            "complete": _time_to_json(trial.datetime_complete),
            "params": {
                name: [dist.to_internal_repr(trial.params[name]), self._index(dist)]
                for name, dist in trial.distributions.items()
            },
            "user_attrs": trial.user_attrs,
            "system_attrs": trial.system_attrs,
            # JSON object keys are text: steps travel as pairs to stay ints.
            "intermediate": [[step, value] for step, value in trial.intermediate_values.items()],
        }


def encode_trials(trials: Iterable[FrozenTrial]) -> dict[str, Any]:
    """A message holding ``trials`` and the distributions they use."""
    writer = TrialWriter()
    encoded = [writer.trial(trial) for trial in trials]
    return {"distributions": writer.distributions, "trials": encoded}


class DistributionParser:
    """Parses distribution texts, each distinct one once (they are immutable and shareable)."""

    _KEEP = 10_000  # a study has a handful; the bound only guards against a pathological one

    def __init__(self) -> None:
        self._known: dict[str, BaseDistribution] = {}

    def parse(self, text: str) -> BaseDistribution:
        distribution = self._known.get(text)
        if distribution is None:
            if len(self._known) >= self._KEEP:
                self._known.clear()
            distribution = self._known[text] = json_to_distribution(text)
        return distribution


def decode_trials(message: dict[str, Any], parser: DistributionParser) -> list[FrozenTrial]:
    """The trials of an ``encode_trials`` message, without the proxy's markers."""
    distributions = [parser.parse(text) for text in message["distributions"]]
    return [decode_trial(data, distributions) for data in message["trials"]]


def decode_trial(data: dict[str, Any], distributions: list[BaseDistribution]) -> FrozenTrial:
    params = {}
    trial_distributions = {}
    for name, (internal, index) in data["params"].items():
        distribution = distributions[index]
        trial_distributions[name] = distribution
        params[name] = distribution.to_external_repr(internal)
    return FrozenTrial(
        number=data["number"],
        state=TrialState(data["state"]),
        value=None,
        values=data["values"],
        datetime_start=_time_from_json(data["start"]),
        datetime_complete=_time_from_json(data["complete"]),
        params=params,
        distributions=trial_distributions,
        user_attrs=data["user_attrs"],
        system_attrs=strip_markers(data["system_attrs"]),
        intermediate_values={int(step): value for step, value in data["intermediate"]},
        trial_id=data["id"],
    )


def strip_markers(system_attrs: dict[str, Any]) -> dict[str, Any]:
    """``system_attrs`` without the proxy's own keys (a copy only when there are some)."""
    if not any(key.startswith(MARKER_PREFIX) for key in system_attrs):
        return system_attrs
    return {k: v for k, v in system_attrs.items() if not k.startswith(MARKER_PREFIX)}


def encode_study(study: FrozenStudy) -> dict[str, Any]:
    return {
        "name": study.study_name,
        "directions": [int(d) for d in study.directions],
        "user_attrs": study.user_attrs,
        "system_attrs": study.system_attrs,
        "id": study._study_id,
    }


def decode_study(data: dict[str, Any]) -> FrozenStudy:
    return FrozenStudy(
        study_name=data["name"],
        direction=None,
        user_attrs=data["user_attrs"],
        system_attrs=strip_markers(data["system_attrs"]),
        study_id=data["id"],
        directions=[StudyDirection(d) for d in data["directions"]],
    )
