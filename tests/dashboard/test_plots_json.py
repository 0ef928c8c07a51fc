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
