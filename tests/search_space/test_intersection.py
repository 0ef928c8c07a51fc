"""IntersectionSearchSpace: the params every completed trial suggested with the same range."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tansaku
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tansaku.search_space import IntersectionSearchSpace, intersection_search_space
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests._hypothesis import examples

# Two variants of each param's distribution: a dynamic range switches between them (categorical
# choices cannot change within a study, so "c" has one).
VARIANTS: dict[str, tuple[BaseDistribution, BaseDistribution]] = {
    "x": (FloatDistribution(0, 1), FloatDistribution(0, 2)),
    "y": (IntDistribution(0, 9), IntDistribution(0, 9, log=False, step=3)),
    "c": (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "b"])),
    "b": (FloatDistribution(1, 10, log=True), FloatDistribution(1, 100, log=True)),
}
VALUES = {"x": 0.5, "y": 3, "c": "a", "b": 5.0}


def _trial(state: TrialState = TrialState.COMPLETE, **variants: int) -> FrozenTrial:
    return create_trial(
        state=state,
        value=0.0 if state is TrialState.COMPLETE else None,
        params={name: VALUES[name] for name in variants},
        distributions={name: VARIANTS[name][v] for name, v in variants.items()},
    )


def _study(*trials: FrozenTrial) -> tansaku.Study:
    study = tansaku.create_study()
    study.add_trials(trials)
    return study


def test_keeps_the_params_every_completed_trial_suggested_sorted_by_name() -> None:
    study = _study(_trial(y=0, x=0, c=0), _trial(x=0, y=0), _trial(y=0, x=0, b=0))
    space = IntersectionSearchSpace().calculate(study)
    assert space == {"x": VARIANTS["x"][0], "y": VARIANTS["y"][0]}
    assert list(space) == ["x", "y"]
    assert list(intersection_search_space(study.trials)) == ["x", "y"]


def test_leaves_out_a_param_whose_distribution_changed() -> None:
    study = _study(_trial(x=0, y=0), _trial(x=1, y=0))
    assert IntersectionSearchSpace().calculate(study) == {"y": VARIANTS["y"][0]}


def test_empty_study_gives_an_empty_space() -> None:
    assert IntersectionSearchSpace().calculate(tansaku.create_study()) == {}
    assert intersection_search_space([]) == {}


def test_pruned_trials_count_only_with_include_pruned() -> None:
    study = _study(_trial(x=0, y=0), _trial(TrialState.PRUNED, x=0))
    assert set(IntersectionSearchSpace().calculate(study)) == {"x", "y"}
    assert set(IntersectionSearchSpace(include_pruned=True).calculate(study)) == {"x"}
    assert set(intersection_search_space(study.trials, include_pruned=True)) == {"x"}


def test_failed_running_and_waiting_trials_are_ignored() -> None:
    study = _study(_trial(x=0, y=0), _trial(TrialState.FAIL, x=0))
    study.add_trial(_trial(TrialState.RUNNING, y=0))
    study.enqueue_trial({"c": "a"})
    assert set(IntersectionSearchSpace().calculate(study)) == {"x", "y"}


def test_a_trial_that_finishes_after_later_ones_is_still_folded_in() -> None:
    study = tansaku.create_study()
    running = study.ask()
    running.suggest_float("x", 0, 1)
    study.add_trials([_trial(x=0, y=0), _trial(x=0, y=0)])
    space = IntersectionSearchSpace()
    assert set(space.calculate(study)) == {"x", "y"}
    study.tell(running, 1.0)
    assert set(space.calculate(study)) == {"x"}
    study.add_trial(_trial(x=0, y=0))
    assert set(space.calculate(study)) == {"x"}


def test_finished_trials_are_read_once() -> None:
    study = _study(_trial(x=0, y=0))
    space = IntersectionSearchSpace()
    assert set(space.calculate(study)) == {"x", "y"}
    # Tamper with the stored (shared) record: a rescan of the history would notice.
    study.get_trials(deepcopy=False)[0].distributions.pop("y")
    study.add_trial(_trial(x=0, y=0, c=0))
    assert set(space.calculate(study)) == {"x", "y"}
    assert set(IntersectionSearchSpace().calculate(study)) == {"x"}


class _HistoryReadCounter(tansaku.storages.InMemoryStorage):
    def __init__(self) -> None:
        super().__init__()
        self.whole_reads = 0

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Any = None
    ) -> list[FrozenTrial]:
        self.whole_reads += states is None
        return super().get_all_trials(study_id, deepcopy, states)


def test_later_calls_read_only_the_trials_from_the_first_unfolded_one_on() -> None:
    storage = _HistoryReadCounter()
    study = tansaku.create_study(storage=storage, sampler=tansaku.samplers.RandomSampler())
    study.add_trials([_trial(x=0, y=0) for _ in range(5)])
    space = IntersectionSearchSpace()
    assert set(space.calculate(study)) == {"x", "y"}
    storage.whole_reads = 0
    running = study.ask()
    running.suggest_float("x", 0, 1)
    study.add_trial(_trial(x=0))
    assert set(space.calculate(study)) == {"x"}
    study.tell(running, 1.0)
    assert set(space.calculate(study)) == {"x"}
    assert storage.whole_reads == 0


def test_the_returned_dict_is_the_callers_to_keep() -> None:
    study = _study(_trial(x=0, y=0))
    space = IntersectionSearchSpace()
    space.calculate(study).clear()
    assert set(space.calculate(study, use_cache=True)) == {"x", "y"}


def test_calculate_rejects_a_second_study() -> None:
    storage = tansaku.storages.InMemoryStorage()
    first = tansaku.create_study(storage=storage)
    second = tansaku.create_study(storage=storage)
    space = IntersectionSearchSpace()
    space.calculate(first)
    with pytest.raises(ValueError, match="must be the study of the earlier calls"):
        space.calculate(second)


_histories = st.lists(
    st.tuples(
        st.sampled_from([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]),
        st.dictionaries(st.sampled_from(sorted(VARIANTS)), st.integers(0, 1)),
    ),
    max_size=10,
)


def _oracle(history: list[tuple[TrialState, dict[str, int]]], include_pruned: bool) -> Any:
    states = {TrialState.COMPLETE} | ({TrialState.PRUNED} if include_pruned else set())
    kept = [variants for state, variants in history if state in states]
    if not kept:
        return {}
    first = {name: VARIANTS[name][v] for name, v in kept[0].items()}
    return {
        name: distribution
        for name, distribution in sorted(first.items())
        if all(
            name in variants and VARIANTS[name][variants[name]] == distribution
            for variants in kept
        )
    }


@settings(max_examples=examples(100), deadline=None)
@given(history=_histories, include_pruned=st.booleans(), data=st.data())
def test_space_folded_as_trials_finish_in_any_order_equals_the_whole_intersection(
    history: list[tuple[TrialState, dict[str, int]]], include_pruned: bool, data: st.DataObject
) -> None:
    study = tansaku.create_study()
    for _, variants in history:
        study.add_trial(_trial(TrialState.RUNNING, **variants))
    space = IntersectionSearchSpace(include_pruned=include_pruned)
    finished: list[tuple[TrialState, dict[str, int]]] = []
    for number in data.draw(st.permutations(range(len(history)))):
        state, variants = history[number]
        study.tell(number, 0.0 if state is TrialState.COMPLETE else None, state=state)
        finished.append((state, variants))
        expected = _oracle(finished, include_pruned)
        assert space.calculate(study) == expected
        assert intersection_search_space(study.trials, include_pruned) == expected
