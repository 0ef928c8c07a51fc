"""_GroupDecomposedSearchSpace: params split into groups that always appear together."""

from __future__ import annotations

import collections

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
from tansaku.search_space import _GroupDecomposedSearchSpace, _SearchSpaceGroup
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests._hypothesis import examples

DISTRIBUTIONS: dict[str, BaseDistribution] = {
    "a": FloatDistribution(0, 1),
    "b": IntDistribution(0, 9),
    "c": CategoricalDistribution(["p", "q"]),
    "d": FloatDistribution(1, 10, log=True),
    "e": IntDistribution(1, 5),
}
VALUES = {"a": 0.5, "b": 3, "c": "p", "d": 2.0, "e": 4}


def _trial(names: str, state: TrialState = TrialState.COMPLETE) -> FrozenTrial:
    return create_trial(
        state=state,
        value=0.0 if state is TrialState.COMPLETE else None,
        params={name: VALUES[name] for name in names},
        distributions={name: DISTRIBUTIONS[name] for name in names},
    )


def _groups(study: tansaku.Study, include_pruned: bool = False) -> list[list[str]]:
    group = _GroupDecomposedSearchSpace(include_pruned).calculate(study)
    return [list(space) for space in group.search_spaces]


def _study(*trials: FrozenTrial) -> tansaku.Study:
    study = tansaku.create_study()
    study.add_trials(trials)
    return study


def test_params_that_always_appear_together_form_one_group() -> None:
    assert _groups(_study(_trial("ba"), _trial("abc"), _trial("ab"))) == [["a", "b"], ["c"]]


def test_a_trial_with_only_some_params_of_a_group_splits_it() -> None:
    assert _groups(_study(_trial("abc"), _trial("a"))) == [["a"], ["b", "c"]]


def test_branches_of_a_conditional_space_form_separate_groups() -> None:
    study = _study(_trial("cab"), _trial("cd"), _trial("cab"))
    assert _groups(study) == [["c"], ["a", "b"], ["d"]]


def test_each_group_maps_its_params_to_their_distributions() -> None:
    group = _GroupDecomposedSearchSpace().calculate(_study(_trial("ab"), _trial("c")))
    assert group.search_spaces == [
        {"a": DISTRIBUTIONS["a"], "b": DISTRIBUTIONS["b"]},
        {"c": DISTRIBUTIONS["c"]},
    ]


def test_empty_study_has_no_groups() -> None:
    assert _groups(tansaku.create_study()) == []


def test_failed_and_running_trials_are_ignored_and_pruned_ones_only_on_request() -> None:
    study = _study(_trial("ab"), _trial("a", TrialState.FAIL), _trial("b", TrialState.PRUNED))
    study.add_trial(_trial("a", TrialState.RUNNING))
    assert _groups(study) == [["a", "b"]]
    assert _groups(study, include_pruned=True) == [["b"], ["a"]]


def test_the_returned_groups_are_the_callers_to_keep() -> None:
    study = _study(_trial("ab"))
    space = _GroupDecomposedSearchSpace()
    space.calculate(study).search_spaces[0].clear()
    assert space.calculate(study).search_spaces == [
        {"a": DISTRIBUTIONS["a"], "b": DISTRIBUTIONS["b"]}
    ]


@pytest.mark.parametrize("use_cache", [False, True])
def test_use_cache_is_accepted_and_changes_nothing(use_cache: bool) -> None:
    study = _study(_trial("ab"), _trial("c"))
    space = _GroupDecomposedSearchSpace()
    expected = [list(g) for g in _GroupDecomposedSearchSpace().calculate(study).search_spaces]
    for _ in range(2):
        group = space.calculate(study, use_cache=use_cache)
        assert [list(g) for g in group.search_spaces] == expected


def test_calculate_rejects_a_second_study() -> None:
    storage = tansaku.storages.InMemoryStorage()
    space = _GroupDecomposedSearchSpace()
    space.calculate(tansaku.create_study(storage=storage))
    with pytest.raises(ValueError, match="must be the study of the earlier calls"):
        space.calculate(tansaku.create_study(storage=storage))


def test_search_space_group_refines_with_each_added_trial() -> None:
    group = _SearchSpaceGroup()
    group.add_distributions({name: DISTRIBUTIONS[name] for name in "abcd"})
    group.add_distributions({name: DISTRIBUTIONS[name] for name in "bde"})
    assert [list(space) for space in group.search_spaces] == [["b", "d"], ["a", "c"], ["e"]]


def _oracle(param_sets: list[str]) -> set[frozenset[str]]:
    """Group names by the set of trials that suggested them."""
    by_trials: dict[frozenset[int], set[str]] = collections.defaultdict(set)
    for name in {name for names in param_sets for name in names}:
        by_trials[frozenset(i for i, names in enumerate(param_sets) if name in names)].add(name)
    return {frozenset(names) for names in by_trials.values()}


@settings(max_examples=examples(100), deadline=None)
@given(
    history=st.lists(
        st.tuples(
            st.sampled_from([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]),
            st.sets(st.sampled_from(sorted(DISTRIBUTIONS))).map(lambda s: "".join(sorted(s))),
        ),
        max_size=10,
    ),
    include_pruned=st.booleans(),
    data=st.data(),
)
def test_groups_folded_as_trials_finish_in_any_order_equal_the_whole_history_partition(
    history: list[tuple[TrialState, str]], include_pruned: bool, data: st.DataObject
) -> None:
    study = tansaku.create_study()
    for _, names in history:
        study.add_trial(_trial(names, TrialState.RUNNING))
    states = {TrialState.COMPLETE} | ({TrialState.PRUNED} if include_pruned else set())
    space = _GroupDecomposedSearchSpace(include_pruned)
    finished: list[str] = []
    for number in data.draw(st.permutations(range(len(history)))):
        state, names = history[number]
        study.tell(number, 0.0 if state is TrialState.COMPLETE else None, state=state)
        if state in states:
            finished.append(names)
        groups = space.calculate(study).search_spaces
        assert {frozenset(group) for group in groups} == _oracle(finished)
        assert all(list(group) == sorted(group) for group in groups)
        for group in groups:
            assert all(group[name] == DISTRIBUTIONS[name] for name in group)
