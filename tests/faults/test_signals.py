"""SIGINT and SIGKILL at seeded random points of ask/tell and of optimize, on every storage.

A victim process runs trials with heartbeats on and signals itself at the k-th storage event
(see ``_workers.py``; k comes from the seed in the test id, so a failure reproduces with
``TANSAKU_FAULT_SEEDS=<seed>``). Then, each within a hang bound of 60 s:

- another process finishes a trial (nothing the victim held, a lock or a transaction, blocks
  the others);
- after SIGINTs (many: the victim goes on after each, at a new point), the victim itself,
  still alive as an interactive session would be, runs one more trial on the same storage
  object;
- a recovering process fails the victim's stale trials and runs their retries.

At the end no trial is RUNNING or WAITING, every trial the victim left RUNNING failed and was
retried, and every trial the victim saw finished is stored finished.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tansaku.storages._callbacks import RetryHeartbeatStaleTrialCallback
from tansaku.study import StudyDirection
from tansaku.trial import TrialState
from tests.faults._common import KINDS, finish, new_location, run_worker, seeds, start_worker
from tests.faults._workers import HANG_BOUND_S, MAX_RETRY, STUDY_NAME, open_storage

pytestmark = pytest.mark.faults

MODES = ["ask_tell", "optimize"]
# The recovering process gives up on its own after HANG_BOUND_S, naming the trials still
# RUNNING; this bound is for a recovery that hangs instead.
RECOVERY_S = HANG_BOUND_S + 30
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def _cases() -> list[Any]:
    cases = []
    for kind in KINDS:
        for signame in ("SIGINT", "SIGKILL"):
            for seed in seeds():
                # The mode is drawn too, so that one seed per storage covers both.
                mode = random.Random(f"{kind}-{signame}-{seed}").choice(MODES)
                cases.append(
                    pytest.param(kind, signame, seed, mode, id=f"{kind}-{signame}-{mode}-{seed}")
                )
    return cases


def _read_report(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def _wait_for_fault(
    victim: subprocess.Popen[bytes], signame: str, report: Path
) -> list[dict[str, Any]]:
    """Wait until the victim was killed, or caught its KeyboardInterrupt; its report."""
    # Each of a SIGINT victim's probes may take up to HANG_BOUND_S before the victim gives up.
    deadline = time.monotonic() + 2 * HANG_BOUND_S + 60
    while True:
        entries = _read_report(report)
        if signame == "SIGINT" and any("interrupted" in e for e in entries):
            return entries
        if victim.poll() is not None:
            break
        if time.monotonic() > deadline:
            victim.kill()
            faults = [e["fault"] for e in entries if "fault" in e]
            pytest.fail(
                f"the victim hung: not done with its {signame}s within {HANG_BOUND_S:.0f}s; "
                f"last fault: {faults[-1:]}, {len(faults)} in all: {faults}"
            )
        time.sleep(0.05)
    err = victim.stderr.read().decode(errors="replace") if victim.stderr else ""
    if signame == "SIGKILL" and victim.returncode == -signal.SIGKILL:
        return _read_report(report)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    pytest.fail(
        f"the victim exited with code {victim.returncode} while taking its {signame}s: {last}\n"
        f"report: {_read_report(report)[-5:]}\n{err[-3000:]}"
    )


@pytest.mark.parametrize(("kind", "signame", "seed", "mode"), _cases())
def test_another_process_goes_on_and_recovery_leaves_no_trial_running(
    kind: str, signame: str, seed: int, mode: str, tmp_path: Path
) -> None:
    print(f"fault seed {seed}: {kind}, {signame} during {mode}")
    where = new_location(kind, tmp_path)
    setup = open_storage(kind, where)
    study_id = setup.create_new_study([StudyDirection.MINIMIZE], STUDY_NAME)
    setup.remove_session()

    report = tmp_path / "victim.jsonl"
    victim = start_worker(
        "victim", kind, where, signame, mode, str(seed), str(report), stdin=subprocess.PIPE
    )
    try:
        entries = _wait_for_fault(victim, signame, report)
        faults = [e["fault"] for e in entries if "fault" in e]
        context = f"seed {seed}, {len(faults)} {signame} during {mode}, the last at {faults[-1:]}"
        print(context, *faults, sep="\n")
        reader = open_storage(kind, where)
        left_running = {
            t.number for t in reader.get_all_trials(study_id, states=(TrialState.RUNNING,))
        }
        reader.remove_session()

        run_worker("finish_one", kind, where, what=f"another process's trial after {context}")
        if signame == "SIGINT":
            assert victim.stdin is not None
            victim.stdin.write(b"go\n")
            victim.stdin.flush()
            finish(victim, f"the interrupted process's next trial ({context})")
        run_worker("recover", kind, where, what=f"recovery after {context}", timeout=RECOVERY_S)
    finally:
        if victim.poll() is None:
            os.kill(victim.pid, signal.SIGKILL)
            victim.communicate()

    reader = open_storage(kind, where)
    trials = reader.get_all_trials(study_id)
    reader.remove_session()
    states = {t.number: t.state.name for t in trials}
    assert all(t.state in FINISHED for t in trials), f"{context}: {states}"
    # A retry's history ends with the trial it retries; a chain ends after MAX_RETRY retries.
    retried = {
        RetryHeartbeatStaleTrialCallback.retry_history(t)[-1]
        for t in trials
        if t.system_attrs.get("retry_history")
    }
    for number in left_running:
        assert trials[number].state is TrialState.FAIL, f"{context}: {states}"
        exhausted = (
            len(RetryHeartbeatStaleTrialCallback.retry_history(trials[number])) >= MAX_RETRY
        )
        assert number in retried or exhausted, f"{context}: trial {number} not retried; {states}"
    for entry in _read_report(report):
        if "finished" in entry:
            assert trials[entry["finished"]].state in FINISHED, f"{context}: {states}"
    assert sum(t.state is TrialState.COMPLETE for t in trials) >= 2, f"{context}: {states}"


@pytest.mark.parametrize("kind", KINDS)
def test_trial_of_a_worker_killed_before_its_first_heartbeat_is_failed(
    kind: str, tmp_path: Path
) -> None:
    """A worker dies between ``ask`` and the first heartbeat of its trial: it is not RUNNING
    forever (with heartbeats on, a trial can only be created by a worker that sends them)."""
    where = new_location(kind, tmp_path)
    setup = open_storage(kind, where)
    study_id = setup.create_new_study([StudyDirection.MINIMIZE], STUDY_NAME)
    setup.remove_session()
    victim = start_worker("die_after_ask", kind, where)
    out, err = victim.communicate(timeout=HANG_BOUND_S)
    assert victim.returncode == -signal.SIGKILL, err.decode(errors="replace")[-3000:]
    number = json.loads(out)["asked"]

    run_worker(
        "recover", kind, where, what="recovery of a trial without heartbeat", timeout=RECOVERY_S
    )

    reader = open_storage(kind, where)
    trials = reader.get_all_trials(study_id)
    reader.remove_session()
    assert trials[number].state is TrialState.FAIL
    assert [
        RetryHeartbeatStaleTrialCallback.retried_trial_number(t) for t in trials[number + 1 :]
    ] == [number]
