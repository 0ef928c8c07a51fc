"""Code written for Optuna runs after changing only the import line."""

from __future__ import annotations

import tansaku as optuna


def test_the_readme_example_runs_unchanged() -> None:
    def objective(trial: optuna.Trial) -> float:
        n_layers = trial.suggest_int("n_layers", 1, 4)
        units = [trial.suggest_int(f"n_units_{i}", 1, 128, log=True) for i in range(n_layers)]
        opt = trial.suggest_categorical("optimizer", ["Adam", "SGD", "RMSprop"])
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        score = sum(units) / 128 + (0.1 if opt == "Adam" else 0.0) - abs(lr - 1e-3)
        for step in range(3):
            trial.report(score * (step + 1) / 3, step)
            if trial.should_prune():
                raise optuna.exceptions.TrialPruned()
        return score

    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=30, timeout=600)
    best = study.best_trial
    assert best.value == max(t.value for t in study.trials if t.value is not None)
    assert set(study.best_params) >= {"n_layers", "optimizer", "lr"}
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(pruned) + len(complete) == 30
    for i in range(best.params["n_layers"]):
        assert f"n_units_{i}" in best.params
    redeployed = objective(optuna.trial.FixedTrial(best.params))
    assert redeployed == best.value
