"""The ``read`` part of the storage suite: reading a finished study of many trials.

The study is built once per backend and suite run by writing its rows (SQL) or records
(journal) directly in Optuna's layout, which every implementation reads. ``read_task`` reads it
inside a fresh worker process; ``measure_read`` and the building run in the runner.

A baseline: with ``TANSAKU_BENCH_READ_BASELINE`` naming another tansaku source tree (say
``git archive 87af602 | tar -x -C /tmp/tansaku-87af602``), each tansaku read is paired with a
read by that tree's tansaku, back to back (alternating which goes first), and the tables show
it as one more column. The baseline reads the same database; of a journal with a snapshot it
reads its own copy, with the snapshot it wrote itself (snapshot formats change between
versions, and a reader of another format would replay the whole journal).
"""

from __future__ import annotations

import atexit
import datetime
import json
import os
import random
import shutil
import sys
import tempfile
import time
from typing import Any

from benchmarks import _impls, _runner
from benchmarks.suites._storage_backends import N_PARAMS, census, postgresql_url

READ_STUDY = "read-study"
BASELINE_ENV = "TANSAKU_BENCH_READ_BASELINE"

# Registry of what this suite run built: the scratch directory ("scratch") and the finished
# study of each backend and size ("read:<storage>:<n_trials>" -> its location, or None).
_BUILT: dict[str, Any] = {}


# --- inside worker processes ---------------------------------------------------------------


def read_task(impl: Any, task: dict[str, Any]) -> dict[str, Any]:
    """Load the finished study and read all its trials; seconds, and the census."""
    if task.get("tree"):
        impl = _tansaku_from(task["tree"])
    kind = "journal" if task["storage"] == "journal_cold" else task["storage"]
    started = time.perf_counter()
    study = impl.load_study(study_name=READ_STUDY, storage=impl.storage(kind, task["location"]))
    trials = study.trials
    seconds = time.perf_counter() - started
    counted = census(trials, impl.trial_state("COMPLETE"))
    return {
        "read_s": seconds,
        **counted,
        "lost": task["n_trials"] - counted["complete"],
        "duplicated": counted["duplicated_numbers"],
        "errors": 0,
    }


def _tansaku_from(tree: str) -> Any:
    """The adapter of the tansaku in source tree ``tree``, instead of this checkout's."""
    for name in [name for name in sys.modules if name.split(".")[0] == "tansaku"]:
        del sys.modules[name]
    sys.path.insert(0, tree)
    impl = _impls.load("tansaku")
    where = os.path.realpath(impl.module.__file__)
    assert where.startswith(os.path.realpath(tree) + os.sep), where
    return impl


# --- in the runner --------------------------------------------------------------------------


def baseline_label() -> str | None:
    """The baseline's column title: its tree's directory name (``tansaku-87af602``), or None."""
    tree = os.environ.get(BASELINE_ENV)
    return os.path.basename(os.path.normpath(tree)) if tree else None


def measure_read(cell: dict[str, Any], impl: str, repeat: int, timeout_s: float) -> dict[str, Any]:
    """One read of the finished study of ``cell`` by ``impl``, in a fresh process.

    For tansaku with a baseline tree set, the baseline reads too, and its seconds join the
    outcome's data as ``baseline_read_s``.
    """
    location = _read_location(cell)
    if location is None:
        return {"status": "not available", "reason": "no PostgreSQL server here"}
    tree = os.environ.get(BASELINE_ENV)
    if impl != "tansaku" or not tree:
        return _read_once(cell, impl, location, None, timeout_s)
    baseline_location = _baseline_location(cell, location, tree, timeout_s)
    outcomes = {}
    for which in ("current", "baseline")[:: 1 if repeat % 2 == 0 else -1]:
        if which == "current":
            outcomes[which] = _read_once(cell, impl, location, None, timeout_s)
        else:
            outcomes[which] = _read_once(cell, impl, baseline_location, tree, timeout_s)
    outcome, baseline = outcomes["current"], outcomes["baseline"]
    if outcome["status"] == "ok" and baseline["status"] == "ok":
        outcome["data"]["baseline_read_s"] = baseline["data"]["read_s"]
    elif baseline["status"] != "ok":
        print(f"[storage] baseline read: {baseline.get('reason')}", file=sys.stderr)
    return outcome


def _read_once(
    cell: dict[str, Any], impl: str, location: str, tree: str | None, timeout_s: float
) -> dict[str, Any]:
    if cell["storage"] == "journal_cold":
        with_snapshot = location + ".snapshot"
        if os.path.exists(with_snapshot):
            os.remove(with_snapshot)
    task = {**cell, "role": "read", "location": location, "tree": tree}
    return _runner.run_worker("storage", impl, task, timeout_s)


def _baseline_location(cell: dict[str, Any], location: str, tree: str, timeout_s: float) -> str:
    """Where the baseline reads the study of ``cell``: a copy of a journal with a snapshot."""
    if cell["storage"] != "journal":
        return location
    key = f"baseline:{cell['n_trials']}"
    if key not in _BUILT:
        copy = os.path.join(_scratch(), "baseline.log")
        shutil.copy(location, copy)
        # The first reader writes the snapshot that later readers start from.
        _read_once(cell, "tansaku", copy, tree, timeout_s)
        _BUILT[key] = copy
    return str(_BUILT[key])


