from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

import tansaku
from tansaku.distributions import BaseDistribution
from tansaku.pruners import HyperbandPruner, SuccessiveHalvingPruner
from tansaku.samplers import BaseSampler, RandomSampler
from tansaku.storages import BaseStorage
from tansaku.trial import FrozenTrial, TrialState
from tests.storages._contract_backends import contract_storage  # noqa: F401 (the fixture)


def set_up(pruner: HyperbandPruner, study_name: str = "hb") -> tansaku.Study:
    """A study whose one completed trial reported steps 0..29, judged once so that the
    pruner sets its brackets up."""
    study = tansaku.create_study(study_name=study_name, pruner=pruner)
    trial = study.ask()
    for step in range(30):
        trial.report(1.0, step)
    study.tell(trial, 1.0)
    trial = study.ask()
    trial.report(1.0, 0)
    trial.should_prune()
    return study


def brackets(pruner: HyperbandPruner, study_name: str, numbers: range) -> list[int]:
    return [pruner._bracket_of(study_name, n) for n in numbers]


def test_auto_max_resource_gives_the_brackets_and_their_shares_of_the_paper() -> None:
    # max_resource = 29 + 1 = 30, eta = 3: floor(log_3 30) + 1 = 4 brackets. Bracket b has
    # s = 3 - b and a share ceil(4 * 3**s / (s + 1)): 27, 12, 6 and 4 of 49.
    pruner = HyperbandPruner(reduction_factor=3)
    set_up(pruner)
    assert [p._min_early_stopping_rate for p in pruner._pruners] == [0, 1, 2, 3]
    counts = Counter(brackets(pruner, "hb", range(9800)))
    for bracket, share in enumerate((27, 12, 6, 4)):
        assert counts[bracket] / 9800 == pytest.approx(share / 49, abs=0.02)


