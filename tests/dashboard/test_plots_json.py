"""The dashboard's plot JSON is plotly's own, without the copy ``Figure.to_json`` makes."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pytest

import tansaku
import tansaku.visualization as vis
from tansaku.dashboard import _plots
from tests.dashboard.conftest import objective


def _plain(node: Any) -> Any:
    """JSON with plotly's typed arrays (``{"dtype", "bdata"}``) as lists, as plotly.js reads
    them, and integral floats as ints."""
    if isinstance(node, dict):
        if {"dtype", "bdata"} <= set(node):
            array = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
            if "shape" in node:
                array = array.reshape([int(n) for n in str(node["shape"]).split(",")])
            return _plain(array.tolist())
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node


@pytest.mark.parametrize(
    "plot",
    [
        "plot_optimization_history",
        "plot_intermediate_values",
        "plot_contour",
        "plot_slice",
        "plot_parallel_coordinate",
        "plot_rank",
        "plot_edf",
        "plot_timeline",
    ],
)
def test_the_plot_json_is_the_figures(plot: str) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=1))
    study.optimize(objective, n_trials=8)
    figure = getattr(vis, plot)(study)

    assert _plain(json.loads(_plots.to_json(figure))) == _plain(json.loads(figure.to_json()))


def test_long_arrays_of_numbers_travel_as_typed_arrays_with_the_same_numbers() -> None:
    # A history of 1,500 trials: its numbers and values as plotly.js's typed arrays (no text
    # per number to write), every bit kept; arrays with gaps or text stay JSON lists.
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    study = tansaku.create_study()
    rng = np.random.default_rng(0)
    study.add_trials(
        [
            tansaku.trial.create_trial(value=float(v), state=tansaku.trial.TrialState.COMPLETE)
            for v in rng.normal(size=1500)
        ]
    )
    figure = vis.plot_optimization_history(study)
    figure.add_scatter(y=[1.5, None] * 600, text=["a"] * 1200)

    sent = json.loads(_plots.to_json(figure))

    values, best, _, gaps = sent["data"]
    assert values["x"]["dtype"] == "i2" and values["y"]["dtype"] == "f8"
    assert best["y"]["dtype"] == "f8"
    assert gaps["y"][:2] == [1.5, None] and gaps["text"][:1] == ["a"]
    decoded = np.frombuffer(base64.b64decode(values["y"]["bdata"]), dtype="f8")
    assert decoded.tolist() == list(figure.data[0].y)
    assert _plain(sent) == _plain(json.loads(figure.to_json()))
