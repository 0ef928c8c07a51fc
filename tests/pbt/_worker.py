"""One worker process of a PBT study on a shared storage: ``python _worker.py URL DIR N``."""

from __future__ import annotations

import os
import sys

# The repository root, so that tests.pbt._model imports as it does in the tests.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import tansaku  # noqa: E402
from tests.pbt._model import MUTATIONS, make_objective  # noqa: E402

if __name__ == "__main__":
    url, artifact_dir, n_trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    sampler = tansaku.pbt.PBTSampler(
        population_size=4, perturbation_interval=2, hyperparam_mutations=MUTATIONS
    )
    study = tansaku.load_study(study_name="pbt", storage=url, sampler=sampler)
    study.optimize(make_objective(artifact_dir), n_trials=n_trials)