def _read_location(cell: dict[str, Any]) -> str | None:
    """Where the finished study of ``cell`` is (built on first use), or None."""
    kind, n_trials = cell["storage"], cell["n_trials"]
    key = f"read:{kind}:{n_trials}"
    if key not in _BUILT:
        _BUILT[key] = _build_read_study(kind, n_trials)
    return _BUILT[key]


def _scratch() -> str:
    if "scratch" not in _BUILT:
        _BUILT["scratch"] = tempfile.mkdtemp(prefix="tansaku-bench-read-")
        atexit.register(shutil.rmtree, _BUILT["scratch"], True)
    return str(_BUILT["scratch"])


def _fake_trials(n_trials: int) -> list[tuple[int, float, list[float], str, str]]:
    """(number, value, params, start, complete) of ``n_trials`` finished trials."""
    rng = random.Random(0)
    moment = datetime.datetime(2026, 1, 1)
    trials = []
    for number in range(n_trials):
        params = [rng.uniform(-1.0, 1.0) for _ in range(N_PARAMS)]
        start = moment + datetime.timedelta(seconds=number)
        complete = start + datetime.timedelta(milliseconds=500)
        trials.append(
            (number, sum(p * p for p in params), params, start.isoformat(), complete.isoformat())
        )
    return trials


def _build_read_study(kind: str, n_trials: int) -> str | None:
    started = time.perf_counter()
    if kind == "journal_cold":
        source = _read_location({"storage": "journal", "n_trials": n_trials})
        assert source is not None
        location = os.path.join(_scratch(), "cold.log")
        shutil.copy(source, location)
    elif kind == "journal":
        location = os.path.join(_scratch(), "journal.log")
        _write_journal(location, n_trials)
        # The first tansaku reader writes the snapshot that later readers start from.
        from tansaku.storages.journal import JournalFileBackend, JournalStorage

        JournalStorage(JournalFileBackend(location))
    else:
        url = (
            f"sqlite:///{os.path.join(_scratch(), 'read.db')}"
            if kind == "sqlite"
            else postgresql_url()
        )
        if url is None:
            return None
        _write_rdb(url, n_trials)
        location = url[len("sqlite:///") :] if kind == "sqlite" else url
    seconds = time.perf_counter() - started
    print(f"[storage] built the {n_trials}-trial {kind} study in {seconds:.1f} s", file=sys.stderr)
    return location


def _write_journal(path: str, n_trials: int) -> None:
    """The study as Optuna's journal records: one study, one complete record per trial."""
    from tansaku.distributions import FloatDistribution, distribution_to_json

    distribution = distribution_to_json(FloatDistribution(-1.0, 1.0))
    names = [f"x{i}" for i in range(N_PARAMS)]
    head = {"op_code": 0, "worker_id": "bench", "study_name": READ_STUDY, "directions": [1]}
    with open(path, "w") as file:
        file.write(json.dumps(head) + "\n")
        for _, value, params, start, complete in _fake_trials(n_trials):
            record = {
                "op_code": 4,
                "worker_id": "bench",
                "study_id": 0,
                "datetime_start": start + "+00:00",
                "datetime_complete": complete + "+00:00",
                "state": 1,
                "value": value,
                "values": None,
                "distributions": dict.fromkeys(names, distribution),
                "params": dict(zip(names, params)),
                "user_attrs": {},
                "system_attrs": {},
                "intermediate_values": {},
            }
            file.write(json.dumps(record, separators=(",", ":")) + "\n")


def _write_rdb(url: str, n_trials: int) -> None:
    """The study as rows of Optuna's schema, inserted in bulk (tansaku creates the schema)."""
    from sqlalchemy import text

    from tansaku.distributions import FloatDistribution, distribution_to_json
    from tansaku.storages import RDBStorage
    from tansaku.study import StudyDirection

    storage = RDBStorage(url)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], READ_STUDY)
    distribution = distribution_to_json(FloatDistribution(-1.0, 1.0))
    trials, params, values = [], [], []
    for number, value, xs, start, complete in _fake_trials(n_trials):
        trial_id = number + 1
        trials.append({"id": trial_id, "n": number, "s": study_id, "a": start, "b": complete})
        values.append({"id": trial_id, "v": value})
        params += [
            {"id": trial_id, "name": f"x{i}", "v": x, "d": distribution} for i, x in enumerate(xs)
        ]
    with storage.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO trials (trial_id, number, study_id, state, datetime_start, "
                "datetime_complete) VALUES (:id, :n, :s, 'COMPLETE', :a, :b)"
            ),
            trials,
        )
        connection.execute(
            text(
                "INSERT INTO trial_values (trial_id, objective, value, value_type) "
                "VALUES (:id, 0, :v, 'FINITE')"
            ),
            values,
        )
        connection.execute(
            text(
                "INSERT INTO trial_params (trial_id, param_name, param_value, "
                "distribution_json) VALUES (:id, :name, :v, :d)"
            ),
            params,
        )
    storage.engine.dispose()
