"""HyperbandPruner: several successive-halving brackets, each trial in one, chosen by number."""

from __future__ import annotations

import binascii
import bisect
import math
import threading
from typing import TYPE_CHECKING

from tansaku._internal.validation import invalid
from tansaku.pruners._base import BasePruner
from tansaku.pruners._successive_halving import SuccessiveHalvingPruner, check_resource
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.pruners._bracket_study import BracketStudy
    from tansaku.study import Study

_COMPLETE = (TrialState.COMPLETE,)
# Bracket views kept for sampling; old ones stay referenced so that no new view reuses the
# identity of one a sampler still keeps a model for.
_MAX_VIEWS = 256


class HyperbandPruner(BasePruner):
    """Prune by Hyperband (Li et al., JMLR 18, 2018) made asynchronous: each trial belongs to
    one of several brackets, and each bracket is a :class:`SuccessiveHalvingPruner` whose
    first rung is ``reduction_factor`` times later than the previous bracket's.

    With ``n`` brackets (``n = floor(log(max_resource / min_resource) / log(reduction_factor))
    + 1``, computed in floating point as Optuna does), bracket ``b`` gets a share of the trials
    proportional to ``ceil(n * reduction_factor ** s / (s + 1))`` with ``s = n - 1 - b``. A
    trial's bracket is a pure function of the study name and its number (CRC-32 of
    ``"<study_name>_<number>"``, Optuna's assignment), so every worker agrees without talking.

    A trial ranks only against the trials of its own bracket. Samplers see the same split:
    while a trial samples and when it ends, the sampler is given the study restricted to the
    trial's bracket, so a :class:`~tansaku.samplers.TPESampler` keeps one model per bracket
    (BOHB-style, Falkner et al., ICML 2018). Decisions about the whole study still see all of
    it: the view's ``stop`` stops the study, and :class:`~tansaku.samplers.GridSampler` and
    :class:`~tansaku.samplers.BruteForceSampler` judge exhaustion on every trial.

    What it reads: until it is set up, the study's COMPLETE trials (for ``"auto"``); then, as
    :class:`SuccessiveHalvingPruner`, the trial's own latest value and, when it ends a rung,
    the rung values of its bracket's trials. Brackets of trial numbers are computed once each.

    Args:
        min_resource: The steps of the first rung of the first bracket (``r`` in the paper).
        max_resource: The most steps a trial runs (``R``), or ``"auto"``: the largest last step
            of the completed trials plus one, fixed when the first trial completes; until then
            nothing is pruned.
        reduction_factor: ``eta`` in the paper: the first rungs of consecutive brackets are this
            many times apart, and about ``1 / reduction_factor`` of a rung is promoted.
        bootstrap_count: As in :class:`SuccessiveHalvingPruner`, for every bracket; needs an
            explicit ``max_resource``.

    Raises:
        ValueError: an argument is out of its range.
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: str | int = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        where = type(self).__name__
        if isinstance(min_resource, bool) or not isinstance(min_resource, int) or min_resource < 1:
            raise invalid(where, "min_resource", min_resource, "must be an int >= 1")
        check_resource(where, "max_resource", max_resource)
        if isinstance(max_resource, int) and max_resource < min_resource:
            raise invalid(where, "max_resource", max_resource, f"must be >= {min_resource=}")
        if reduction_factor < 2:
            raise invalid(where, "reduction_factor", reduction_factor, "must be >= 2")
        if bootstrap_count < 0:
            raise invalid(where, "bootstrap_count", bootstrap_count, "must be >= 0")
        if bootstrap_count > 0 and max_resource == "auto":
            raise invalid(
                where, "bootstrap_count", bootstrap_count, "must be 0 when max_resource='auto'"
            )
        self._min_resource = min_resource
        self._max_resource = max_resource
        self._reduction_factor = reduction_factor
        self._bootstrap_count = bootstrap_count
        self._lock = threading.Lock()
        self._set_up = False
        self._pruners: list[SuccessiveHalvingPruner] = []
        self._budget_ends: list[int] = []  # cumulative trial shares of the brackets
        self._brackets_by_study: dict[str, list[int]] = {}
        self._views: dict[tuple[int, int, bool], BracketStudy] = {}

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_brackets_by_study"] = {}
        state["_views"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if not self._set_up and not self._set_up_brackets(study):
            return False
        if not self._pruners:  # max_resource < min_resource: no bracket at all
            return False
        bracket = self._bracket_of(study.study_name, trial.number)
        return self._pruners[bracket].prune(self._view(study, bracket), trial)

    # -- brackets -------------------------------------------------------------------------------
    def _set_up_brackets(self, study: Study) -> bool:
        with self._lock:
            if self._set_up:
                return True
            max_resource = self._max_resource
            if max_resource == "auto":
                completed = study.get_trials(deepcopy=False, states=_COMPLETE)
                last_steps = [
                    max(t.intermediate_values) for t in completed if t.intermediate_values
                ]
                if not last_steps:
                    return False
                max_resource = max(last_steps) + 1
                self._max_resource = max_resource
            factor = self._reduction_factor
            ratio = int(max_resource) / self._min_resource
            n_brackets = math.floor(math.log(ratio, factor)) + 1
            total = 0
            budget_ends, pruners = [], []
            for bracket in range(n_brackets):
                s = n_brackets - 1 - bracket
                total += math.ceil(n_brackets * factor**s / (s + 1))
                budget_ends.append(total)
                pruners.append(
                    SuccessiveHalvingPruner(
                        min_resource=self._min_resource,
                        reduction_factor=factor,
                        min_early_stopping_rate=bracket,
                        bootstrap_count=self._bootstrap_count,
                    )
                )
            # Set up in one step: an interrupt in the loop leaves no bracket behind, where
            # appending to the kept lists would leave some, doubled by the next set-up.
            self._budget_ends, self._pruners = budget_ends, pruners
            self._set_up = True
            return True

    def _bracket_of(self, study_name: str, number: int) -> int:
        """The bracket of trial ``number`` (0 for every trial until the brackets are set up)."""
        if not self._pruners:
            return 0
        known = self._brackets_by_study.get(study_name)
        if known is None:
            known = self._brackets_by_study.setdefault(study_name, [])
        if number < len(known):
            return known[number]
        ends, total = self._budget_ends, self._budget_ends[-1]
        with self._lock:
            for missing in range(len(known), number + 1):
                share = binascii.crc32(f"{study_name}_{missing}".encode()) % total
                known.append(bisect.bisect_right(ends, share))
        return known[number]

    # -- views for the bracket ------------------------------------------------------------------
    def _bracket_study(self, study: Study, trial: FrozenTrial) -> Study:
        """``study`` restricted to the bracket of ``trial``, the same object on every call."""
        return self._view(study, self._bracket_of(study.study_name, trial.number))

    def _view(self, study: Study, bracket: int) -> BracketStudy:
        key = (id(study), bracket, self._set_up)
        view = self._views.get(key)
        if view is not None and view.parent is study:
            return view
        from tansaku.pruners._bracket_study import BracketStudy

        name = study.study_name

        def in_bracket(number: int) -> bool:
            return self._bracket_of(name, number) == bracket

        with self._lock:
            view = self._views.get(key)
            if view is None or view.parent is not study:
                if len(self._views) >= _MAX_VIEWS:
                    self._views.pop(next(iter(self._views)))
                view = BracketStudy(study, in_bracket)
                self._views[key] = view
        return view
