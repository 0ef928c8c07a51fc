"""Run one small program under Optuna and under tansaku and describe what it did, as a string.

A case is a function ``case(lib)`` that uses ``lib`` as a program uses ``import ... as optuna``
and returns something that does not depend on the library (state names, numbers, tuples of
them). Its observation is ``returns <repr>`` (the class name for an object
without a repr of its own) or ``raises <ExceptionType>``, followed by
``; warns <Category>,...`` when warnings of those categories were issued. Two libraries behave
alike on a case when the observations are equal; the deliberate differences are listed, with the
observation of each library, in ``deliberate_differences.toml`` beside this file.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomllib

import tansaku

Case = Callable[[ModuleType], Any]
DIFFERENCES_PATH = Path(__file__).with_name("deliberate_differences.toml")
DIFFERENCE_FIELDS = (
    "id",
    "what",
    "optuna",
    "tansaku",
    "why",
    "optuna_observes",
    "tansaku_observes",
)

# Warnings that third-party libraries issue on their own schedule (first use, versions): they
# say nothing about the behaviour under test.
_IGNORED_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ResourceWarning)


def load_differences() -> dict[str, dict[str, str]]:
    """The deliberate differences by id; fails on an entry missing a field or a repeated id."""
    with DIFFERENCES_PATH.open("rb") as file:
        entries = tomllib.load(file)["difference"]
    by_id: dict[str, dict[str, str]] = {}
    for entry in entries:
        missing = [field for field in DIFFERENCE_FIELDS if not entry.get(field)]
        assert not missing, f"deliberate difference {entry.get('id')!r} lacks {missing}"
        assert entry["id"] not in by_id, f"deliberate difference {entry['id']!r} is listed twice"
        by_id[entry["id"]] = entry
    return by_id


def observe(case: Case, lib: ModuleType) -> str:
    """Run ``case(lib)`` once, quietly, and describe its outcome and its warnings."""
    _quiet(lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            text = f"returns {_describe(case(lib))}"
        except (Exception, KeyboardInterrupt, SystemExit) as error:
            text = f"raises {type(error).__name__}"
    categories = sorted(
        {w.category.__name__ for w in caught if not issubclass(w.category, _IGNORED_WARNINGS)}
    )
    if categories:
        text += "; warns " + ",".join(categories)
    return text


def check_case(case_id: str, case: Case, optuna: ModuleType) -> None:
    """Assert that tansaku behaves as Optuna on ``case``, or differs exactly as recorded."""
    observed_optuna = observe(case, optuna)
    observed_tansaku = observe(case, tansaku)
    difference = load_differences().get(case_id)
    if difference is None:
        assert observed_tansaku == observed_optuna, (
            f"{case_id}: tansaku {observed_tansaku!r} but Optuna {observed_optuna!r}"
        )
    else:
        assert (observed_optuna, observed_tansaku) == (
            difference["optuna_observes"],
            difference["tansaku_observes"],
        ), f"{case_id}: the deliberate difference no longer holds as recorded"


def case_params(cases: dict[str, Case]) -> Any:
    """``cases`` as pytest params, each with its id."""
    return [pytest.param(case_id, case, id=case_id) for case_id, case in cases.items()]


def _describe(value: Any) -> str:
    text = repr(value)
    # An object without a repr of its own is described by its class (its address varies).
    return type(value).__name__ if " object at 0x" in text else text


def _quiet(lib: ModuleType) -> None:
    # Failed trials log a warning with a traceback in both libraries; the test output does not
    # need them.
    lib.logging.set_verbosity(logging.ERROR)
    if "optuna" in sys.modules and lib is not tansaku:
        logging.getLogger("optuna").setLevel(logging.ERROR)
