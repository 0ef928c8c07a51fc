"""tansaku's tracking callbacks have optuna-integration 5.0's names, signatures and members.

MLflowCallback, WeightsAndBiasesCallback and TensorBoardCallback are compared, at the paths
users import them from (``optuna_integration.mlflow.MLflowCallback``, and the package-level
``optuna_integration.MLflowCallback``), with the same checks as the public surface test.

optuna-integration defines these classes without importing MLflow, W&B or TensorBoard, so the
benchmark environment does not install them; tansaku's adapters import their framework when
their module is imported, so where a framework is missing it is replaced here by an empty
stand-in module: a signature does not depend on it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from tests.compat.test_public_surface import SurfaceReport, compare_classes, signature_differences

# (the module users import each callback from in optuna_integration, tansaku's, the class)
CALLBACKS = [
    ("optuna_integration.mlflow", "tansaku.integration.mlflow", "MLflowCallback"),
    ("optuna_integration.wandb", "tansaku.integration.wandb", "WeightsAndBiasesCallback"),
    ("optuna_integration.tensorboard", "tansaku.integration.tensorboard", "TensorBoardCallback"),
]
FRAMEWORKS = ("mlflow", "wandb", "tensorboard")


class _StandInModule(types.ModuleType):
    """A module any attribute of which exists (as a placeholder object)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return object()


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an empty stand-in for each of ``roots`` and any module below them."""

    def __init__(self, roots: Sequence[str]) -> None:
        self._roots = frozenset(roots)

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.partition(".")[0] not in self._roots:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _StandInModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__path__ = []


@pytest.fixture
def adapters(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """tansaku's tracking adapters importable, against stand-ins for missing frameworks."""
    missing = [name for name in FRAMEWORKS if importlib.util.find_spec(name) is None]
    finder = _StandInFinder(missing)
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    before = set(sys.modules)
    for _, module, _ in CALLBACKS:
        monkeypatch.delitem(sys.modules, module, raising=False)
    yield
    # Forget what was imported against the stand-ins, so no later test sees it.
    for name in set(sys.modules) - before:
        if name.partition(".")[0] in missing or name.startswith("tansaku.integration."):
            del sys.modules[name]


@pytest.mark.usefixtures("adapters")
def test_tracking_callbacks_have_optuna_integrations_signatures_and_members() -> None:
    optuna_integration = importlib.import_module("optuna_integration")
    import tansaku.integration

    report = SurfaceReport()
    for their_module, our_module, name in CALLBACKS:
        theirs = getattr(importlib.import_module(their_module), name)
        ours = getattr(importlib.import_module(our_module), name)
        assert name in importlib.import_module(our_module).__all__
        compare_classes(f"{their_module}.{name}", ours, theirs, report)
        report.add(
            f"{their_module}.{name}.__call__",
            signature_differences(ours.__call__, theirs.__call__),
        )
        # The package-level name is the same class in both.
        assert getattr(optuna_integration, name) is theirs
        assert getattr(tansaku.integration, name) is ours
    assert not report.mismatches, "\n".join(report.mismatches)


@pytest.mark.usefixtures("adapters")
def test_a_signature_difference_would_be_reported() -> None:
    from tansaku.integration.tensorboard import TensorBoardCallback

    theirs = importlib.import_module("optuna_integration.tensorboard").TensorBoardCallback

    class Renamed(TensorBoardCallback):
        def __init__(self, dirname: str, metric: str = "value") -> None:
            super().__init__(dirname, metric)

    report = SurfaceReport()
    compare_classes("TensorBoardCallback", Renamed, theirs, report)
    assert report.mismatches and "missing parameters ['metric_name']" in report.mismatches[0]
