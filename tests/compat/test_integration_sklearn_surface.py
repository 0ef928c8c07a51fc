"""OptunaSearchCV and DaskStorage have optuna-integration 5.0's signatures and members.

Runs in the benchmark environment, where optuna-integration is installed next to tansaku. Only
the surface is compared (searches and storages run in tests/integration). Dask is not needed to
read DaskStorage's signatures: where ``distributed`` is missing, a stand-in module lets both
adapters import (neither touches it until a storage is made).
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from typing import Any

import pytest

# Members Optuna exposes as properties that return the study's bound method (or the best
# estimator's); tansaku has methods taking the same arguments, called the same way.
CALLED_ALIKE = {"score_samples", "set_user_attr", "trials_dataframe"}
# Optuna's predict, transform, ... are plain methods; tansaku's appear only when the estimator
# it searches has them (scikit-learn's available_if), as GridSearchCV's do.
CLASSES = [
    ("optuna_integration.sklearn", "tansaku.integration.sklearn", "OptunaSearchCV"),
    ("optuna_integration.dask", "tansaku.integration.dask", "DaskStorage"),
]


@pytest.fixture
def modules(monkeypatch: pytest.MonkeyPatch) -> Any:
    try:
        importlib.import_module("optuna_integration")
    except ImportError as error:
        pytest.fail(f"tests/compat needs optuna-integration 5.0: {error}", pytrace=False)
    try:
        importlib.import_module("distributed")
    except ImportError:
        stand_in = types.ModuleType("distributed")
        stand_in.Client = stand_in.Scheduler = object  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "distributed", stand_in)
        monkeypatch.delitem(sys.modules, "tansaku.integration.dask", raising=False)
    return lambda name: importlib.import_module(name)


def _parameters(function: Any) -> list[tuple[str, Any, str]]:
    """Each parameter's name, kind and default (as text: NaN defaults compare equal)."""
    signature = inspect.signature(function)
    return [(p.name, p.kind, repr(p.default)) for p in signature.parameters.values()]


@pytest.mark.parametrize(("optuna_module", "tansaku_module", "name"), CLASSES)
def test_constructor_takes_the_same_arguments(
    modules: Any, optuna_module: str, tansaku_module: str, name: str
) -> None:
    theirs = getattr(modules(optuna_module), name)
    ours = getattr(modules(tansaku_module), name)
    assert _parameters(ours.__init__) == _parameters(theirs.__init__)


@pytest.mark.parametrize(("optuna_module", "tansaku_module", "name"), CLASSES)
def test_every_public_member_is_there_and_called_alike(
    modules: Any, optuna_module: str, tansaku_module: str, name: str
) -> None:
    theirs = getattr(modules(optuna_module), name)
    ours = getattr(modules(tansaku_module), name)
    public = sorted(n for n in dir(theirs) if not n.startswith("_"))
    assert [n for n in public if not hasattr(ours, n)] == []

    mismatches = []
    for member in public:
        their_member = inspect.getattr_static(theirs, member)
        our_member = inspect.getattr_static(ours, member)
        if isinstance(their_member, property):
            if member not in CALLED_ALIKE and not isinstance(our_member, property):
                mismatches.append(f"{member}: an attribute in Optuna, a method here")
            continue
        if not callable(their_member):
            continue
        if _parameters(getattr(ours, member)) != _parameters(getattr(theirs, member)):
            mismatches.append(
                f"{member}{inspect.signature(getattr(ours, member))} != "
                f"{inspect.signature(getattr(theirs, member))}"
            )
    assert mismatches == []
