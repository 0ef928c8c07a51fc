"""EMMR: a bound on how much the expected minimum simple regret changed with the last trial.

Ishibashi et al. 2023, "A stopping criterion for Bayesian optimization by the gap of expected
minimum simple regrets" (AISTATS), Algorithm 1. With ``mu_t``, ``k_t`` the posterior mean and
covariance of a GP of the standardized losses after t trials and ``x*_t`` the best of the first
t trials, the gap between the expected minimum simple regrets after t - 1 and t trials is at
most (Theorem 1 and eq. 4, written for losses)

    v h(m / v) + kappa_{t-1} sqrt(KL_t / 2)

where ``m = mu_t(x*_t) - mu_{t-1}(x*_{t-1})``, ``v^2 = k_t(x*_t, x*_t) - 2 k_t(x*_t, x*_{t-1})
+ k_t(x*_{t-1}, x*_{t-1})``, ``h(z) = phi(z) + z Phi(z)``, ``kappa_{t-1}`` is the GP-UCB
regret bound after t - 1 trials and ``KL_t`` the Kullback-Leibler divergence between the
posteriors before and after the t-th observation ``(x_t, y_t)``:

    KL_t = 1/2 log(1 + s^2 / noise) - 1/2 s^2 / (s^2 + noise)
           + 1/2 s^2 (y_t - mu)^2 / (s^2 + noise)^2

with ``mu``, ``s^2`` the prediction at ``x_t`` from the first t - 1 trials. Both posteriors in
the divergence share the hyperparameters fitted after t trials (the paper's Sec. 4.4), and
``noise`` is that fit's noise variance (its minimum with ``deterministic_objective``).
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import TYPE_CHECKING

import numpy as np

from tansaku._gp import GaussianProcess, GPSpace, fit_gp, log_h, standardize
from tansaku._gp._threads import single_threaded_blas
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.validation import invalid, invalid_type
from tansaku.terminator._improvement import BaseImprovementEvaluator, check_count
from tansaku.terminator._regret_bound import gp_inputs, standardized_regret_bound
from tansaku.trial import TrialState

if TYPE_CHECKING:
    from tansaku._internal.study_direction import StudyDirection
    from tansaku.trial import FrozenTrial

# What evaluate returns while the criterion cannot be computed: more than any error, so that
# the terminator does not stop, yet finite, so that sums and plots stay finite.
_DO_NOT_STOP = sys.float_info.max * 0.1
_MAX_VALUE = sys.float_info.max * 0.5
# The floor of v^2, so that two equal optima give v > 0.
_MIN_V2 = 1e-10


class EMMREvaluator(BaseImprovementEvaluator):
    """The Expected Minimum Model Regret (EMMR): how much the last trial changed what the
    model expects the best achievable regret to be.

    It bounds the change, between the last two trials, of the expected minimum simple regret,
    which converges to 0 only once the optimum is found (Ishibashi et al. 2023, AISTATS). It
    is in units of the standard deviation of the completed trials' values, so it pairs with a
    relative error: :class:`~tansaku.terminator.MedianErrorEvaluator`.

    tansaku follows the paper where the description of Optuna's evaluator leaves it open: the
    prediction at the last trial in the divergence term comes from the first t - 1 trials
    (with the t-trial hyperparameters), and the noise variance is the fitted one.

    Args:
        deterministic_objective: The objective has no noise: fix the GP's noise variance at
            its minimum.
        delta: The regret bound inside the criterion holds with probability 1 - delta; in
            (0, 1).
        min_n_trials: The fewest completed trials to compute the criterion with (>= 2);
            before that, it returns a value larger than any error.
        seed: Seeds the search for the lowest lower confidence bound.

    Example:
        .. code-block:: python

            evaluator = tansaku.terminator.EMMREvaluator()
            terminator = tansaku.terminator.Terminator(
                improvement_evaluator=evaluator,
                error_evaluator=tansaku.terminator.MedianErrorEvaluator(evaluator),
            )
            study.optimize(
                objective, callbacks=[tansaku.terminator.TerminatorCallback(terminator)]
            )
    """

    def __init__(
        self,
        deterministic_objective: bool = False,
        delta: float = 0.1,
        min_n_trials: int = 2,
        seed: int | None = None,
    ) -> None:
        warn_experimental("EMMREvaluator")
        where = "EMMREvaluator"
        if isinstance(delta, bool) or not isinstance(delta, (int, float)):
            raise invalid_type(where, "delta", delta, "a float")
        if not 0.0 < delta < 1.0:
            raise invalid(where, "delta", delta, "must be in (0, 1)")
        check_count(where, "min_n_trials", min_n_trials, 2)
        self._deterministic = bool(deterministic_objective)
        self._delta = float(delta)
        self.min_n_trials = int(min_n_trials)
        self._rng: np.random.Generator = np.random.default_rng(seed)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        """The EMMR after the last completed trial (in the order given), >= 0."""
        complete = [trial for trial in trials if trial.state == TrialState.COMPLETE]
        if len(complete) < self.min_n_trials:
            return _DO_NOT_STOP
        space, rows, losses = gp_inputs(complete, study_direction)
        if space.n_columns == 0:
            warnings.warn(
                "EMMREvaluator: the completed trials share no param, so the criterion cannot "
                "be computed and the study will not be stopped by it",
                UserWarning,
                stacklevel=2,
            )
            return _DO_NOT_STOP
        with single_threaded_blas():  # small matrices: threads only wait for each other
            return min(self._emmr(space, rows, standardize(losses).y), _MAX_VALUE)

    def _emmr(self, space: GPSpace, rows: np.ndarray, y: np.ndarray) -> float:
        before = fit_gp(rows[:-1], y[:-1], space.categorical, deterministic=self._deterministic)
        after = fit_gp(
            rows, y, space.categorical, deterministic=self._deterministic, warm_start=before.params
        )
        best, best_before = int(np.argmin(y)), int(np.argmin(y[:-1]))
        value = self._change_of_best(before, after, rows, best, best_before)
        kappa = standardized_regret_bound(before, space, rows[:-1], self._rng, self._delta)
        return value + kappa * math.sqrt(0.5 * _divergence(after, rows, y))

    @staticmethod
    def _change_of_best(
        before: GaussianProcess,
        after: GaussianProcess,
        rows: np.ndarray,
        best: int,
        best_before: int,
    ) -> float:
        """``v h(m / v)`` of Theorem 1: the expected positive part of the change of the
        modelled best loss."""
        mean, cov = after.joint_posterior(rows[[best, best_before]])
        mean_before = float(before.posterior(rows[best_before][None, :])[0][0])
        v = math.sqrt(max(_MIN_V2, cov[0, 0] - 2.0 * cov[0, 1] + cov[1, 1]))
        m = float(mean[0]) - mean_before
        return v * float(np.exp(log_h(np.array([m / v])))[0])


def _divergence(after: GaussianProcess, rows: np.ndarray, y: np.ndarray) -> float:
    """KL between the posteriors without and with the last observation (eq. 4), both with the
    hyperparameters of ``after``."""
    noise = after.params.noise
    previous = GaussianProcess(rows[:-1], y[:-1], after.categorical, after.params)
    mean, var = previous.posterior(rows[-1][None, :])
    s2, mu = float(var[0]), float(mean[0])
    return (
        0.5 * math.log1p(s2 / noise)
        - 0.5 * s2 / (s2 + noise)
        + 0.5 * s2 * (y[-1] - mu) ** 2 / (s2 + noise) ** 2
    )
