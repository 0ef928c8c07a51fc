"""Dashboard at scale, run by hand: a SQLite study of 50,000 trials (10 params, 20 intermediate
values each) served by the real dashboard over HTTP.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/dashboard.py [--trials N] [--db PATH]

Prints, in seconds: building the study (through the storage API, not timed as a goal), the
server's first read of it, the study page's data (study, first table page, history plot) cold
(in all and request by request) and warm, an incremental poll with nothing new and with one
new trial, the delay from ``tell`` in another process to the trial being returned by the poll
API, the trial page's data and the intermediate values plot (which reads the study whole). The
load average is printed before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

import tansaku
from tansaku.distributions import FloatDistribution
from tansaku.storages import RDBStorage
from tansaku.trial import TrialState, create_trial


def build(url: str, n_trials: int) -> int:
    storage = RDBStorage(url)
    study = tansaku.create_study(study_name="big", storage=storage)
    distributions = {f"p{i}": FloatDistribution(0.0, 1.0) for i in range(10)}
    start = datetime.datetime(2026, 1, 1)
    import random

    rng = random.Random(0)
    trials = []
    for number in range(n_trials):
        params = {name: rng.random() for name in distributions}
        value = sum((v - 0.5) ** 2 for v in params.values())
        trials.append(
            create_trial(
                state=TrialState.COMPLETE,
                value=value,
                params=params,
                distributions=distributions,
                intermediate_values={step: value * (1 + 1 / (step + 1)) for step in range(20)},
            )
        )
        moment = start + datetime.timedelta(seconds=number)
        trials[-1].datetime_start = moment
        trials[-1].datetime_complete = moment + datetime.timedelta(seconds=0.5)
    study.add_trials(trials)
    return study._study_id


def fetch(base: str, path: str) -> bytes:
    with urllib.request.urlopen(base + path, timeout=600) as response:
        return bytes(response.read())


def timed(function) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    function()
    return time.perf_counter() - began


def timed_cpu(function) -> str:  # type: ignore[no-untyped-def]
    """Wall and CPU time of ``function`` (the server runs in this process: the CPU time is
    the server's and the client's; the machine is shared, so wall times vary with load)."""
    cpu = time.process_time()
    wall = timed(function)
    return f"{wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=50_000)
    parser.add_argument("--db", default="/tmp/tansaku-dashboard-bench.db")
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    if not os.path.exists(args.db):
        print(f"build {args.trials} trials: {timed(lambda: build(url, args.trials)):.1f} s")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.dashboard._server import serving

    storage = RDBStorage(url)
    study_id = storage.get_study_id_from_name("big")
    with serving(storage) as base:
        page = [
            f"/api/studies/{study_id}",
            f"/api/studies/{study_id}/trials?page=1",
            f"/api/studies/{study_id}/plot/history",
        ]

        def study_page() -> None:
            for path in page:
                fetch(base, path)

        print(f"load average before: {os.getloadavg()[0]:.1f}")
        parts: list[str] = []

        def cold_page() -> None:
            for name, path in zip(("study", "first trials page", "history plot"), page):
                parts.append(f"{name} {timed_cpu(lambda p=path: fetch(base, p))}")

        print(f"study page data, first (reads the study): {timed_cpu(cold_page)}")
        print(f"  of which: {'; '.join(parts)}")
        fetch(base, f"/api/studies/{study_id}/trials?state=COMPLETE")  # a new version's caches
        print(f"study page data, warm: {timed(study_page):.3f} s")
        detail = json.loads(fetch(base, f"/api/studies/{study_id}"))
        cursor = detail["cursor"]
        poll = f"/api/studies/{study_id}/poll?next={cursor['next']}&live="
        polls = []
        for _ in range(20):
            time.sleep(0.3)  # past the server's refresh interval: each poll reads the storage
            polls.append(timed(lambda: fetch(base, poll)))
        print(
            f"poll, nothing new: median {statistics.median(polls) * 1000:.1f} ms, "
            f"max {max(polls) * 1000:.1f} ms"
        )
        delays = []
        for _ in range(5):
            code = (
                "import sys, time, tansaku; s = tansaku.load_study(study_name='big', "
                "storage=sys.argv[1], sampler=tansaku.samplers.RandomSampler()); t = s.ask(); "
                "t.suggest_float('p0', 0, 1); "
                "s.tell(t, 0.1); print(time.time(), flush=True)"
            )
            # The poll starts as soon as the child has told (its exit, which frees a 50,000-trial
            # history, is not part of the delay).
            child = subprocess.Popen(
                [sys.executable, "-c", code, url], stdout=subprocess.PIPE, text=True
            )
            assert child.stdout is not None
            told_at = float(child.stdout.readline())
            deadline = time.monotonic() + 120
            while True:
                answer = json.loads(fetch(base, poll))
                if answer["next"] > cursor["next"]:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the told trial never came: {poll} -> {answer}")
                time.sleep(0.05)
            delays.append(time.time() - told_at)
            child.wait()
            one_new = timed(lambda poll=poll: fetch(base, poll))
            cursor = {"next": answer["next"], "live": answer["live"]}
            poll = f"/api/studies/{study_id}/poll?next={cursor['next']}&live="
        print(
            f"tell in another process -> poll API: median {statistics.median(delays):.2f} s "
            f"(polling every 50 ms; the page polls every 1 s)"
        )
        print(f"poll returning one new trial: {one_new * 1000:.1f} ms")
        print(f"study page data after new trials (plot redrawn): {timed_cpu(study_page)}")
        trial_page = f"/api/studies/{study_id}/trials/7"
        read = timed_cpu(lambda: fetch(base, trial_page))
        print(f"trial page data (one trial, read whole): {read}")
        intermediate = f"/api/studies/{study_id}/plot/intermediate"
        drawn = timed_cpu(lambda: fetch(base, intermediate))
        print(f"intermediate values plot (reads the whole study): {drawn}")
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
