"""The view of a study that one Hyperband bracket sees: the same study, only its trials.

Imported on first use by :mod:`tansaku.pruners._hyperband` (a study sits above pruners).

The design, in two parts that a type checker follows:

- :class:`~tansaku.pruners._bracket_storage.BracketStorage` is a real
  :class:`~tansaku.storages.BaseStorage` around the study's storage whose reads of a study's
  trials keep only the bracket's, so everything written in terms of the storage (the study's
  ``get_trials`` and ``best_trial``, a sampler or pruner reading ``study._storage``) sees the
  bracket alone, while writes go to the study's storage unchanged.
- :class:`BracketStudy` is a real :class:`~tansaku.study.Study` built on that storage with the
  study's name, sampler and pruner. It overrides only what concerns the whole study:
  :meth:`~BracketStudy.stop` and :meth:`~BracketStudy._unfiltered_study` go to the study it
  views, and it shares that study's per-thread state (whether an ``optimize`` runs in this
  thread) and its cache of suggest distributions.

A bracket's pruner given the view ranks a trial against its bracket's trials only; a sampler
given it learns from them only (one model per bracket, as the view's storage is the bracket's
identity), yet knows whether it runs inside ``optimize`` and can stop it.
"""

from __future__ import annotations

from collections.abc import Callable

from tansaku.pruners._bracket_storage import BracketStorage
from tansaku.study import Study


class BracketStudy(Study):
    """``study`` as one bracket sees it: trial reads see the bracket's trials only; writes,
    :meth:`stop` and :meth:`_unfiltered_study` go to ``study``.

    Args:
        study: The whole study.
        in_bracket: Whether the trial with this number belongs to the bracket.
    """

    def __init__(self, study: Study, in_bracket: Callable[[int], bool]) -> None:
        super().__init__(
            study.study_name,
            BracketStorage(study._storage, in_bracket),
            sampler=study.sampler,
            pruner=study.pruner,
        )
        # One per-thread state with the study: a sampler given the view sees the study's
        # running optimize.
        self._thread_local = study._thread_local
        self._distribution_cache = study._distribution_cache
        self.parent = study

    def _unfiltered_study(self) -> Study:
        """The whole study this view restricts."""
        return self.parent

    def stop(self) -> None:
        """Stop the study's running :meth:`~tansaku.study.Study.optimize`."""
        self.parent.stop()
