"""Moving an Optuna project over: change one import line, keep the code and the database.

The objective below is code written for Optuna; only its import line differs. The database
``data/optuna_project.db`` was written by Optuna 5.0 (``data/make_optuna_project_db.py``):
tansaku opens it as it is, reads its trials, and continues the study in it.

Run:
    python docs/tutorials/from_optuna.py
"""

from __future__ import annotations

import tansaku as optuna  # was: import optuna

# isort: split
import argparse
import shutil
import tempfile
from pathlib import Path

DATABASE = Path(__file__).resolve().parent / "data" / "optuna_project.db"


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    y = trial.suggest_int("y", -3, 3)
    return (x - 2) ** 2 + y**2


def main(argv: list[str] | None = None) -> optuna.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=10)
    args = parser.parse_args(argv)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Work on a copy, so that the bundled database stays as Optuna wrote it.
    directory = Path(tempfile.mkdtemp())
    shutil.copy(DATABASE, directory / "project.db")
    storage = f"sqlite:///{directory / 'project.db'}"

    print("studies in the Optuna database:", optuna.get_all_study_names(storage))
    study = optuna.load_study(study_name="optuna-project", storage=storage)
    before = len(study.trials)
    print(f"{before} trials written by Optuna; best {study.best_value:.3f} {study.best_params}")

    study.optimize(objective, n_trials=args.n_trials)  # continues the same study
    print(f"{len(study.trials) - before} more trials by tansaku; best {study.best_value:.3f}")
    shutil.rmtree(directory)
    return study


if __name__ == "__main__":
    main()
