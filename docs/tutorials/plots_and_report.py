"""Plots and the HTML report: look at a study's history, its parameters and their importance.

Every plot function takes the study and returns a plotly figure (``tansaku.visualization``) or
matplotlib axes (``tansaku.visualization.matplotlib``). ``report`` writes one self-contained
HTML page with the plots that suit the study.

Run:
    python docs/tutorials/plots_and_report.py --out plots/
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import tansaku
from tansaku.visualization import (
    plot_optimization_history,
    plot_param_importances,
    plot_slice,
    report,
)


def objective(trial: tansaku.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    batch = trial.suggest_categorical("batch", [32, 64, 128])
    # A made-up validation loss: the learning rate matters most, the batch size least.
    loss = (math.log10(lr) + 3) ** 2 + 4 * (dropout - 0.2) ** 2 + 0.01 * (batch == 128)
    for step in range(5):  # a learning curve, for plot_intermediate_values and the report
        trial.report(loss * (1 + 1 / (step + 1)), step)
    return loss


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("tansaku-plots"))
    args = parser.parse_args(argv)

    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study(sampler=tansaku.samplers.TPESampler(seed=0))
    study.optimize(objective, n_trials=args.n_trials)

    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, figure in [
        ("history", plot_optimization_history(study)),
        ("importances", plot_param_importances(study)),
        ("slice", plot_slice(study, params=["lr", "dropout"])),
    ]:
        path = args.out / f"{name}.html"
        # "directory": one plotly.min.js beside the pages, so they open offline.
        figure.write_html(path, include_plotlyjs="directory")  # or figure.show() in a notebook
        written.append(path)
    written.append(report(study, args.out / "report.html"))  # one page, opens offline
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
