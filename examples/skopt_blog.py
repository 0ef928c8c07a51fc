"""Tune the blog post's network with scikit-optimize's Bayesian optimizer (SkoptSampler).

The same blog post as ``seed_blog_conditional_layers.py``, with the sampler the post used:
``SkoptSampler`` with extra trees as the surrogate model and expected improvement as the
acquisition function (``pip install tansaku[skopt]``). The network, its conditional widths
(``fc_output_feat_{i}``) and its per-epoch pruning come from that example; the digits dataset
stands in for the post's face images. The study is kept in the SQLite file
``tansaku-skopt-blog.db`` when this build of tansaku has the database storage (and is then
continued by the next run), and in memory otherwise.

Run:
    python examples/skopt_blog.py
    python examples/skopt_blog.py --n-trials 10 --epochs 5 --seed 0
"""

from __future__ import annotations

import tansaku as optuna  # The one line that differs from code written for Optuna.

# isort: split
import argparse

from seed_blog_conditional_layers import make_objective

from tansaku.integration import SkoptSampler

STORAGE_URL = "sqlite:///tansaku-skopt-blog.db"
STUDY_NAME = "001"


def create_study(sampler: optuna.samplers.BaseSampler) -> optuna.Study:
    """Create (or continue) the study in SQLite if this build has it, else in memory."""
    try:
        return optuna.create_study(
            study_name=STUDY_NAME,
            direction="maximize",
            storage=STORAGE_URL,
            sampler=sampler,
            load_if_exists=True,
        )
    except NotImplementedError:
        print(
            f"Note: {STORAGE_URL} is not available in this build; keeping the study in memory.",
            flush=True,
        )
        return optuna.create_study(study_name=STUDY_NAME, direction="maximize", sampler=sampler)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n-trials", type=int, default=20, help="trials (default 20)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per trial (default 20)")
    parser.add_argument(
        "--n-initial-points",
        type=int,
        default=10,
        help="random points before the surrogate model proposes (default 10, as in the post)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the sampler (default: no seed)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    # The post's dict named base_estimator twice ("RF", then "ET"); Python keeps the last.
    # n_random_starts is called n_initial_points since scikit-optimize 0.8.
    sampler = SkoptSampler(
        skopt_kwargs={
            "base_estimator": "ET",
            "n_initial_points": args.n_initial_points,
            "acq_func": "EI",
            "acq_func_kwargs": {"xi": 0.02},
        },
        warn_independent_sampling=False,
        seed=args.seed,
    )
    study = create_study(sampler)
    study.optimize(make_objective(args.epochs), n_trials=args.n_trials)

    pruned_trials = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    complete_trials = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]

    print("num_trials_conducted: ", len(study.trials))
    print("num_trials_pruned: ", len(pruned_trials))
    print("num_trials_completed: ", len(complete_trials))

    trial = study.best_trial
    print("[+] results: -----------------------------------------")
    print(" | results from best trial:")

    print(" | accuracy: ", trial.value)
    print(" | hyperparameters: ")
    for key, value in trial.params.items():
        print(f" | {key}: {value}")
    print(" +----------------------------------------------------")


if __name__ == "__main__":
    main()
