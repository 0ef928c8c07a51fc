"""``python -m benchmarks <suite> [--impls tansaku,optuna,rustuna] [--quick]``.

Suites: overhead, quality, pruning, storage, importance; ``all`` runs them all and then
``report``, which regenerates ``results/README.md`` from the JSON files.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import _results, _runner
from benchmarks._impls import IMPL_NAMES, SAMPLERS, is_known
from benchmarks.report import write_report
from benchmarks.suites import SUITE_NAMES


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _int_list(text: str) -> tuple[int, ...]:
    """``"1,3,5-7"`` -> (1, 3, 5, 6, 7)."""
    values: list[int] = []
    for part in _csv(text):
        low, _, high = part.partition("-")
        values.extend(range(int(low), int(high or low) + 1))
    return tuple(values)


def _override(preset: Any, args: argparse.Namespace) -> Any:
    """The preset with the problem-set fields given on the command line replaced."""
    fields = {
        name: getattr(args, name, None)
        for name in ("functions", "dims", "budgets", "instances", "functions_per_task", "spaces")
    }
    given = {name: value for name, value in fields.items() if value and hasattr(preset, name)}
    if not given:
        return preset
    if "dims" in given and hasattr(preset, "sampler_dims"):
        given["sampler_dims"] = ()
    if "budgets" in given and getattr(preset, "gp_budgets", None) is not None:
        given["gp_budgets"] = given["budgets"]
    return dataclasses.replace(preset, **given)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("suite", choices=[*SUITE_NAMES, "all", "report"])
    parser.add_argument(
        "--impls",
        type=_csv,
        default=IMPL_NAMES,
        help="comma-separated; ratios are of the first to each other (default: %(default)s)",
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--quick", action="store_true", help="small sizes (make bench)")
    sizes.add_argument("--smoke", action="store_true", help="tiny sizes (tests)")
    parser.add_argument("--repeats", type=int, help="override the preset's repeat count")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="parallel workers for suites that time nothing (quality); default %(default)s",
    )
    parser.add_argument(
        "--samplers", type=_csv, help=f"subset of {','.join(SAMPLERS)} (overhead, quality)"
    )
    # Problem-set overrides of the preset (quality): e.g. the CMA-ES restart tables run
    # --samplers cmaes_ipop --functions 15-24 --dims 5,10 --budgets 1000 --instances 1-10.
    parser.add_argument("--functions", type=_int_list, help="BBOB functions, e.g. 15-24 (quality)")
    parser.add_argument("--dims", type=_int_list, help="dimensions, e.g. 5,10 (quality)")
    parser.add_argument("--budgets", type=_int_list, help="trial budgets, e.g. 300,1000 (quality)")
    parser.add_argument(
        "--instances", type=_int_list, help="instances (seeds), e.g. 1-10 (quality)"
    )
    parser.add_argument("--spaces", type=_csv, help="search spaces, e.g. float10 (overhead)")
    parser.add_argument(
        "--functions-per-task", type=int, help="BBOB functions per worker process (quality)"
    )
    parser.add_argument(
        "--resume",
        type=Path,
        help="JSON-lines journal of finished runs: reused when found, appended as runs finish",
    )
    parser.add_argument("--out", type=Path, default=_results.RESULTS_DIR, help="results dir")
    args = parser.parse_args(argv)
    unknown = [name for name in args.impls if not is_known(name)]
    if unknown or not args.impls:
        parser.error(
            f"--impls: unknown {unknown}; choose from {','.join(IMPL_NAMES)} or "
            "tansaku@<dir> (the tansaku of another checkout)"
        )
    if args.samplers and (bad := [s for s in args.samplers if s not in SAMPLERS]):
        parser.error(f"--samplers: unknown {bad}; choose from {','.join(SAMPLERS)}")
    return args


def run_suite(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Measure one suite on every requested implementation; write and print its tables."""
    suite: ModuleType = importlib.import_module(f"benchmarks.suites.{name}")
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    preset = _override(suite.PRESETS[mode], args)
    repeats = args.repeats or preset.repeats
    impls = list(args.impls)
    config = {**suite.config(preset), "repeats": repeats}
    doc = _results.new_document(name, mode, impls, config)

    if hasattr(suite, "prepare"):
        suite.prepare(preset)

    def measure(cell: dict[str, Any], impl: str, repeat: int) -> dict[str, Any]:
        if hasattr(suite, "measure"):
            return suite.measure(cell, impl, repeat, preset)
        task = {**cell, "seed": repeat}
        return _runner.run_worker(name, impl, task, timeout=preset.timeout_s)

    schedule = _runner.Schedule(
        suite=name,
        impls=impls,
        repeats=repeats,
        measure=measure,
        describe=suite.describe,
        jobs=args.jobs if suite.PARALLEL_SAFE else 1,
        journal=args.resume,
    )
    started = time.perf_counter()
    doc["runs"] = schedule.run(suite.plan(preset, args.samplers))
    doc["elapsed_s"] = round(time.perf_counter() - started, 1)
    markdown = suite.render(doc)
    json_path, md_path = _results.write(doc, markdown, args.out)
    print(suite.render(doc, detail=False) + "\n", flush=True)
    print(f"[{name}] {doc['elapsed_s']} s; wrote {json_path} and {md_path}", file=sys.stderr)
    return doc


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.suite == "report":
        path = write_report(args.out)
        print(f"wrote {path}")
        return 0
    names = SUITE_NAMES if args.suite == "all" else (args.suite,)
    started = time.perf_counter()
    for name in names:
        run_suite(name, args)
    if args.suite == "all":
        path = write_report(args.out)
        print(f"[all] {time.perf_counter() - started:.0f} s; wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
