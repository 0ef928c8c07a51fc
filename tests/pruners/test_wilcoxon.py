from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.stats

import tansaku
from tansaku.exceptions import ExperimentalWarning
from tansaku.pruners import WilcoxonPruner
from tansaku.pruners._signed_rank import signed_rank_pvalue


def wilcoxon(**kwargs: float) -> WilcoxonPruner:
    with pytest.warns(ExperimentalWarning, match="WilcoxonPruner is experimental"):
        return WilcoxonPruner(**kwargs)


def differences(seed: int) -> np.ndarray:
    """Paired differences of every kind scipy treats differently: small and large samples,
    with and without zeros and tied magnitudes."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([2, 3, 5, 9, 13, 14, 20, 35, 50, 51, 80]))
    diff = rng.normal(0.3 * rng.normal(), 1.0, n)
    kind = seed % 3
    if kind == 1:
        diff = np.round(diff, 1)  # ties, some zeros
    elif kind == 2:
        diff[: n // 4] = 0.0
    return diff


@pytest.mark.parametrize("alternative", ["less", "greater"])
@pytest.mark.parametrize("seed", range(60))
def test_p_value_is_scipys_wilcoxon_with_zsplit(seed: int, alternative: str) -> None:
    diff = differences(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on tiny samples
        expected = scipy.stats.wilcoxon(diff, alternative=alternative, zero_method="zsplit")
    actual = signed_rank_pvalue(diff, alternative)  # type: ignore[arg-type]
    assert actual == pytest.approx(float(expected.pvalue), rel=1e-12, abs=1e-15)


def run_instances(
    pruner: WilcoxonPruner, best: list[float], candidate: list[float], direction: str
) -> list[bool]:
    study = tansaku.create_study(direction=direction, pruner=pruner)
    trial = study.ask()
    for step, value in enumerate(best):
        trial.report(value, step)
    study.tell(trial, float(np.mean(best)))
    trial = study.ask()
    decisions = []
    for step, value in enumerate(candidate):
        trial.report(value, step)
        decisions.append(trial.should_prune())
    return decisions


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_a_trial_worse_on_every_instance_is_pruned_once_the_test_is_significant(
    direction: str,
) -> None:
    rng = np.random.default_rng(0)
    best = rng.normal(size=12)
    worse = best + (1.0 if direction == "minimize" else -1.0) * rng.uniform(0.1, 1.0, 12)
    decisions = run_instances(wilcoxon(p_threshold=0.05), list(best), list(worse), direction)
    # All differences point the same way: the exact one-sided p-value after n instances is
    # 2**-n, below 0.05 from n = 5 on.
    assert decisions[:4] == [False] * 4
    assert decisions[4] is True


def test_a_trial_better_on_average_is_never_pruned() -> None:
    best = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    candidate = [1.1, 1.1, 1.1, 1.1, 1.1, -10.0]  # worse on five instances, better on average
    decisions = run_instances(wilcoxon(p_threshold=0.1), best, candidate, "minimize")
    assert decisions[4] is True  # five worse instances in a row: p = 1/32
    assert decisions[5] is False


def test_n_startup_steps_delays_pruning() -> None:
    best = [0.0] * 10
    decisions = run_instances(
        wilcoxon(p_threshold=0.5, n_startup_steps=6), best, [1.0] * 10, "minimize"
    )
    assert decisions == [False] * 5 + [True] * 5


def test_non_finite_values_never_prune_and_warn() -> None:
    pruner = wilcoxon()
    with pytest.warns(UserWarning, match="infinite or NaN"):
        decisions = run_instances(pruner, [0.0] * 6, [1.0] * 5 + [float("inf")], "minimize")
    assert decisions[-1] is False


def test_steps_the_best_trial_lacks_are_ignored_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="did not; they are ignored"):
        decisions = run_instances(wilcoxon(p_threshold=0.1), [0.0] * 5, [1.0] * 8, "minimize")
    assert decisions[4:] == [True] * 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p_threshold": 1.5}, "WilcoxonPruner: p_threshold=1.5 must be in \\[0, 1\\]"),
        ({"n_startup_steps": -1}, "WilcoxonPruner: n_startup_steps=-1 must be >= 0"),
    ],
)
def test_bad_arguments_are_rejected_naming_them(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WilcoxonPruner(**kwargs)  # type: ignore[arg-type]
