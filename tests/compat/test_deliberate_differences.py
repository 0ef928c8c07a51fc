"""The deliberate differences from Optuna listed in ``deliberate_differences.toml`` are true.

Each entry with a ``check`` is run against both packages and must give the recorded outcome
for each, so the list cannot silently go stale when either side changes; every test an entry
names must exist.
"""

from __future__ import annotations

import types
import warnings
from pathlib import Path
from typing import Any

import pytest
import tomllib

import tansaku

ROOT = Path(__file__).resolve().parents[2]
DIFFERENCES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).with_name("deliberate_differences.toml")).read_text()
)["difference"]


def _outcome(check: str, package: types.ModuleType) -> str:
    """``"ok"``, or the class name of what ``check`` raised (warnings raised as errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            exec(check, {"pkg": package})
        except Exception as error:  # the outcome is what is recorded
            return type(error).__name__
    return "ok"


def test_every_difference_has_its_fields_and_a_unique_id() -> None:
    required = {"id", "summary", "optuna", "tansaku", "tests"}
    for difference in DIFFERENCES:
        assert required <= set(difference), difference.get("id")
        if "check" in difference:
            assert {"optuna_outcome", "tansaku_outcome"} <= set(difference), difference["id"]
    ids = [d["id"] for d in DIFFERENCES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "difference", [d for d in DIFFERENCES if "check" in d], ids=lambda d: d["id"]
)
def test_each_check_shows_the_recorded_difference(
    difference: dict[str, Any], optuna: types.ModuleType
) -> None:
    check = difference["check"]
    assert _outcome(check, optuna) == difference["optuna_outcome"]
    assert _outcome(check, tansaku) == difference["tansaku_outcome"]


@pytest.mark.parametrize("difference", DIFFERENCES, ids=lambda d: d["id"])
def test_each_named_test_exists(difference: dict[str, Any]) -> None:
    for reference in difference["tests"]:
        path, name = reference.split("::")
        assert f"def {name}(" in (ROOT / path).read_text(), reference


def test_optuna_reads_a_sqlite_study_tansaku_wrote_with_tuple_choices(
    tmp_path: Path, optuna: types.ModuleType
) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = tansaku.create_study(
        study_name="s", storage=url, sampler=tansaku.samplers.RandomSampler(seed=0)
    )
    study.optimize(lambda t: len(t.suggest_categorical("layers", [(32,), (64, 32)])), n_trials=4)
    assert all(type(t.params["layers"]) is tuple for t in study.trials)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Optuna warns about the list choices
        theirs = optuna.load_study(study_name="s", storage=url)
        assert [t.params["layers"] for t in theirs.trials] == [
            list(t.params["layers"]) for t in study.trials
        ]
        theirs.optimize(
            lambda t: len(t.suggest_categorical("layers", [[32], [64, 32]])), n_trials=1
        )
    # tansaku reads Optuna's trial back as Optuna wrote it: lists, without the marker.
    again = tansaku.load_study(study_name="s", storage=url).trials
    assert len(again) == 5
    assert type(again[4].params["layers"]) is list
