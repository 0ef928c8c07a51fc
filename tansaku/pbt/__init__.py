"""Population-based training (PBT): a population of models trained in segments, where the
weaker members copy a stronger member's weights and hyperparameters and explore from there.

This is PBT as Jaderberg et al. (2017) define it and Ray Tune's ``PopulationBasedTraining``
implements it (perturbation interval, quantile fraction, resample probability, perturbation
factors, hyperparameter mutations, burn-in), asynchronous, on any storage.

Why this shape:

- **One trial per segment.** A trial's params cannot change once suggested, so a member's
  training is cut into segments of ``perturbation_interval`` steps and each segment is its own
  trial. Every trial therefore keeps honest params, every storage and visualization works
  unchanged, and the lineage is data: each trial's system attr ``"pbt:segment"`` records its
  member, generation and parent trial (the checkpoint it started from).
- **A sampler decides.** :class:`PBTSampler` chooses, when a trial starts, which member it
  continues and whether that member exploits, from the segments already in the storage; its
  decisions are recorded on the trial itself, so workers in threads, processes or on other
  machines need no coordinator, nothing beside the storage and an artifact store. It is a
  sampler because that is where tansaku decides a trial's params; it fits plain
  ``study.optimize(n_jobs=...)`` and any process-level runner.
- **The objective copies weights.** Checkpoints are artifacts of the trial that trained them
  (:func:`save_checkpoint`, :func:`load_parent_checkpoint`, built on ``tansaku.artifacts``);
  the objective loads its parent's checkpoint, trains ``segment(trial).steps`` and saves. Only
  the objective knows how to build and serialise a model, so the sampler never touches the
  bytes; the sampler only says whose checkpoint to load.

Example:
    >>> store = tansaku.artifacts.FileSystemArtifactStore("./checkpoints")
    >>> def objective(trial):
    ...     lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    ...     model = tansaku.pbt.load_parent_checkpoint(trial, store) or new_model()
    ...     for step in tansaku.pbt.segment(trial).steps:
    ...         accuracy = train_one_epoch(model, lr)
    ...         trial.report(accuracy, step)
    ...     tansaku.pbt.save_checkpoint(trial, model, store)
    ...     return accuracy
    >>> study = tansaku.create_study(
    ...     direction="maximize", sampler=tansaku.pbt.PBTSampler(population_size=8)
    ... )
    >>> study.optimize(objective, n_trials=80, n_jobs=2)
    >>> tansaku.pbt.plot_lineage(study).show()
"""

from tansaku.pbt._checkpoint import load_parent_checkpoint, save_checkpoint, segment
from tansaku.pbt._lineage import LineageRow, lineage, plot_lineage
from tansaku.pbt._plan import Segment
from tansaku.pbt._sampler import PBTSampler

__all__ = [
    "LineageRow",
    "PBTSampler",
    "Segment",
    "lineage",
    "load_parent_checkpoint",
    "plot_lineage",
    "save_checkpoint",
    "segment",
]
