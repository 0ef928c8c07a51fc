"""Write ``optuna_project.db``: a small study as Optuna 5.0 writes it (for from_optuna.py).

Run with the benchmark environment, which has Optuna:
    .venv-bench/bin/python docs/tutorials/data/make_optuna_project_db.py
"""

from __future__ import annotations

from pathlib import Path

import optuna

PATH = Path(__file__).resolve().parent / "optuna_project.db"


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -3, 3)
    return (x - 2) ** 2 + y**2


if __name__ == "__main__":
    PATH.unlink(missing_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name="optuna-project",
        storage=f"sqlite:///{PATH}",
        sampler=optuna.samplers.TPESampler(seed=0),
    )
    study.optimize(objective, n_trials=12)
    print(f"wrote {PATH} with optuna {optuna.__version__}")
