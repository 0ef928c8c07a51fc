from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tansaku
from tansaku.importance import BaseImportanceEvaluator
from tansaku.study import Study
from tansaku.trial import FrozenTrial
from tansaku.visualization import plot_param_importances
from tansaku.visualization.matplotlib import (
    plot_param_importances as mpl_plot_param_importances,
)
from tests.visualization.conftest import experimental, warned


class _FixedEvaluator(BaseImportanceEvaluator):
    """Importances known in advance, so that the bars can be checked exactly."""

    def __init__(self, importances: dict[str, float]) -> None:
        self.importances = importances
        self.targets: list[Callable[[FrozenTrial], float] | None] = []

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: Callable[[FrozenTrial], float] | None = None,
    ) -> dict[str, float]:
        self.targets.append(target)
        names = params if params is not None else list(self.importances)
        return {name: self.importances[name] for name in names}


FIXED = {"lr": 0.6, "layers": 0.3, "optimizer": 0.095, "momentum": 0.005}


def _bar_widths(ax: Any) -> list[float]:
    return [round(patch.get_width(), 6) for patch in ax.patches]


@pytest.mark.parametrize("make", ["empty_study", "failed_study"])
def test_a_study_without_completed_trials_gives_an_empty_plot_and_a_warning(
    make: str,
    request: pytest.FixtureRequest,
    caplog_tansaku: pytest.LogCaptureFixture,
    render: Any,
) -> None:
    study = request.getfixturevalue(make)
    figure = plot_param_importances(study)
    assert len(figure.data) == 0
    assert figure.layout.xaxis.title.text == "Hyperparameter Importance"
    render(figure)
    ax = mpl_plot_param_importances(study)
    assert len(ax.patches) == 0
    render(ax)
    assert warned(caplog_tansaku, "no completed trials")


def test_plotly_bars_are_the_importances_most_important_on_top(
    mixed_study: Study, render: Any
) -> None:
    figure = plot_param_importances(mixed_study, evaluator=_FixedEvaluator(FIXED))
    (bars,) = figure.data
    assert bars.orientation == "h"
    assert list(bars.y) == ["momentum", "optimizer", "layers", "lr"]
    assert list(bars.x) == pytest.approx([0.005, 0.095, 0.3, 0.6])
    assert list(bars.text) == ["<0.01", "0.10", "0.30", "0.60"]
    assert "FloatDistribution" in bars.hovertemplate[-1]
    assert "CategoricalDistribution" in bars.hovertemplate[1]
    assert bars.name == "Objective Value"
    assert figure.layout.yaxis.title.text == "Hyperparameter"
    render(figure)


def test_matplotlib_bars_are_the_importances_most_important_on_top(
    mixed_study: Study, render: Any, recwarn: pytest.WarningsRecorder
) -> None:
    ax = mpl_plot_param_importances(mixed_study, evaluator=_FixedEvaluator(FIXED))
    assert _bar_widths(ax) == pytest.approx([0.005, 0.095, 0.3, 0.6])
    assert [label.get_text() for label in ax.get_yticklabels()] == [
        "momentum",
        "optimizer",
        "layers",
        "lr",
    ]
    assert [text.get_text().strip() for text in ax.texts] == ["<0.01", "0.10", "0.30", "0.60"]
    assert ax.get_xlabel() == "Hyperparameter Importance"
    assert experimental(recwarn)
    render(ax)


def test_the_default_evaluator_ranks_the_dominant_param_first(render: Any) -> None:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        n = trial.suggest_int("n", 0, 10)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        return 100.0 * np.log10(x) ** 2 + 0.01 * n + (0.001 if kind == "a" else 0.0)

    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=60)
    (bars,) = plot_param_importances(study).data
    assert bars.y[-1] == "x"
    assert sum(bars.x) == pytest.approx(1.0)
    ax = mpl_plot_param_importances(study)
    assert ax.get_yticklabels()[-1].get_text() == "x"
    render(ax)


def test_conditional_params_get_a_bar(mixed_study: Study) -> None:
    (bars,) = plot_param_importances(mixed_study).data
    assert set(bars.y) == {"lr", "layers", "optimizer", "momentum"}


def test_params_limits_the_bars(mixed_study: Study) -> None:
    (bars,) = plot_param_importances(
        mixed_study, evaluator=_FixedEvaluator(FIXED), params=["lr", "layers"]
    ).data
    assert list(bars.y) == ["layers", "lr"]


def test_a_param_that_does_not_exist_is_rejected(mixed_study: Study) -> None:
    with pytest.raises(ValueError, match="nope"):
        plot_param_importances(mixed_study, params=["nope"])


def test_several_objectives_get_one_group_of_bars_each(
    multi_objective_study: Study, render: Any
) -> None:
    evaluator = _FixedEvaluator({"lr": 0.8, "optimizer": 0.2})
    figure = plot_param_importances(multi_objective_study, evaluator=evaluator)
    first, second = figure.data
    assert (first.name, second.name) == ("Objective Value 0", "Objective Value 1")
    assert list(first.y) == list(second.y) == ["optimizer", "lr"]
    trial = multi_objective_study.trials[0]
    assert [target(trial) for target in evaluator.targets if target] == [0.5, 0.7]
    render(figure)
    ax = mpl_plot_param_importances(multi_objective_study, evaluator=evaluator)
    assert len(ax.patches) == 4
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["Objective Value 0", "Objective Value 1"]
    render(ax)


def test_metric_names_name_the_groups(multi_objective_study: Study) -> None:
    multi_objective_study.set_metric_names(["loss", "accuracy"])
    figure = plot_param_importances(
        multi_objective_study, evaluator=_FixedEvaluator({"lr": 0.8, "optimizer": 0.2})
    )
    assert [trace.name for trace in figure.data] == ["loss", "accuracy"]


def test_a_target_picks_one_objective(multi_objective_study: Study) -> None:
    evaluator = _FixedEvaluator({"lr": 0.8, "optimizer": 0.2})
    (bars,) = plot_param_importances(
        multi_objective_study,
        evaluator=evaluator,
        target=lambda t: t.values[1],
        target_name="accuracy",
    ).data
    assert bars.name == "accuracy"
    assert evaluator.targets[0] is not None
    assert evaluator.targets[0](multi_objective_study.trials[2]) == 0.9
