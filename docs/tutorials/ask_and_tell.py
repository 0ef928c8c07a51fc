"""Ask and tell: drive the study from a loop you control instead of ``study.optimize``.

Useful when trials are evaluated elsewhere (a job queue, another program, a batch on a GPU):
``ask`` starts a trial and returns it, ``tell`` finishes it with a value, a state, or both.

Run:
    python docs/tutorials/ask_and_tell.py
"""

from __future__ import annotations

import argparse

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution
from tansaku.trial import TrialState


def evaluate(x: float, kernel: str) -> float:
    """Stands for work done outside the study: a remote job, a simulation, a lab measurement."""
    return (x - 1.5) ** 2 + (0.0 if kernel == "rbf" else 0.5)


def main(argv: list[str] | None = None) -> tansaku.Study:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args(argv)

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study(sampler=tansaku.samplers.TPESampler(seed=0))

    # Define-and-run: declare the space once and ask with it; the trial arrives with its params.
    space = {
        "x": FloatDistribution(-5, 5),
        "kernel": CategoricalDistribution(["rbf", "linear"]),
    }
    while len(study.trials) < args.n_trials:
        batch = [study.ask(space) for _ in range(args.batch)]  # a batch in flight at once
        for trial in batch:
            value = evaluate(trial.params["x"], trial.params["kernel"])
            if value > 20:
                study.tell(trial, state=TrialState.PRUNED)  # a trial you gave up on
            else:
                study.tell(trial, value)

    # Define-by-run works too: suggest on the asked trial, then tell.
    trial = study.ask()
    x = trial.suggest_float("x", -5, 5)
    kernel = trial.suggest_categorical("kernel", ["rbf", "linear"])
    study.tell(trial, evaluate(x, kernel))

    print(f"{len(study.trials)} trials; best {study.best_value:.4f} with {study.best_params}")
    return study


if __name__ == "__main__":
    main()
