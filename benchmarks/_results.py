"""Result documents: raw runs plus context as JSON, rendered tables as Markdown."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks._impls import installed_version, is_known

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def environment(impls: list[str]) -> dict[str, Any]:
    """What a reader needs to judge the numbers: machine, Python, versions compared."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "versions": {name: installed_version(name) for name in impls if is_known(name)},
        "argv": sys.argv[1:],
    }


def new_document(suite: str, mode: str, impls: list[str], config: dict[str, Any]) -> dict:
    return {
        "suite": suite,
        "mode": mode,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "impls": impls,
        "env": environment(impls),
        "config": config,
        "runs": [],
    }


def write(doc: dict[str, Any], markdown: str, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{doc['suite']}.json"
    md_path = out_dir / f"{doc['suite']}.md"
    partial = json_path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    partial.replace(json_path)
    md_path.write_text(markdown + "\n")
    return json_path, md_path


def load(suite: str, out_dir: Path) -> dict[str, Any] | None:
    path = out_dir / f"{suite}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def header(doc: dict[str, Any], title: str) -> str:
    env = doc["env"]
    versions = ", ".join(f"{name} {v or 'not installed'}" for name, v in env["versions"].items())
    return (
        f"## {title}\n\n"
        f"Mode `{doc['mode']}`, {doc['created']}, {env['cpu_count']} CPUs, "
        f"Python {env['python']}; {versions}."
    )


def outcomes_by_impl(doc: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Runs grouped by (cell key, implementation)."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for run in doc["runs"]:
        groups[(cell_key(run["cell"]), run["impl"])].append(run)
    return groups


def cell_key(cell: dict[str, Any]) -> str:
    return json.dumps(cell, sort_keys=True)


def status_of(runs: list[dict[str, Any]]) -> tuple[str, str]:
    """One word for a cell of one implementation: ok, missing, error, timeout; and why."""
    if not runs:
        return "not run", ""
    if any(r["status"] == "ok" for r in runs):
        return "ok", ""
    first = runs[0]
    return first["status"], first.get("reason", "")


UNMEASURABLE = ("missing", "not available")


def problem_notes(doc: dict[str, Any], describe: Any) -> list[str]:
    """Every (implementation, cell) that produced no numbers, grouped by reason: none hidden."""
    groups: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for (key, impl), runs in sorted(outcomes_by_impl(doc).items(), key=lambda kv: kv[0][1]):
        failed = [r for r in runs if r["status"] != "ok"]
        if not failed:
            continue
        first = failed[0]
        reason = " ".join(first.get("reason", "").split())[:200]
        label = describe(json.loads(key))
        if first["status"] not in UNMEASURABLE:
            label += f" ({len(failed)}/{len(runs)} runs)"
        impls, labels = groups.setdefault((first["status"], reason), ([], []))
        if impl not in impls:
            impls.append(impl)
        if label not in labels:
            labels.append(label)
    return [
        f"{', '.join(impls)} {status}: {reason} — {', '.join(labels)}"
        for (status, reason), (impls, labels) in groups.items()
    ]
