"""Studies that the plot tests share, and the rendering of figures to files."""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: figures are rendered to PNG files

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import tansaku  # noqa: E402
from tansaku.distributions import (  # noqa: E402
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.exceptions import ExperimentalWarning  # noqa: E402
from tansaku.study import Study  # noqa: E402
from tansaku.trial import TrialState, create_trial  # noqa: E402

LR = FloatDistribution(1e-5, 1e-1, log=True)
LAYERS = IntDistribution(1, 8)
OPTIMIZER = CategoricalDistribution(["adam", "sgd"])
MOMENTUM = FloatDistribution(0.0, 0.99)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _record_warnings(recwarn: pytest.WarningsRecorder) -> None:
    """Record every test's warnings: the matplotlib plots warn that they are experimental, as
    Optuna's do, and the tests that check a warning read it from ``recwarn``."""


@pytest.fixture
def caplog_tansaku(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog receiving tansaku's WARNING records, which do not propagate to the root."""
    tansaku.logging.enable_propagation()
    try:
        with caplog.at_level(logging.WARNING, logger="tansaku"):
            yield caplog
    finally:
        tansaku.logging.disable_propagation()


def warned(caplog: pytest.LogCaptureFixture, fragment: str) -> bool:
    """Whether a WARNING record containing ``fragment`` was logged."""
    return any(
        fragment in record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING
    )


def experimental(recwarn: pytest.WarningsRecorder) -> bool:
    """Whether an ExperimentalWarning was issued."""
    return any(issubclass(w.category, ExperimentalWarning) for w in recwarn)


@pytest.fixture
def render(tmp_path: pathlib.Path) -> Callable[[Any], pathlib.Path]:
    """Render a plotly Figure to HTML or a matplotlib Axes to PNG; return the file written."""

    def write(figure: Any) -> pathlib.Path:
        if hasattr(figure, "write_html"):
            path = tmp_path / "figure.html"
            figure.write_html(path, include_plotlyjs=False)
        else:
            path = tmp_path / "figure.png"
            figure.figure.savefig(path)
            assert path.read_bytes().startswith(b"\x89PNG")
        assert path.stat().st_size > 0
        return path

    return write


@pytest.fixture
def empty_study() -> Study:
    return tansaku.create_study(study_name="empty")


@pytest.fixture
def failed_study() -> Study:
    study = tansaku.create_study(study_name="failed")
    for _ in range(3):
        study.tell(study.ask(), state=TrialState.FAIL)
    return study


def add_mixed_trials(study: Study) -> None:
    """Six completed trials with a log float, an int, a categorical and a conditional param
    (``momentum`` only with sgd), a pruned and a failed trial, all with intermediate values."""
    rows = [
        (1e-4, 2, "adam", None, 0.9),
        (1e-2, 6, "sgd", 0.5, 0.4),
        (3e-3, 4, "sgd", 0.9, 0.3),
        (5e-5, 1, "adam", None, 1.2),
        (2e-2, 8, "sgd", 0.1, 0.2),
        (1e-3, 3, "adam", None, 0.6),
    ]
    for lr, layers, optimizer, momentum, value in rows:
        params: dict[str, Any] = {"lr": lr, "layers": layers, "optimizer": optimizer}
        distributions: dict[str, Any] = {"lr": LR, "layers": LAYERS, "optimizer": OPTIMIZER}
        if momentum is not None:
            params["momentum"] = momentum
            distributions["momentum"] = MOMENTUM
        study.add_trial(
            create_trial(
                value=value,
                params=params,
                distributions=distributions,
                intermediate_values={0: value * 3, 1: value * 2, 2: value},
            )
        )
    study.add_trial(
        create_trial(
            state=TrialState.PRUNED,
            params={"lr": 1e-5, "layers": 1, "optimizer": "adam"},
            distributions={"lr": LR, "layers": LAYERS, "optimizer": OPTIMIZER},
            intermediate_values={0: 5.0, 1: 4.5},
        )
    )
    study.add_trial(create_trial(state=TrialState.FAIL))


@pytest.fixture
def mixed_study() -> Study:
    study = tansaku.create_study(study_name="mixed")
    add_mixed_trials(study)
    return study


@pytest.fixture
def multi_objective_study() -> Study:
    """Two objectives, four completed trials over one log float and one categorical param."""
    study = tansaku.create_study(study_name="two", directions=["minimize", "maximize"])
    for lr, optimizer, loss, accuracy in [
        (1e-4, "adam", 0.5, 0.7),
        (1e-2, "sgd", 0.3, 0.6),
        (1e-3, "sgd", 0.8, 0.9),
        (1e-5, "adam", 0.4, 0.8),
    ]:
        study.add_trial(
            create_trial(
                values=[loss, accuracy],
                params={"lr": lr, "optimizer": optimizer},
                distributions={"lr": LR, "optimizer": OPTIMIZER},
            )
        )
    return study
