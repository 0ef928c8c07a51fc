"""An interrupt in the middle of TPE's incremental bookkeeping does not break later trials.

TPE keeps per-study state between trials (the history encoded into arrays, kept in order). An
interrupt can land between any two of its updates; the user catches it and goes on, and the
next trials must sample as usual rather than fail on arrays left of different lengths.
"""

from __future__ import annotations

from typing import Any

import pytest

import tansaku
from tansaku.samplers._tpe import _observations
from tansaku.trial import TrialState


def _objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    y = trial.suggest_int("y", 0, 9)
    return x * x + y


@pytest.mark.parametrize("multivariate", [False, True])
def test_trials_after_an_interrupted_update_of_the_encoded_history_complete(
    monkeypatch: pytest.MonkeyPatch, multivariate: bool
) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    study = tansaku.create_study(
        sampler=tansaku.samplers.TPESampler(seed=0, n_startup_trials=5, multivariate=multivariate)
    )
    # Past 64 trials the kept order is used rather than a sort (see _sorted_kernels).
    study.optimize(_objective, n_trials=150)
    insert_in_order = _observations.EncodedObservations._insert_in_order
    interrupted: list[bool] = []

    def interrupted_once(self: Any, rows: Any) -> None:
        # As a SIGINT would: after the rows were counted, before they were put in order.
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        insert_in_order(self, rows)

    monkeypatch.setattr(_observations.EncodedObservations, "_insert_in_order", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(_objective, n_trials=1)
    assert interrupted
    study.optimize(_objective, n_trials=10)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAIL) == 1  # the interrupted trial only
    assert states[-10:] == [TrialState.COMPLETE] * 10
