"""The experiment-tracking callbacks (MLflow, W&B, TensorBoard) without their frameworks: what
``import tansaku.integration`` loads, the error that names the extra to install, and the naming
of objective metrics that they share. Runs in the normal suite (no framework needed): where a
framework is installed, it is hidden.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import tansaku.integration
from tansaku.integration._tracking import checked_metric_name, metric_names

# Public name, its module, the framework's top-level module, and the extra that installs it.
CALLBACKS = [
    ("MLflowCallback", "tansaku.integration.mlflow", "mlflow", "mlflow"),
    ("WeightsAndBiasesCallback", "tansaku.integration.wandb", "wandb", "wandb"),
    ("TensorBoardCallback", "tansaku.integration.tensorboard", "tensorboard", "tensorboard"),
]


def _hide(monkeypatch: pytest.MonkeyPatch, framework: str, module: str) -> None:
    """Make ``framework`` unimportable, as when it is not installed, and forget ``module``."""
    loaded = [name for name in sys.modules if name.startswith(framework + ".")]
    for name in [framework, *loaded]:
        # None in sys.modules makes an import raise ImportError, submodules included.
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, module, raising=False)
    child = module.rpartition(".")[2]
    if child in vars(tansaku.integration):
        monkeypatch.delattr(tansaku.integration, child)


def test_importing_the_package_loads_no_tracking_framework() -> None:
    code = (
        "import sys, tansaku.integration; "
        "loaded = [m for m in ('mlflow', 'wandb', 'tensorboard') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(("name", "module", "framework", "extra"), CALLBACKS)
def test_the_module_without_its_framework_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, name: str, module: str, framework: str, extra: str
) -> None:
    _hide(monkeypatch, framework, module)
    pattern = rf'{module} needs {framework}: pip install "{framework}".*tansaku\[{extra}\]'
    with pytest.raises(ImportError, match=pattern):
        __import__(module)
    with pytest.raises(ImportError, match=pattern):
        getattr(tansaku.integration, name)


@pytest.mark.parametrize("name", [entry[0] for entry in CALLBACKS])
def test_each_callback_is_public_in_the_package(name: str) -> None:
    assert name in tansaku.integration.__all__
    assert name in tansaku.integration._LAZY_NAMES


@pytest.mark.parametrize(
    ("metric_name", "n_values", "expected"),
    [
        ("value", 1, ["value"]),
        ("value", 3, ["value_0", "value_1", "value_2"]),
        (("loss",), 1, ["loss"]),
        (("loss", "accuracy"), 2, ["loss", "accuracy"]),
    ],
)
def test_metric_names_follow_the_objectives(
    metric_name: str | tuple[str, ...], n_values: int, expected: list[str]
) -> None:
    assert metric_names("Callback", metric_name, n_values) == expected


@pytest.mark.parametrize("n_values", [1, 3])
def test_a_list_of_names_must_match_the_number_of_objectives(n_values: int) -> None:
    with pytest.raises(
        ValueError, match=rf"Callback: metric_name=\['a', 'b'\] names 2 .* {n_values}"
    ):
        metric_names("Callback", ("a", "b"), n_values)


def test_a_list_of_names_is_kept_as_a_tuple_that_later_changes_cannot_reach() -> None:
    names = ["loss", "accuracy"]
    kept = checked_metric_name("Callback", names)
    names.append("extra")
    assert kept == ("loss", "accuracy")
