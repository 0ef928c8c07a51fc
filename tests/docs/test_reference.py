"""Every public name is in the API reference (docs/api/*.rst): none can land undocumented.

A name is public when it is in the ``__all__`` of ``tansaku`` or of a public module below it
(PUBLIC_MODULES) and does not start with ``_``. It is documented when an autodoc directive
names it, or names another public path to the same object (``tansaku.create_study`` documents
``tansaku.study.create_study``), or documents its module with ``:members:``. The build itself
(``make docs``) checks that each documented object has a docstring and each reference resolves.

Adapters that subclass an optional framework (``tansaku.integration``) are imported against
Sphinx's stand-in for it, as the build does (``autodoc_mock_imports``), so the check runs where
that framework is not installed.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sphinx.ext.autodoc.mock import mock

API = Path(__file__).resolve().parents[2] / "docs" / "api"
# Public modules whose __all__ is checked; the subpackages that tansaku.__all__ names are added.
PUBLIC_MODULES = [
    "tansaku",
    "tansaku.artifacts.exceptions",
    "tansaku.cli",
    "tansaku.dashboard",
    "tansaku.integration",
    "tansaku.samplers.nsgaii",
    "tansaku.storages.journal",
    "tansaku.visualization.matplotlib",
]
# The frameworks of the integration adapters that `make test` does not install (the docs build
# and `make test-integrations` do): stand-ins here, so the check runs without them.
MOCKED_FRAMEWORKS = [
    "ray",
    "dask",
    "distributed",
    "mlflow",
    "wandb",
    "tensorboard",
    "lightgbm",
    "xgboost",
    "catboost",
    "skopt",
    "torch",
    "lightning",
    "pytorch_lightning",
    "keras",
]
DIRECTIVE = re.compile(r"^\.\. auto(\w+):: (\S+)\s*\n((?:[ \t]+:.*\n)*)", re.MULTILINE)


@contextmanager
def _frameworks_mocked() -> Iterator[None]:
    """Import the integration adapters against stand-ins; forget them afterwards.

    Sphinx's mock removes the stand-ins on exit; the adapter modules imported meanwhile are
    removed too, so a later test imports the real adapter (or gets the real ImportError).
    """
    before = set(sys.modules)
    with mock(MOCKED_FRAMEWORKS):
        yield
    for name in set(sys.modules) - before:
        if name.startswith("tansaku.integration."):
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if hasattr(sys.modules.get(parent), child):
                delattr(sys.modules[parent], child)


@pytest.fixture(autouse=True)
def frameworks_mocked() -> Iterator[None]:
    # The ids compared below belong to objects alive for the whole test.
    with _frameworks_mocked():
        yield


def _resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(dotted)


def public_modules() -> list[str]:
    import tansaku

    submodules = [
        f"tansaku.{name}"
        for name in tansaku.__all__
        if isinstance(getattr(tansaku, name), ModuleType)
    ]
    return sorted(set(PUBLIC_MODULES) | set(submodules))


def documented() -> tuple[set[int], set[str]]:
    """The ids of the documented objects, and the modules documented with their members."""
    objects: set[int] = set()
    modules: set[str] = set()
    for page in API.glob("*.rst"):
        for kind, name, options in DIRECTIVE.findall(page.read_text()):
            if kind == "module":
                objects.add(id(importlib.import_module(name)))
                if ":members:" in options:
                    modules.add(name)
                    module = importlib.import_module(name)
                    objects.update(id(getattr(module, n)) for n in module.__all__)
            else:
                objects.add(id(_resolve(name)))
    return objects, modules


def undocumented_names(objects: set[int], modules: set[str]) -> list[str]:
    missing = []
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        if module_name in modules:
            continue
        for name in module.__all__:
            if name.startswith("_"):
                continue
            if id(getattr(module, name)) not in objects:
                missing.append(f"{module_name}.{name}")
    return missing


def test_every_public_name_is_in_the_api_reference() -> None:
    objects, modules = documented()
    missing = undocumented_names(objects, modules)
    assert not missing, (
        f"public names missing from docs/api/*.rst (add an autodoc entry): {missing}"
    )


def test_a_public_name_left_out_of_the_reference_is_reported() -> None:
    import tansaku.samplers

    objects, modules = documented()
    objects.discard(id(tansaku.samplers.TPESampler))
    assert undocumented_names(objects, modules) == ["tansaku.samplers.TPESampler"]


def test_every_public_module_has_a_page() -> None:
    objects, _ = documented()
    missing = [m for m in public_modules() if id(importlib.import_module(m)) not in objects]
    assert not missing, f"public modules without an automodule entry: {missing}"
