"""Worker processes and the interleaved schedule every suite runs on.

Each measurement runs in a fresh subprocess. Implementations alternate within every repeat
(A, B, C, then B, C, A, ...), and the repeats of one cell are spread over the whole suite, so a
slow phase of a shared machine lands on all implementations alike instead of on one of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

# One BLAS/OpenMP thread per worker: CPU time then measures work rather than spinning
# threads, and concurrent workers of the storage suite do not oversubscribe the cores.
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in THREAD_ENV:
        env.setdefault(name, "1")
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(REPO_ROOT) not in paths:
        paths.append(str(REPO_ROOT))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


class Worker:
    """A running ``benchmarks._worker`` process."""

    def __init__(self, suite: str, impl: str, task: dict[str, Any]) -> None:
        self._dir = tempfile.mkdtemp(prefix="tansaku-bench-")
        self.result_path = os.path.join(self._dir, "result.json")
        self.ready_path = self.result_path + ".ready"
        self._stderr = open(os.path.join(self._dir, "stderr.txt"), "w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._worker", self.result_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            env=worker_env(),
            cwd=REPO_ROOT,
            text=True,
        )
        spec = {"suite": suite, "impl": impl, "task": {**task, "ready_path": self.ready_path}}
        self.send(json.dumps(spec))

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the task signals it is set up (or the process ended)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.ready_path) or self.process.poll() is not None:
                return os.path.exists(self.ready_path)
            time.sleep(0.005)
        return False

    def finish(self, timeout: float | None) -> dict[str, Any]:
        """Wait for the outcome; a hung worker is killed and reported as a timeout."""
        try:
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return {"status": "timeout", "reason": f"no result within {timeout:.0f} s"}
            try:
                with open(self.result_path) as f:
                    return json.load(f)
            except FileNotFoundError:
                self._stderr.seek(0)
                tail = " ".join(self._stderr.read()[-800:].split())
                code = self.process.returncode
                return {"status": "error", "reason": f"worker exited with {code}: {tail}"}
        finally:
            self.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        """Release the pipes and the scratch directory (the process must have ended)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.process.stdin.close()
        self._stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)


def run_worker(suite: str, impl: str, task: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one task in a fresh process and return its outcome."""
    worker = Worker(suite, impl, task)
    worker.send("")  # the start signal, for tasks that wait for one
    return worker.finish(timeout)


Measure = Callable[[dict[str, Any], str, int], dict[str, Any]]


@dataclass
class Schedule:
    """Runs cells x implementations x repeats, interleaved, and collects the records."""

    suite: str
    impls: Sequence[str]
    repeats: int
    measure: Measure
    describe: Callable[[dict[str, Any]], str]
    jobs: int = 1
    # Append-only JSON lines of finished runs: a run found there (same cell, implementation
    # and repeat, status ok) is reused instead of measured, so a long suite can resume.
    journal: Path | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _known_missing: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def order(self, cells: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], str, int]]:
        runs = []
        for rep in range(self.repeats):
            shift = rep % len(self.impls)
            rotated = [*self.impls[shift:], *self.impls[:shift]]
            runs.extend((cell, impl, rep) for cell in cells for impl in rotated)
        return runs

    def _journaled(self) -> dict[tuple[str, str, int], dict[str, Any]]:
        if self.journal is None or not self.journal.exists():
            return {}
        done = {}
        for line in self.journal.read_text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line cut by a kill
                record = json.loads(line)
                if record.get("status") == "ok":
                    key = (json.dumps(record["cell"], sort_keys=True), record["impl"])
                    done[(*key, record["repeat"])] = record
        return done

    def run(self, cells: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        done = self._journaled()
        runs = self.order(cells)
        total = len(runs)
        counter = iter(range(1, total + 1))

        def one(item: tuple[dict[str, Any], str, int]) -> None:
            cell, impl, rep = item
            key = (json.dumps(cell, sort_keys=True), impl)
            if (previous := done.get((*key, rep))) is not None:
                with self._lock:
                    self.records.append(previous)
                    next(counter)
                return
            with self._lock:
                known = self._known_missing.get(key)
            if known is not None:
                # A feature does not appear between repeats: measure it once.
                outcome = {**known, "seconds": 0.0}
            else:
                outcome = self.measure(cell, impl, rep)
            record = {"cell": cell, "impl": impl, "repeat": rep, **outcome}
            with self._lock:
                if outcome["status"] in ("missing", "not available"):
                    self._known_missing[key] = {
                        "status": outcome["status"],
                        "reason": outcome["reason"],
                    }
                self.records.append(record)
                index = next(counter)
                if self.journal is not None:
                    with self.journal.open("a") as f:
                        f.write(json.dumps(record) + "\n")
            if known is None:
                note = outcome["status"]
                if outcome["status"] != "ok":
                    note += f" ({outcome.get('reason', '')[:100]})"
                print(
                    f"[{self.suite} {index}/{total}] {impl:8s} {self.describe(cell)} "
                    f"#{rep}: {note} {outcome.get('seconds', 0.0):.1f}s",
                    file=sys.stderr,
                    flush=True,
                )

        if self.jobs <= 1:
            for item in runs:
                one(item)
        else:
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                list(pool.map(one, runs))
        self.records.sort(key=lambda r: (r["repeat"], json.dumps(r["cell"], sort_keys=True)))
        return self.records
