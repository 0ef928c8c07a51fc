"""One measurement in a fresh process: ``python -m benchmarks._worker RESULT_PATH``.

The first line of stdin is the JSON spec ``{"suite": ..., "impl": ..., "task": {...}}``; the
outcome goes to RESULT_PATH as JSON: ``{"status": "ok", "data": ...}``, ``"missing"`` when
the implementation lacks a feature the task needs, or ``"error"``. A task may read further
lines from stdin (the storage suite's start signal). A fresh process per measurement keeps
implementations from sharing caches, allocator state or imported modules.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import warnings
from typing import Any

from benchmarks._impls import MissingFeature, load


def _missing_reason(exc: NotImplementedError) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (in {frames[-1].name})" if frames else ""
    return f"NotImplementedError{where}: {exc}".rstrip(": ")


def execute(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one task and return its outcome; never raises for a failing implementation."""
    started = time.perf_counter()
    try:
        impl = load(spec["impl"])
        suite = importlib.import_module(f"benchmarks.suites.{spec['suite']}")
        outcome: dict[str, Any] = {"status": "ok", "data": suite.run_task(impl, spec["task"])}
    except MissingFeature as exc:
        outcome = {"status": "missing", "reason": str(exc)}
    except NotImplementedError as exc:
        outcome = {"status": "missing", "reason": _missing_reason(exc)}
    except Exception as exc:
        outcome = {
            "status": "error",
            "reason": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc(limit=-6),
        }
    outcome["seconds"] = time.perf_counter() - started
    return outcome


def main(argv: list[str]) -> int:
    result_path = argv[1]
    spec = json.loads(sys.stdin.readline())
    warnings.simplefilter("ignore")
    outcome = execute(spec)
    partial = f"{result_path}.partial"
    with open(partial, "w") as f:
        json.dump(outcome, f)
    os.replace(partial, result_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
