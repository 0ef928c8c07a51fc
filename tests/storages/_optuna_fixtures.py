"""Helpers to compare what tansaku reads from Optuna's fixtures with what Optuna read."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tansaku.distributions import distribution_to_json, json_to_distribution
from tansaku.storages import BaseStorage
from tansaku.trial import FrozenTrial

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def expected(kind: str) -> dict[str, Any]:
    """What Optuna 5.0 read back from its own fixture of ``kind`` ("rdb" or "journal")."""
    data: dict[str, Any] = json.loads((FIXTURES / "optuna_5_0_expected.json").read_text())
    return data[kind]  # type: ignore[no-any-return]


def _number(value: float) -> Any:
    if math.isnan(value) or math.isinf(value):
        return repr(value)
    return value


def dump(storage: BaseStorage, exact_times: bool = False) -> dict[str, Any]:
    """The studies of ``storage`` in the fixture script's format.

    A trial's times are whether it has them, or with ``exact_times`` the times themselves.
    """
    studies = {}
    for summary in storage.get_all_studies():
        trials = []
        for t in storage.get_all_trials(summary._study_id):
            trials.append(
                {
                    "number": t.number,
                    "state": t.state.name,
                    "values": None if t.values is None else [_number(v) for v in t.values],
                    "params": t.params,
                    # Compared as objects: the key order inside the JSON text is free.
                    "distributions": {
                        name: distribution_to_json(d) for name, d in t.distributions.items()
                    },
                    "user_attrs": t.user_attrs,
                    "system_attrs": t.system_attrs,
                    "intermediate_values": {
                        str(k): _number(v) for k, v in t.intermediate_values.items()
                    },
                    **_times(t, exact_times),
                }
            )
        studies[summary.study_name] = {
            "directions": [d.name for d in summary.directions],
            "user_attrs": summary.user_attrs,
            "system_attrs": summary.system_attrs,
            "trials": trials,
        }
    return studies


def _times(trial: FrozenTrial, exact: bool) -> dict[str, Any]:
    if not exact:
        return {
            "has_start": trial.datetime_start is not None,
            "has_complete": trial.datetime_complete is not None,
        }
    start, complete = trial.datetime_start, trial.datetime_complete
    return {
        "datetime_start": None if start is None else start.isoformat(),
        "datetime_complete": None if complete is None else complete.isoformat(),
    }


def normalize(studies: dict[str, Any]) -> dict[str, Any]:
    """Parse distribution JSON so both sides compare as values."""
    for study in studies.values():
        for trial in study["trials"]:
            trial["distributions"] = {
                name: json_to_distribution(text) for name, text in trial["distributions"].items()
            }
    return studies
