"""validate_top_trials re-runs the best trials' params with several seeds and ranks them."""

from __future__ import annotations

import math
import sys
from typing import Any

import pandas as pd
import pytest

import tansaku
from tansaku.trial import FixedTrial
from tansaku.validation import validate_top_trials


def _noisy(trial: Any, seed: int = 0) -> float:
    """x, plus a seed effect that is large for x >= 4 (those configurations are fragile)."""
    x = trial.suggest_int("x", 0, 9)
    return float(x) + (10.0 * seed if x >= 4 else 0.1 * seed)


def _study(direction: str = "minimize") -> tansaku.Study:
    study = tansaku.create_study(direction=direction)
    for x in [5, 2, 4, 7, 3]:
        study.enqueue_trial({"x": x})
    study.optimize(_noisy, n_trials=5)
    return study


def test_top_trials_are_rerun_per_seed_and_ranked_by_mean() -> None:
    calls: list[tuple[int, int, int]] = []

    def objective(trial: FixedTrial, seed: int) -> float:
        value = _noisy(trial, seed)
        calls.append((trial.number, trial.params["x"], seed))
        return value

    table = validate_top_trials(_study(), objective, top_k=3, seeds=[0, 1])
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["number", "params", "value", "values", "mean", "std"]
    # The study's top 3 are x=2, 3, 4 (trials 1, 4, 2); x=4 loses over the seeds.
    assert list(table["number"]) == [1, 4, 2]
    assert list(table["params"]) == [{"x": 2}, {"x": 3}, {"x": 4}]
    assert list(table["value"]) == [2.0, 3.0, 4.0]
    assert list(table["values"]) == [[2.0, 2.1], [3.0, 3.1], [4.0, 14.0]]
    assert table["mean"].tolist() == pytest.approx([2.05, 3.05, 9.0])
    assert table["std"].tolist() == pytest.approx(
        [0.1 / math.sqrt(2), 0.1 / math.sqrt(2), 10 / math.sqrt(2)]
    )
    assert sorted(calls) == [(n, x, s) for n, x in [(1, 2), (2, 4), (4, 3)] for s in (0, 1)]


def test_maximizing_ranks_the_highest_mean_first() -> None:
    table = validate_top_trials(_study("maximize"), _noisy, top_k=2, seeds=range(3))
    # The study's top 2 are x=7 (trial 3) and x=5 (trial 0); both gain 10 per seed.
    assert list(table["number"]) == [3, 0]
    assert table["mean"].tolist() == [17.0, 15.0]


def test_fewer_trials_than_top_k_and_a_single_seed() -> None:
    table = validate_top_trials(_study(), _noisy, top_k=50, seeds=[0])
    assert len(table) == 5
    assert table["std"].isna().all()


def test_without_pandas_the_result_is_a_list_of_dicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setattr("tansaku.validation.find_spec", lambda name: None)
    rows = validate_top_trials(_study(), _noisy, top_k=1, seeds=[0, 1])
    assert rows == [
        {
            "number": 1,
            "params": {"x": 2},
            "value": 2.0,
            "values": [2.0, 2.1],
            "mean": pytest.approx(2.05),
            "std": pytest.approx(0.1 / math.sqrt(2)),
        }
    ]


def test_pruned_failed_and_infeasible_trials_are_left_out() -> None:
    def constraints(trial: tansaku.trial.FrozenTrial) -> list[float]:
        return [1.0 if trial.params["x"] == 0 else -1.0]

    study = tansaku.create_study(
        sampler=tansaku.samplers.TPESampler(seed=0, constraints_func=constraints)
    )
    for x in [0, 1, 2, 3]:
        study.enqueue_trial({"x": x})

    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_int("x", 0, 9)
        if x == 1:
            raise tansaku.TrialPruned()
        if x == 2:
            return math.nan  # fails
        return float(x)

    study.optimize(objective, n_trials=4)
    table = validate_top_trials(study, lambda t, s: float(t.suggest_int("x", 0, 9)), seeds=[0])
    assert list(table["params"]) == [{"x": 3}]


def test_several_objectives_are_refused() -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"])
    study.optimize(lambda t: (1.0, 2.0), n_trials=1)
    with pytest.raises(ValueError, match="study=.* must have one objective; it has 2"):
        validate_top_trials(study, lambda t, s: 1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"top_k": 0}, ValueError, "top_k=0 must be an int >= 1"),
        ({"seeds": []}, ValueError, r"seeds=\[\] must hold at least one seed"),
        ({"objective": _noisy.__call__}, None, None),
        ({"objective": lambda trial: 1.0}, TypeError, r"objective must be callable as"),
        ({"objective": 3}, TypeError, "objective must be callable"),
        ({"objective": lambda t, s: "bad"}, TypeError, "objective returned 'bad'"),
        ({"study": "my-study"}, TypeError, "study must be a Study"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], error: Any, message: Any) -> None:
    arguments: dict[str, Any] = {"study": _study(), "objective": _noisy, **kwargs}
    if error is None:
        validate_top_trials(**arguments)
        return
    with pytest.raises(error, match=r"validate_top_trials\(\): " + message):
        validate_top_trials(**arguments)


def test_a_study_without_completed_trials_is_refused() -> None:
    with pytest.raises(ValueError, match="has no completed"):
        validate_top_trials(tansaku.create_study(), _noisy)


def test_tansaku_validation_is_reachable_from_the_package() -> None:
    assert tansaku.validation.validate_top_trials is validate_top_trials
