"""The deep-learning pruning callbacks keep optuna_integration 5.0's names, signatures and hooks.

Runs in the benchmark environment, where optuna_integration imports its callbacks without
Lightning or Keras installed. Where tansaku's adapters cannot import their framework either,
they are imported against minimal stand-ins of the base classes they subclass (as the docs
build does with Sphinx's mock): only names and signatures are compared here; behaviour is
tested against the real frameworks in tests/integration/.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

ADAPTERS = ("tansaku.integration.pytorch_lightning", "tansaku.integration.keras")
# (class name, its module below tansaku.integration / optuna_integration, the hooks it defines)
CALLBACKS = [
    (
        "PyTorchLightningPruningCallback",
        "pytorch_lightning",
        ("__init__", "on_fit_start", "on_validation_end", "check_pruned"),
    ),
    ("KerasPruningCallback", "keras", ("__init__", "on_epoch_end")),
]


def _stand_in(monkeypatch: pytest.MonkeyPatch, name: str, **attributes: Any) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    monkeypatch.setitem(sys.modules, name, module)


def _forget_adapters() -> None:
    import tansaku.integration

    for name in ADAPTERS:
        sys.modules.pop(name, None)
        child = name.rpartition(".")[2]
        if child in vars(tansaku.integration):
            delattr(tansaku.integration, child)


@pytest.fixture
def tansaku_integration(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    """tansaku.integration, its adapters importable (against stand-ins where needed)."""
    if importlib.util.find_spec("lightning") is None:
        strategies = types.SimpleNamespace(ParallelStrategy=type("ParallelStrategy", (), {}))
        _stand_in(monkeypatch, "lightning")
        _stand_in(monkeypatch, "lightning.pytorch", Callback=type("Callback", (), {}))
        _stand_in(monkeypatch, "lightning.pytorch.strategies", **vars(strategies))
    if importlib.util.find_spec("keras") is None:
        _stand_in(monkeypatch, "keras")
        _stand_in(monkeypatch, "keras.callbacks", Callback=type("Callback", (), {}))
    else:
        monkeypatch.setitem(os.environ, "KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "torch"))
    _forget_adapters()
    import tansaku.integration

    yield tansaku.integration
    _forget_adapters()


def _shape(function: Any) -> list[tuple[str, Any, Any]]:
    """Names, kinds and defaults of the parameters (annotations are spelled differently)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(("name", "module", "hooks"), CALLBACKS)
def test_callback_has_optunas_name_module_signature_and_hooks(
    tansaku_integration: types.ModuleType, name: str, module: str, hooks: tuple[str, ...]
) -> None:
    optuna_integration = importlib.import_module("optuna_integration")
    theirs = getattr(optuna_integration, name)
    ours = getattr(tansaku_integration, name)
    assert ours is getattr(importlib.import_module(f"tansaku.integration.{module}"), name)
    assert theirs is getattr(importlib.import_module(f"optuna_integration.{module}"), name)
    for hook in hooks:
        assert hook in vars(ours), f"{name}.{hook} is missing"
        assert _shape(getattr(ours, hook)) == _shape(getattr(theirs, hook)), hook
    public = {n for n in vars(theirs) if not n.startswith("_")}
    assert public <= {n for n in dir(ours) if not n.startswith("_")}


def test_both_callbacks_are_in_the_integration_packages_all(
    tansaku_integration: types.ModuleType,
) -> None:
    names = {name for name, _, _ in CALLBACKS}
    assert names <= set(tansaku_integration.__all__)
    assert names <= set(importlib.import_module("optuna_integration").__all__)
