from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest

import tansaku
import tansaku.visualization
from tansaku.distributions import CategoricalDistribution
from tansaku.study import Study
from tansaku.trial import create_trial
from tansaku.visualization import report
from tests.visualization.conftest import add_mixed_trials

NASTY = "<script>alert(1)</script>"


def _figures(page: str) -> int:
    return page.count('class="plotly-graph-div"')


def _cells(page: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", page)


@pytest.fixture
def nasty_study() -> Study:
    """The mixed study under a name, a param and attrs that would run script if not escaped."""
    study = tansaku.create_study(study_name=NASTY)
    add_mixed_trials(study)
    study.set_user_attr("owner", "<img src=x onerror=alert(2)>")
    study.add_trial(
        create_trial(
            value=10.0,
            params={"<b>": "<i>"},
            distributions={"<b>": CategoricalDistribution(["<i>", "x"])},
        )
    )
    return study


def test_the_report_is_one_self_contained_file_with_plotlyjs_once(
    nasty_study: Study, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "report.html"
    assert report(nasty_study, path) == path
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("plotly.js v") == 1  # the bundle's banner
    assert '<script src="http' not in page
    assert "cdn" not in re.sub(r"<script>.*?</script>", "", page, flags=re.S).lower()
    # history, importances, intermediate values, parallel coordinate, slice, contour
    assert _figures(page) >= 3


def test_the_report_escapes_every_name_from_the_study(
    nasty_study: Study, tmp_path: pathlib.Path
) -> None:
    page = report(nasty_study, tmp_path / "report.html").read_text(encoding="utf-8")
    assert NASTY not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<b>" not in page and "&lt;b&gt;" in page


def test_the_best_trial_row_has_its_number_value_and_params(
    mixed_study: Study, tmp_path: pathlib.Path
) -> None:
    page = report(mixed_study, tmp_path / "r.html").read_text(encoding="utf-8")
    best_section = page.split("<h2>Best trials</h2>")[1].split("<h2>")[0]
    assert _cells(best_section) == ["4", "0.2", "0.02", "8", "sgd", "0.1"]
    for header in ["trial", "Objective Value", "lr", "layers", "optimizer", "momentum"]:
        assert f"<th>{header}</th>" in best_section


def test_the_importances_are_tabulated(mixed_study: Study, tmp_path: pathlib.Path) -> None:
    page = report(mixed_study, tmp_path / "r.html").read_text(encoding="utf-8")
    section = page.split("<h2>Parameter importances</h2>")[1].split("<h2>")[0]
    cells = _cells(section)
    names = cells[0::2]
    assert sorted(names) == ["layers", "lr", "momentum", "optimizer"]
    assert sum(float(value) for value in cells[1::2]) == pytest.approx(1.0, abs=1e-4)


def test_several_objectives_get_a_history_each_and_the_pareto_trials(
    multi_objective_study: Study, tmp_path: pathlib.Path
) -> None:
    multi_objective_study.set_metric_names(["loss", "accuracy"])
    page = report(multi_objective_study, tmp_path / "r.html").read_text(encoding="utf-8")
    history = page.split("<h2>Optimization history</h2>")[1].split("<h2>")[0]
    assert _figures(history) == 2
    best_section = page.split("<h2>Best trials</h2>")[1].split("<h2>")[0]
    # (0.3, 0.6), (0.8, 0.9), (0.4, 0.8) are not dominated; (0.5, 0.7) is, by (0.4, 0.8).
    rows = re.findall(r"<tr><td[^>]*>(\d+)</td>", best_section)
    assert rows == ["1", "2", "3"]
    assert "<th>loss</th>" in best_section and "<th>accuracy</th>" in best_section


@pytest.mark.parametrize("make", ["empty_study", "failed_study"])
def test_a_study_without_completed_trials_still_gets_a_report(
    make: str, request: pytest.FixtureRequest, tmp_path: pathlib.Path
) -> None:
    study = request.getfixturevalue(make)
    page = report(study, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No completed trial yet." in page
    assert page.count("plotly.js v") == 1
    assert _figures(page) == 1  # the (empty) history


def test_a_plot_that_fails_is_replaced_by_a_note(
    mixed_study: Study, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("no <slice> today")

    monkeypatch.setattr(tansaku.visualization, "plot_slice", broken, raising=False)
    page = report(mixed_study, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "plot_slice could not be drawn: no &lt;slice&gt; today" in page
    assert "<h2>Best trials</h2>" in page


def test_the_path_may_be_a_string(mixed_study: Study, tmp_path: pathlib.Path) -> None:
    written = report(mixed_study, str(tmp_path / "r.html"))
    assert written == tmp_path / "r.html" and written.exists()


def test_a_conditional_space_logs_no_warning_and_shows_why_panels_are_empty(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Two branches whose params no trial shares, and a switch param with one value among the
    # completed trials: expected conditions of a report, noted on the page, not warned.
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))

    def objective(trial: tansaku.Trial) -> float:
        branch = trial.suggest_categorical("branch", ["a", "b"])
        trial.suggest_categorical("fixed", ["only"])
        if branch == "a":
            return trial.suggest_float("a_x", 0, 1)
        return trial.suggest_float("b_x", 0, 1) + 1

    study.optimize(objective, n_trials=20)
    with caplog.at_level("WARNING", logger="tansaku"):
        text = report(study, tmp_path / "r.html").read_text()
    assert caplog.records == []
    assert "No completed trial has both params a_x and b_x." in text


def test_plot_contour_itself_still_warns_about_a_pair_no_trial_shares(
    caplog: pytest.LogCaptureFixture,
) -> None:
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("a" if t.number % 2 else "b", 0, 1) + t.suggest_float("c", 0, 1),
        n_trials=10,
    )
    with caplog.at_level("WARNING", logger="tansaku"):
        tansaku.visualization.plot_contour(study, params=["a", "b"])
    assert any("No completed trial has both params a and b." in r.message for r in caplog.records)
