"""What ``import tansaku`` loads: none of the heavy libraries until a feature needs them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("scipy", "sqlalchemy", "alembic", "pandas", "plotly", "matplotlib", "sklearn", "yaml")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {name.split(".")[0] for name in output.split()}


def test_import_tansaku_loads_no_heavy_library() -> None:
    loaded = _modules_after("import tansaku")
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_creating_an_in_memory_study_and_random_trials_load_no_heavy_library() -> None:
    statement = (
        "import tansaku\n"
        "study = tansaku.create_study(sampler=tansaku.samplers.RandomSampler(seed=0))\n"
        "study.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)"
    )
    loaded = _modules_after(statement)
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
