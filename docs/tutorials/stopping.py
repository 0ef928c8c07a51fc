"""When does more tuning stop paying? Stop on a trial count, a target or a time budget, then
check that the winner was not just lucky; or let the terminator stop once the room left for
improvement is below the noise of the cross-validation.

Run:
    python docs/tutorials/stopping.py
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import cross_val_score, train_test_split

import tansaku
from tansaku.study import MaxTrialsCallback, TargetValueCallback, TimeBudgetCallback
from tansaku.terminator import TerminatorCallback, report_cross_validation_scores
from tansaku.trial import TrialState
from tansaku.validation import validate_top_trials

X, y = load_digits(return_X_y=True)
X = X[:800] / 16.0
y = y[:800]


def objective(trial: tansaku.trial.BaseTrial, seed: int = 0) -> float:
    """Validation error of a linear classifier; ``seed`` changes the split and the training."""
    alpha = trial.suggest_float("alpha", 1e-6, 1e-1, log=True)
    eta0 = trial.suggest_float("eta0", 1e-4, 1.0, log=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, random_state=seed)
    model = SGDClassifier(
        alpha=alpha,
        eta0=eta0,
        learning_rate="constant",
        max_iter=20,
        tol=None,
        random_state=seed,
    )
    return 1.0 - model.fit(X_train, y_train).score(X_valid, y_valid)


def cross_validated(trial: tansaku.trial.BaseTrial) -> float:
    """Mean 5-fold cross-validation error; the fold scores tell the terminator the noise."""
    model = SGDClassifier(
        alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        eta0=trial.suggest_float("eta0", 1e-4, 1.0, log=True),
        learning_rate="constant",
        max_iter=20,
        tol=None,
        random_state=0,
    )
    errors = 1.0 - cross_val_score(model, X, y, cv=5)
    report_cross_validation_scores(trial, errors)
    return float(errors.mean())


def until_it_stops_paying(max_trials: int) -> tansaku.Study:
    """Tune until the terminator stops the study (or ``max_trials``): from its 20th trial on,
    it stops once a GP bound on how much better the optimum can be is smaller than the
    cross-validation error of the best trial."""
    study = tansaku.create_study(sampler=tansaku.samplers.TPESampler(seed=0))
    study.optimize(cross_validated, n_trials=max_trials, callbacks=[TerminatorCallback()])
    return study


def main(argv: list[str] | None = None) -> tansaku.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-trials", type=int, default=30)
    parser.add_argument("--target", type=float, default=0.03, help="an error good enough")
    parser.add_argument("--seconds", type=float, default=60.0, help="the whole time budget")
    parser.add_argument(
        "--terminator-trials", type=int, default=0, help="also run until the terminator stops"
    )
    args = parser.parse_args(argv)

    import warnings

    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    # The terminator's evaluators are experimental in Optuna and say so, as there.
    warnings.filterwarnings("ignore", category=tansaku.exceptions.ExperimentalWarning)
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study(sampler=tansaku.samplers.TPESampler(seed=0))
    callbacks = [
        # However many workers share the study, stop at this many completed trials.
        MaxTrialsCallback(args.max_trials, states=(TrialState.COMPLETE,)),
        # Stop as soon as one trial is good enough.
        TargetValueCallback(args.target),
        # Bound the wall-clock time of every optimize call that shares this callback.
        TimeBudgetCallback(args.seconds),
    ]
    study.optimize(objective, callbacks=callbacks)
    print(f"stopped after {len(study.trials)} trials; best error {study.best_value:.4f}")

    # The best trial won one run. Re-run the top configurations with other seeds: the one
    # with the best mean is the one to ship, and the spread says how much luck was involved.
    table = validate_top_trials(study, objective, top_k=3, seeds=range(3))
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    for row in rows:
        print(
            f"trial {row['number']}: recorded {row['value']:.4f}, "
            f"mean over seeds {row['mean']:.4f} ± {row['std']:.4f}"
        )
    if args.terminator_trials:
        stopped = until_it_stops_paying(args.terminator_trials)
        print(
            f"the terminator stopped after {len(stopped.trials)} trials; "
            f"best cross-validation error {stopped.best_value:.4f}"
        )
    return study


if __name__ == "__main__":
    main()
