"""tansaku.integration loads each framework only when its adapter is used, and says how to
install a missing one. Runs without Ray (in the normal suite): Ray is hidden where it is present.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

RAY_MODULES = ("ray", "ray.tune", "ray.tune.search", "ray.cloudpickle")


def _hide_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in RAY_MODULES:
        # None in sys.modules makes the import raise ImportError, as when Ray is not installed.
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "tansaku.integration.ray_tune", raising=False)


def test_importing_the_package_loads_no_framework() -> None:
    code = (
        "import sys, tansaku.integration\n"
        "for name in ('ray', 'sklearn', 'skopt', 'distributed', 'dask'):\n"
        "    loaded = [m for m in sys.modules if m == name or m.startswith(name + '.')]\n"
        "    assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# Adapter module, a module of its framework to hide, public name, and the install hint.
ADAPTERS = [
    (
        "tansaku.integration.sklearn",
        "sklearn",
        "OptunaSearchCV",
        r'"scikit-learn>=1\.6".*tansaku\[sklearn\]',
    ),
    ("tansaku.integration.skopt", "skopt", "SkoptSampler", r'"scikit-optimize".*tansaku\[skopt\]'),
    (
        "tansaku.integration.dask",
        "distributed",
        "DaskStorage",
        r'"dask\[distributed\]".*tansaku\[cluster\]',
    ),
]


@pytest.mark.parametrize(("module", "framework", "name", "hint"), ADAPTERS)
def test_an_adapter_without_its_framework_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, framework: str, name: str, hint: str
) -> None:
    import tansaku.integration

    # None in sys.modules makes the import raise ImportError, as when it is not installed;
    # submodules an earlier test imported are hidden too.
    for loaded in [m for m in sys.modules if m == framework or m.startswith(f"{framework}.")]:
        monkeypatch.setitem(sys.modules, loaded, None)
    monkeypatch.setitem(sys.modules, framework, None)
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError, match=f"{module} needs .*{hint}"):
        importlib.import_module(module)
    with pytest.raises(ImportError, match=hint):
        getattr(tansaku.integration, name)


def test_ray_tune_module_without_ray_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hide_ray(monkeypatch)
    with pytest.raises(ImportError, match=r'pip install "ray\[tune\]".*tansaku\[cluster\]'):
        import tansaku.integration.ray_tune  # noqa: F401


def test_tansaku_search_attribute_without_ray_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tansaku.integration

    _hide_ray(monkeypatch)
    with pytest.raises(ImportError, match=r'pip install "ray\[tune\]"'):
        tansaku.integration.TansakuSearch  # noqa: B018
    with pytest.raises(AttributeError, match="has no attribute 'OptunaSearch'"):
        tansaku.integration.OptunaSearch  # noqa: B018
