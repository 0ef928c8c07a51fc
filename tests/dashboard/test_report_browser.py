"""The HTML report in a real browser (Debian's Chromium driven by Playwright): every plot fits
the page's width, at a wide and at a narrow window. Run by ``make test-browser``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tansaku
from tests.dashboard.test_browser import browser_page  # noqa: F401  (the fixture, by its name)

pytestmark = pytest.mark.browser


def _objective(trial: tansaku.Trial) -> float:
    # Long param names: the widest axis titles a report meets.
    xs = [trial.suggest_float(f"learning_rate_of_layer_{i}", -5, 5) for i in range(9)]
    choice = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    for step in range(4):
        trial.report(sum(x * x for x in xs) / (step + 1), step)
    return sum(x * x for x in xs) + (choice == "sgd")


def test_no_plot_of_the_report_is_wider_than_the_page(
    tmp_path: Path,
    browser_page: Any,  # noqa: F811
) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=30)
    path = tansaku.visualization.report(study, tmp_path / "report.html")
    page = browser_page
    page.goto(path.as_uri())
    plots = page.locator(".plotly-graph-div")
    n_plots = plots.count()
    assert n_plots >= 6  # history, importances, intermediate, parallel, slice(s), contour
    for width in (1400, 800):
        page.set_viewport_size({"width": width, "height": 900})
        # Wait until plotly has drawn every plot at this window's size (its layout's width is
        # its box's); nothing here is timed.
        page.wait_for_function(
            """n => {
                const divs = [...document.querySelectorAll('.plotly-graph-div')];
                return divs.length === n && divs.every(
                    d => d._fullLayout && Math.abs(d._fullLayout.width - d.clientWidth) < 2);
            }""",
            arg=n_plots,
        )
        sizes = page.evaluate(
            """() => ({
                page: document.documentElement.clientWidth,
                scroll: document.documentElement.scrollWidth,
                rights: [...document.querySelectorAll('.plotly-graph-div')].map(
                    d => d.getBoundingClientRect().right),
            })"""
        )
        assert sizes["page"] == width
        assert max(sizes["rights"]) <= width, sizes
        assert sizes["scroll"] <= width, sizes  # nothing else runs off the page either
        page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=True)
