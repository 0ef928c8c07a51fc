"""The optional tqdm progress bar of ``Study.optimize``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tansaku.study._study import Study


class ProgressBar:
    """Counts trials (or seconds, with only a timeout) and shows the best value so far."""

    def __init__(self, enabled: bool, n_trials: int | None, timeout: float | None) -> None:
        self._bar: Any = None
        if not enabled:
            return
        from tqdm.auto import tqdm

        self._by_time = n_trials is None and timeout is not None
        total = n_trials if n_trials is not None else timeout
        self._bar = tqdm(total=total, bar_format=None if not self._by_time else "{l_bar}{bar}")

    def update(self, study: Study, trial: FrozenTrial) -> None:
        bar = self._bar
        if bar is None:
            return
        if self._by_time:
            bar.n = min(bar.total, bar.format_dict["elapsed"])
            bar.refresh()
        else:
            bar.update(1)
        if trial.state is TrialState.COMPLETE and not study._is_multi_objective():
            try:
                best = study._best_trial()
                bar.set_description(f"Best trial: {best.number}. Best value: {best.value:.6g}")
            except ValueError:
                pass

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
