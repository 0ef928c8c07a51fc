"""What the dashboard's JSON API answers, apart from HTTP: the followed studies and their reads
and writes. Each method returns JSON-ready data or raises KeyError (no such study or trial)
or ValueError (a request the study cannot take), which the routes turn into 404 and 400.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from tansaku.dashboard import _encode, _plots, _query
from tansaku.dashboard._followed import FollowedStudy
from tansaku.exceptions import UpdateFinishedTrialError
from tansaku.storages import BaseStorage, TrialCursor
from tansaku.study import StudyDirection
from tansaku.trial import TrialState


class DashboardService:
    """The studies of one storage as the dashboard sees them.

    Args:
        storage: The storage to show.
    """

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage
        self._followed: dict[int, FollowedStudy] = {}
        self._lock = threading.Lock()

    # -- following ------------------------------------------------------------------------------
    def followed(self, study_id: int, force: bool = False) -> FollowedStudy:
        """The study, brought up to date. Raises KeyError when there is no such study."""
        with self._lock:
            study = self._followed.get(study_id)
            if study is None:
                study = FollowedStudy(self.storage, study_id)
                self._followed[study_id] = study
        try:
            study.refresh(force=force)
        except KeyError:
            with self._lock:
                self._followed.pop(study_id, None)
            raise KeyError(f"No study with id {study_id}.") from None
        return study

    # -- studies --------------------------------------------------------------------------------
    def studies(self) -> list[dict[str, Any]]:
        """A summary of every study of the storage."""
        summaries = []
        for frozen in self.storage.get_all_studies():
            try:
                summaries.append(self.summary(self.followed(frozen._study_id)))
            except KeyError:
                continue  # deleted meanwhile
        return summaries

    def summary(self, study: FollowedStudy) -> dict[str, Any]:
        """Name, directions, counts by state, best value(s) and last activity of a study."""
        return dict(study.cached("summary", lambda: _summary(study)))

    def create_study(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create a study from ``{"name": str, "directions": ["minimize" | "maximize", ...]}``."""
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"The 'name' field must be a non-empty str. Got {name!r}.")
        directions_text = body.get("directions", ["minimize"])
        if (
            not isinstance(directions_text, list)
            or not directions_text
            or any(d not in ("minimize", "maximize") for d in directions_text)
        ):
            raise ValueError(
                "The 'directions' field must be a non-empty list of 'minimize' or 'maximize'. "
                f"Got {directions_text!r}."
            )
        directions = [StudyDirection[d.upper()] for d in directions_text]
        study_id = self.storage.create_new_study(directions, name)
        return {"id": study_id, "name": name}

    def delete_study(self, study_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """Delete a study; ``{"confirm": name}`` must repeat its name."""
        name = self.storage.get_study_name_from_id(study_id)
        if body.get("confirm") != name:
            raise ValueError(
                f"The 'confirm' field must repeat the study's name {name!r} to delete it. "
                f"Got {body.get('confirm')!r}."
            )
        self.storage.delete_study(study_id)
        with self._lock:
            self._followed.pop(study_id, None)
        return {"deleted": study_id}

    def study(self, study_id: int) -> dict[str, Any]:
        """The study page's header: the summary, objectives, params, plots and user attrs."""
        study = self.followed(study_id)
        view = study.study_view(params=False)
        detail = self.summary(study)
        detail.update(
            {
                "objective_names": _plots.objective_names(view),
                "param_names": study.param_names(),
                "plot_kinds": list(
                    _plots.KINDS if len(study.directions) > 1 else _plots.SINGLE_OBJECTIVE_KINDS
                ),
                "user_attrs": _encode.plain(self.storage.get_study_user_attrs(study_id)),
                "cursor": {
                    "next": study.cursor.next_number,
                    "live": list(study.cursor.live_numbers),
                },
            }
        )
        return detail

    # -- trials ---------------------------------------------------------------------------------
    def trials(self, study_id: int, arguments: Mapping[str, str]) -> dict[str, Any]:
        """A page of the trials table (see ``_query.parse_query``)."""
        query = _query.parse_query(arguments)
        study = self.followed(study_id)
        best = study.cached("best", lambda: _best_numbers(study)) if query.best_only else ()
        # Params are read for the page's trials only, unless the query filters or sorts by one.
        by_param = query.uses_params()
        page, total = _query.run(query, study.with_params() if by_param else study.trials, best)
        if not by_param:
            kept = study.with_params([t.number for t in page])
            page = [kept[t.number] for t in page]
        return {
            "total": total,
            "page": query.page,
            "per_page": query.per_page,
            "trials": [_encode.trial_row(t) for t in page],
            "version": study.version,
        }

    def trial(self, study_id: int, number: int) -> dict[str, Any]:
        """Everything about one trial."""
        study = self.followed(study_id)
        if not 0 <= number < len(study.trials):
            raise KeyError(f"Study {study.name!r} has no trial {number}.")
        # Read whole: the kept trials may lack their intermediate values (see _followed).
        return _encode.trial_detail(self.storage.get_trial(study.trials[number]._trial_id))

    def trial_poll(
        self, study_id: int, number: int, after: int | None, known: int
    ) -> dict[str, Any]:
        """One trial as its page last saw it, updated: everything but the intermediate values,
        and of those only the steps after ``after`` when the page holds the ``known`` ones up
        to it (else all of them, with ``"all": true``). ``after`` None asks for all."""
        detail = self.trial(study_id, number)
        steps: list[list[Any]] = detail.pop("intermediate_values")
        if after is not None:
            seen = sum(1 for step, _ in steps if step <= after)
            if seen == known:
                detail.update(intermediate_values=[s for s in steps if s[0] > after], all=False)
                return detail
        detail.update(intermediate_values=steps, all=True)
        return detail

    def poll(self, study_id: int, next_number: int, live_numbers: Sequence[int]) -> dict[str, Any]:
        """What changed since the client's cursor: the trials and the study's new summary."""
        study = self.followed(study_id)
        changed = study.changed_since(next_number, live_numbers)
        kept = study.with_params([t.number for t in changed])  # usually new trials: whole
        changed = [kept[t.number] for t in changed]
        cursor = TrialCursor(next_number, tuple(live_numbers)).advanced(changed)
        return {
            "next": cursor.next_number,
            "live": list(cursor.live_numbers),
            "changed": [_encode.trial_row(t) for t in changed],
            "summary": self.summary(study),
            "version": study.version,
        }

    def plot(self, study_id: int, kind: str, params: list[str] | None, objective: int) -> str:
        """The JSON of one plot of the study."""
        study = self.followed(study_id)
        key = ("plot", kind, tuple(params) if params else None, objective)

        def view() -> Any:
            if kind == "intermediate":
                return study.whole_study_view()
            # A ``params`` argument is checked against the params of any plot's study.
            return study.study_view(params=bool(params) or kind not in _plots.KINDS_WITHOUT_PARAMS)

        return str(study.cached(key, lambda: _plots.figure_json(view(), kind, params, objective)))

    def csv(self, study_id: int) -> tuple[str, str]:
        """The study's trials as CSV, and the study's name."""
        study = self.followed(study_id)
        return _encode.trials_csv(study.with_params(), len(study.directions)), study.name

    # -- human in the loop ----------------------------------------------------------------------
    def tell(self, study_id: int, number: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """End a running trial: ``{"state": "COMPLETE", "values": [...]}`` or
        ``{"state": "FAIL"}``. The trial must be RUNNING."""
        from tansaku.samplers import RandomSampler
        from tansaku.study import Study

        study = self.followed(study_id)
        state_name = body.get("state")
        if state_name not in ("COMPLETE", "FAIL"):
            raise ValueError(
                f"The 'state' field must be 'COMPLETE' or 'FAIL'. Got {state_name!r}."
            )
        live = Study(study.name, self.storage, sampler=RandomSampler())
        values = body.get("values") if state_name == "COMPLETE" else None
        if state_name == "COMPLETE" and (
            not isinstance(values, list)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        ):
            raise ValueError(f"The 'values' field must be a list of numbers. Got {values!r}.")
        told = live.tell(number, values, state=TrialState[state_name])
        self.followed(study_id, force=True)
        return _encode.trial_detail(told)

    def remove_waiting(self, study_id: int, number: int) -> dict[str, Any]:
        """Take a WAITING (enqueued) trial out of the queue: it ends FAIL.

        The dashboard takes the trial as a worker would, by the storage's compare-and-set
        move from WAITING to RUNNING, and ends it once it holds it: a worker that takes the
        trial at the same moment either gets it (the removal is refused) or never sees it
        waiting. Reading the state and then writing FAIL would fail a trial a worker had just
        started.
        """
        self.followed(study_id)  # KeyError for an unknown study
        trial_id = self.storage.get_trial_id_from_study_id_trial_number(study_id, number)
        try:
            taken = self.storage.set_trial_state_values(trial_id, TrialState.RUNNING)
        except UpdateFinishedTrialError:
            taken = False
        if not taken:
            state = self.storage.get_trial(trial_id).state
            raise ValueError(
                f"Trial {number} is {state.name}: only a WAITING trial can be removed "
                "from the queue."
            )
        self.storage.set_trial_state_values(trial_id, TrialState.FAIL)
        self.followed(study_id, force=True)
        return _encode.trial_detail(self.storage.get_trial(trial_id))


def _summary(study: FollowedStudy) -> dict[str, Any]:
    trials = study.trials
    view = study.study_view(params=False)
    best: dict[str, Any] | None = None
    if len(study.directions) == 1:
        try:
            trial = view.best_trial
            best = {"number": trial.number, "values": _encode.plain(trial.values)}
        except ValueError:
            best = None
    else:
        front = view.best_trials
        if front:
            best = {
                "n_pareto": len(front),
                "values": [
                    _encode.plain(
                        (max if d == StudyDirection.MAXIMIZE else min)(
                            t.values[i] for t in front if t.values is not None
                        )
                    )
                    for i, d in enumerate(study.directions)
                ],
            }
    return {
        "id": study.study_id,
        "name": study.name,
        "directions": [d.name.lower() for d in study.directions],
        "n_trials": len(trials),
        "counts": _encode.state_counts(trials),
        "best": best,
        "last_activity": _encode.last_activity(trials),
        "version": study.version,
    }


def _best_numbers(study: FollowedStudy) -> frozenset[int]:
    view = study.study_view(params=False)
    if len(study.directions) == 1:
        complete = view.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        try:
            best_value = view.best_trial.values
        except ValueError:
            return frozenset()
        return frozenset(t.number for t in complete if t.values == best_value)
    return frozenset(t.number for t in view.best_trials)