def test_bracket_of_a_trial_depends_only_on_the_study_name_and_its_number() -> None:
    first, second = HyperbandPruner(max_resource=30), HyperbandPruner(max_resource=30)
    set_up(first)
    set_up(second)
    numbers = range(300)
    assert brackets(first, "hb", numbers) == brackets(second, "hb", numbers)
    assert brackets(first, "hb", numbers) != brackets(first, "other", numbers)
    assert len(set(brackets(first, "hb", numbers))) == 4
    # The same in another interpreter with another string hash seed.
    code = (
        "import tansaku\n"
        "pruner = tansaku.pruners.HyperbandPruner(max_resource=30)\n"
        "study = tansaku.create_study(study_name='hb', pruner=pruner)\n"
        "trial = study.ask(); trial.report(1.0, 0); trial.should_prune()\n"
        "print([pruner._bracket_of('hb', n) for n in range(300)])\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == str(brackets(first, "hb", numbers))


def test_each_bracket_is_successive_halving_with_its_own_first_rung() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    study = set_up(pruner)
    for number in range(2, 60):
        trial = study.ask()
        bracket = pruner._bracket_of("hb", number)
        first_rung_end = 3**bracket
        for step in range(first_rung_end):
            trial.report(100.0, step)
            assert not trial.should_prune()
        trial.report(100.0 + number, first_rung_end)
        trial.should_prune()
        recorded = study.trials[number].system_attrs
        assert recorded["completed_rung_0"] == 100.0 + number
        study.tell(trial, state=TrialState.PRUNED)


def test_trials_rank_only_against_their_own_bracket() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    study = set_up(pruner)
    study.tell(1, state=TrialState.PRUNED)
    # Bracket 0's first rung ends at step 1, bracket 1's at step 3.
    n_good = 0
    while True:
        trial = study.ask()
        bracket = pruner._bracket_of("hb", trial.number)
        if bracket == 0:
            trial.report(-100.0, 1)
            assert not trial.should_prune()  # the best so far at its rung
            n_good += 1
            study.tell(trial, -100.0)
        elif bracket == 1 and n_good >= 5:
            # Ranked with the bracket-0 values it would be pruned (5 of 6 ahead > 6 // 3 - 1);
            # it is the first value at bracket 1's rung, so it goes on.
            trial.report(50.0, 3)
            assert not trial.should_prune()
            assert study.trials[trial.number].system_attrs["completed_rung_0"] == 50.0
            break
        else:
            study.tell(trial, state=TrialState.FAIL)


class RecordingSampler(BaseSampler):
    """Random sampling that records which trials the study it is given holds."""

    def __init__(self) -> None:
        self._random = RandomSampler(seed=0)
        self.seen: list[tuple[int, list[int]]] = []

    def infer_relative_search_space(
        self, study: tansaku.Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: tansaku.Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def sample_independent(
        self,
        study: tansaku.Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        self.seen.append((trial.number, [t.number for t in study.get_trials(deepcopy=False)]))
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: tansaku.Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self.seen.append((trial.number, [t.number for t in study.get_trials(deepcopy=False)]))


def test_the_sampler_learns_from_the_trials_of_the_trials_bracket_only() -> None:
    sampler = RecordingSampler()
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = tansaku.create_study(study_name="bohb", sampler=sampler, pruner=pruner)

    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(9):
            trial.report(x, step)
            if trial.should_prune():
                raise tansaku.TrialPruned()
        return x

    study.optimize(objective, n_trials=40)
    assert len(pruner._pruners) == 3
    checked = 0
    for number, visible in sampler.seen:
        if number < 2:
            continue  # the brackets are set up while trial 1 runs
        bracket = pruner._bracket_of("bohb", number)
        assert number in visible
        assert {pruner._bracket_of("bohb", n) for n in visible} == {bracket}
        checked += 1
    assert checked >= 70  # a sample and an after_trial per trial


def test_tpe_with_hyperband_optimizes() -> None:
    study = tansaku.create_study(
        sampler=tansaku.samplers.TPESampler(seed=0, n_startup_trials=5),
        pruner=HyperbandPruner(max_resource=9),
    )

    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        for step in range(9):
            trial.report((x - 1.0) ** 2 + 1.0 / (step + 1), step)
            if trial.should_prune():
                raise tansaku.TrialPruned()
        return (x - 1.0) ** 2

    study.optimize(objective, n_trials=80)
    assert study.best_value < 0.05
    assert len(study.get_trials(states=(TrialState.PRUNED,))) > 10


def test_a_bracket_view_is_a_study_on_a_storage_that_holds_the_brackets_trials_only(
    storage: BaseStorage,
) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    study = tansaku.create_study(study_name="view", storage=storage, pruner=pruner)
    for number in range(12):
        trial = study.ask()
        trial.report(float(number), 0)
        trial.should_prune()  # sets the brackets up while trial 0 runs
        study.tell(trial, float(number))
    bracket_of = {t.number: pruner._bracket_of("view", t.number) for t in study.trials}
    view = pruner._bracket_study(study, study.trials[-1])
    mine = [n for n, b in bracket_of.items() if b == bracket_of[11]]
    assert 0 < len(mine) < 12
    assert [t.number for t in view.get_trials()] == mine
    assert view.best_trial.number == mine[0]
    # The view's storage is a storage: a study loaded on it reads the bracket alone, and what
    # is written through it lands in the study.
    assert isinstance(view._storage, BaseStorage)
    assert view._storage.get_n_trials(view._study_id, TrialState.COMPLETE) == len(mine)
    loaded = tansaku.load_study(study_name="view", storage=view._storage)
    assert [t.number for t in loaded.get_trials()] == mine
    loaded.set_user_attr("seen_by", "bracket")
    assert study.user_attrs == {"seen_by": "bracket"}


def test_a_pickled_pruner_keeps_its_brackets() -> None:
    import pickle

    pruner = HyperbandPruner(max_resource=30)
    set_up(pruner)
    copy = pickle.loads(pickle.dumps(pruner))
    assert brackets(copy, "hb", range(100)) == brackets(pruner, "hb", range(100))
    assert all(isinstance(p, SuccessiveHalvingPruner) for p in copy._pruners)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": 0}, "min_resource=0 must be an int >= 1"),
        ({"max_resource": "x"}, "max_resource='x' must be an int >= 1 or 'auto'"),
        ({"max_resource": 0}, "max_resource=0 must be an int >= 1 or 'auto'"),
        ({"min_resource": 5, "max_resource": 4}, "max_resource=4 must be >= min_resource=5"),
        ({"reduction_factor": 1}, "reduction_factor=1 must be >= 2"),
        ({"max_resource": 9, "bootstrap_count": -1}, "bootstrap_count=-1 must be >= 0"),
        ({"bootstrap_count": 2}, "bootstrap_count=2 must be 0 when max_resource='auto'"),
    ],
)
def test_bad_arguments_are_rejected_naming_them(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^HyperbandPruner: {message}"):
        HyperbandPruner(**kwargs)
