"""CmaEsSampler shared by processes through SQLite: one run, continued and closed alike."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import tansaku
from tansaku.samplers._cmaes import _codec

# A worker: load (or create) the study and run trials of a 4-param quadratic. With a log
# path, every state the worker writes is appended there, so the test sees each write.
_WORKER = textwrap.dedent(
    """
    import json, sys
    import tansaku
    from tansaku.samplers._cmaes import _run

    storage, log_path = sys.argv[1], sys.argv[4]
    n_trials, seed = int(sys.argv[2]), int(sys.argv[3])
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    if log_path:
        write = _run.set_study_system_attr

        def logged(study, key, value):
            with open(log_path, "a") as log:
                log.write(json.dumps([key, value]) + "\\n")
            write(study, key, value)

        _run.set_study_system_attr = logged
    study = tansaku.create_study(
        storage=storage, study_name="cma", load_if_exists=True,
        sampler=tansaku.samplers.CmaEsSampler(seed=seed, popsize=4),
    )
    study.optimize(
        lambda t: sum((t.suggest_float(f"x{i}", -3, 3) - 0.5 * i) ** 2 for i in range(4)),
        n_trials=n_trials,
    )
    """
)


def _worker(storage: str, n_trials: int, seed: int, log_path: str = "") -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, storage, str(n_trials), str(seed), log_path], text=True
    )


def _params(storage: str) -> list[dict[str, float]]:
    study = tansaku.load_study(study_name="cma", storage=storage)
    return [trial.params for trial in study.trials]


def test_a_second_process_continues_the_run_as_one_process_would(tmp_path: Path) -> None:
    split = f"sqlite:///{tmp_path / 'split.db'}"
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    for storage, n_trials in ((split, 22), (split, 22), (whole, 44)):
        assert _worker(storage, n_trials, seed=7).wait() == 0
    assert _params(split) == _params(whole)
    assert len(_params(whole)) == 44


def test_four_processes_closing_generations_at_once_write_one_state_each(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    tansaku.create_study(storage=storage, study_name="cma")
    logs = [tmp_path / f"log{i}" for i in range(4)]
    workers = [_worker(storage, 30, seed=i, log_path=str(log)) for i, log in enumerate(logs)]
    assert [worker.wait() for worker in workers] == [0, 0, 0, 0]

    written: dict[str, set[str]] = {}
    for log in logs:
        for line in log.read_text().splitlines() if log.exists() else ():
            key, value = json.loads(line)
            written.setdefault(key, set()).add(json.dumps(value, sort_keys=True))
    forks = {key: values for key, values in written.items() if len(values) > 1}
    assert not forks
    study = tansaku.load_study(study_name="cma", storage=storage)
    stored = study._storage.get_study_system_attrs(study._study_id)
    generations = sorted(int(key.rsplit(":", 1)[1]) for key in written)
    assert generations == list(range(len(generations))) and len(generations) > 10
    # Every trial was drawn from a generation whose state is stored, and each stored state is
    # the one the workers wrote.
    for key, values in written.items():
        assert json.dumps(stored[key], sort_keys=True) in values
    for trial in study.trials:
        tag = trial.system_attrs.get(_codec.TRIAL_KEY)
        if tag is not None:
            assert _codec.state_key(int(tag.split(":")[0])) in stored
