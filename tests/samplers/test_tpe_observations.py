"""The incremental history: arrays of finished trials, and estimators built from them fast."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.samplers._tpe._encoding import SpaceEncoding, transform
from tansaku.samplers._tpe._history import TrialHistory
from tansaku.samplers._tpe._observations import EncodedObservations
from tansaku.samplers._tpe._scoring import Workspace, log_pdfs
from tansaku.samplers._tpe.parzen_estimator import ParzenEstimator, ParzenOptions
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, TrialState, create_trial

SPACE = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-5, 1.0, log=True),
    "n": IntDistribution(1, 8),
    "c": CategoricalDistribution(["a", "b", "c"]),
}


def _trial(number: int, rng: np.random.Generator, **kwargs: object) -> FrozenTrial:
    params = {
        "x": float(rng.uniform(-5, 5)),
        "lr": float(10 ** rng.uniform(-5, 0)),
        "n": int(rng.integers(1, 9)),
        "c": str(rng.choice(["a", "b", "c"])),
    }
    trial = create_trial(
        value=kwargs.pop("value", float(rng.normal())),  # type: ignore[arg-type]
        params=params,
        distributions=dict(SPACE),
        **kwargs,  # type: ignore[arg-type]
    )
    trial.number = number
    return trial


def test_history_keeps_losses_with_maximized_objectives_negated() -> None:
    history = TrialHistory([StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE], False)
    trial = create_trial(values=[1.0, 2.0])
    history.append(trial)
    np.testing.assert_array_equal(history.loss, [[1.0, -2.0]])


def test_history_keeps_a_pruned_trials_last_step_and_value() -> None:
    history = TrialHistory([StudyDirection.MAXIMIZE], False)
    history.append(
        create_trial(state=TrialState.PRUNED, intermediate_values={0: 1.0, 4: 3.0, 2: 5.0})
    )
    history.append(create_trial(state=TrialState.PRUNED))
    np.testing.assert_array_equal(history.step, [4.0, -1.0])
    assert history.loss[0, 0] == -3.0 and math.isnan(history.loss[1, 0])
    assert history.pruned.all() and not history.is_plain


def test_history_sums_positive_constraint_values_into_a_violation() -> None:
    history = TrialHistory([StudyDirection.MINIMIZE], False)
    history.append(create_trial(value=0.0, constraints={"a": -1.0, "b": -2.0}))
    history.append(create_trial(value=0.0, constraints={"a": 0.5, "b": 2.0}))
    history.append(create_trial(value=0.0, system_attrs={"constraints": [1.0, -3.0]}))
    history.append(create_trial(value=0.0))
    np.testing.assert_array_equal(history.violation, [0.0, 2.5, 1.0, 0.0])


def test_history_with_constraints_func_ranks_trials_without_its_values_last() -> None:
    history = TrialHistory([StudyDirection.MINIMIZE], True)
    with pytest.warns(UserWarning, match="no constraint values"):
        history.append(create_trial(value=0.0))
    assert history.violation[0] == math.inf


def test_history_keeps_params_transformed_and_nan_where_missing() -> None:
    history = TrialHistory([StudyDirection.MINIMIZE], False)
    history.append(
        create_trial(
            value=0.0,
            params={"lr": 0.01, "c": "b"},
            distributions={"lr": SPACE["lr"], "c": SPACE["c"]},
        )
    )
    history.append(create_trial(value=0.0, params={"x": 1.5}, distributions={"x": SPACE["x"]}))
    values = history.values(["lr", "c", "x"])
    assert values is not None
    np.testing.assert_allclose(values[0, :2], [math.log(0.01), 1.0])
    assert math.isnan(values[0, 2]) and values[1, 2] == 1.5 and np.isnan(values[1, :2]).all()
    assert history.values(["lr", "unknown"]) is None


def test_history_grows_past_its_first_arrays_and_orders_rows_by_number() -> None:
    rng = np.random.default_rng(0)
    history = TrialHistory([StudyDirection.MINIMIZE], False)
    numbers = rng.permutation(300)
    for number in numbers:
        history.append(_trial(int(number), rng))
    assert history.n == 300
    np.testing.assert_array_equal(history.numbers[history.rows_by_number()], np.arange(300))


def _encoded_history(
    rng: np.random.Generator, n: int, batch: int
) -> tuple[TrialHistory, EncodedObservations]:
    history = TrialHistory([StudyDirection.MINIMIZE], False)
    observed = EncodedObservations(SpaceEncoding(SPACE))
    for number in range(n):
        trial = _trial(number, rng)
        if number % 7 == 3:
            # A trial without "x": it must not take part in estimators over this space.
            del trial.params["x"], trial.distributions["x"]
        history.append(trial)
        if number % batch == 0:
            observed.update(history)
    observed.update(history)
    return history, observed


@pytest.mark.parametrize("batch", [1, 5])
def test_kept_value_order_equals_a_full_sort(batch: int) -> None:
    history, observed = _encoded_history(np.random.default_rng(batch), 150, batch)
    rows = np.flatnonzero(observed.has_all)
    assert len(rows) == 150 - len(range(3, 150, 7))
    for j in range(observed.encoding.n_numerical):
        expected = rows[np.argsort(observed._unit[rows, j], kind="stable")]
        np.testing.assert_array_equal(observed._ordered[j], observed._unit[expected, j])


def test_fast_estimators_equal_estimators_built_from_scratch() -> None:
    rng = np.random.default_rng(0)
    history, observed = _encoded_history(rng, 200, 1)
    encoding = observed.encoding
    options = ParzenOptions()
    rows_all = np.flatnonzero(observed.has_all)
    for trial in range(6):  # changing row sets exercise the per-row caches
        rows = np.sort(
            rng.choice(rows_all, size=int(rng.integers(5, len(rows_all))), replace=False)
        )
        k = trial % 3
        extra_unit = rng.random((k, encoding.n_numerical))
        extra_choices = rng.integers(0, 3, (k, 1))
        weights = rng.random(len(rows) + k) + 0.01
        fast = observed.fit(rows, extra_unit, extra_choices, weights, options)
        unit = np.vstack([observed._unit[rows], extra_unit])
        choices = np.vstack([observed._choices[rows], extra_choices])
        slow = ParzenEstimator.fit(encoding, unit, choices, weights, options)
        np.testing.assert_allclose(fast.mus, slow.mus)
        np.testing.assert_allclose(fast.sigmas, slow.sigmas)
        np.testing.assert_allclose(fast.weights, slow.weights)
        np.testing.assert_allclose(fast.features, slow.features, atol=1e-12)
        points_unit, points_choices = slow.sample(rng, 16)
        _, points = encoding.snap(points_unit, points_choices)
        np.testing.assert_allclose(
            log_pdfs([fast], points, Workspace())[0], log_pdfs([slow], points, Workspace())[0]
        )


def test_transform_keeps_logs_of_log_scaled_params_only() -> None:
    assert transform(SPACE["lr"], 0.01) == pytest.approx(math.log(0.01))
    assert transform(IntDistribution(1, 100, log=True), 10.0) == pytest.approx(math.log(10.0))
    assert transform(SPACE["x"], -2.0) == -2.0
    assert transform(SPACE["c"], 2.0) == 2.0
