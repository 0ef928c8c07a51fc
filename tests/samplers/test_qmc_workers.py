"""QMCSampler with several worker processes on one SQLite study: each trial gets its own point."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

from scipy.stats import qmc

import tansaku
from tansaku.distributions import FloatDistribution, IntDistribution
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import QMCSampler
from tansaku.search_space import _SearchSpaceTransform
from tansaku.trial import TrialState

REPO = Path(__file__).resolve().parents[2]
N_WORKERS = 4
TRIALS_PER_WORKER = 15
SEED = 11
SPACE = {
    "x": FloatDistribution(-1.0, 1.0),
    "y": FloatDistribution(1e-3, 10.0, log=True),
    "z": FloatDistribution(0.0, 5.0),
    "n": IntDistribution(0, 10_000),
}


def work(url: str, study_name: str) -> None:
    """One worker: load the shared study and run its share of trials."""
    tansaku.logging.set_verbosity(tansaku.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        sampler = QMCSampler(scramble=True, seed=SEED)
    study = tansaku.load_study(study_name=study_name, storage=url, sampler=sampler)

    def objective(trial: tansaku.Trial) -> float:
        for name, distribution in SPACE.items():
            trial._suggest(name, distribution)
        return 0.0

    study.optimize(objective, n_trials=TRIALS_PER_WORKER)


def test_four_processes_on_sqlite_draw_the_sequence_without_a_duplicate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'qmc.db'}"
    tansaku.create_study(storage=url, study_name="shared")
    script = (
        "import sys\n"
        "from tests.samplers.test_qmc_workers import work\n"
        "work(sys.argv[1], sys.argv[2])\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, "shared"],
            cwd=REPO,
            env=env,
            stderr=subprocess.PIPE,
        )
        for _ in range(N_WORKERS)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err.decode()[-3000:]

    trials = tansaku.load_study(study_name="shared", storage=url).trials
    assert len(trials) == N_WORKERS * TRIALS_PER_WORKER
    assert all(trial.state is TrialState.COMPLETE for trial in trials)
    transform = _SearchSpaceTransform(SPACE)
    points = {tuple(transform.transform(trial.params)) for trial in trials}
    assert len(points) == len(trials), "two trials share a point"

    # Trial n took point n - 1 of the one sequence, whichever worker ran it; only the trials
    # that started before any trial completed (at most one per worker) were drawn at random.
    # The sampler orders the params by name, one dimension each.
    expected = qmc.Sobol(d=len(SPACE), scramble=True, seed=SEED).random(64)
    to_params = _SearchSpaceTransform(dict(sorted(SPACE.items())), transform_0_1=True)
    of_sequence = sum(
        to_params.untransform(expected[trial.number - 1]) == trial.params for trial in trials[1:]
    )
    assert of_sequence >= len(trials) - N_WORKERS
