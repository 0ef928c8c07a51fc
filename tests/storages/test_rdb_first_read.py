"""The first read of a study by an RDBStorage (every row at once, table by table) gives the
trials the writer knows, row for row: values of every kind, params in their order, attrs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.storages import RDBStorage
from tansaku.trial import FrozenTrial, TrialState
from tests.storages._contract_backends import MAX, MIN, STORAGE_FACTORIES


def _fields(trial: FrozenTrial) -> tuple[Any, ...]:
    def same_nan(values: Any) -> Any:
        return repr(values)  # NaN == NaN in repr, and infinities stay apart

    return (
        trial.number,
        trial.state,
        same_nan(trial.values),
        list(trial.params.items()),
        list(trial.distributions.items()),
        trial.user_attrs,
        trial.system_attrs,
        same_nan(list(trial.intermediate_values.items())),
        trial.datetime_start,
        trial.datetime_complete,
        trial._trial_id,
    )


def _without_intermediate_values(trial: FrozenTrial) -> FrozenTrial:
    copy = trial.__deepcopy__({})
    copy.intermediate_values = {}
    return copy


def _without_params(trial: FrozenTrial) -> FrozenTrial:
    copy = _without_intermediate_values(trial)
    copy.params = {}
    copy.distributions = {}
    return copy


def _params_fields(trial: FrozenTrial) -> tuple[Any, ...]:
    return list(trial.params.items()), list(trial.distributions.items())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mysql"])
def test_first_read_of_a_study_matches_what_the_writer_read(backend: str, tmp_path: Path) -> None:
    writer = STORAGE_FACTORIES[backend](tmp_path)
    assert isinstance(writer, RDBStorage)
    other = writer.create_new_study([MIN, MAX], "other")  # rows of another study are left out
    writer.set_trial_param(writer.create_new_trial(other), "x", 0.5, FloatDistribution(0, 1))
    study_id = writer.create_new_study([MIN, MAX], "read")
    spaces = [
        ("z", FloatDistribution(-1.0, 1.0)),
        ("a", IntDistribution(1, 9, log=True)),
        ("m", CategoricalDistribution(["p", None, 2.5])),
    ]
    for number in range(7):
        trial_id = writer.create_new_trial(study_id)
        for index, (name, distribution) in enumerate(spaces[: 1 + number % 3]):
            writer.set_trial_param(trial_id, name, float(index % 2), distribution)
        kinds = [0.25 * number, math.inf, -math.inf, math.nan]
        for step in range(number % 4 + 1):
            writer.set_trial_intermediate_value(trial_id, 3 - step, kinds[step])
        writer.set_trial_user_attr(trial_id, "note", {"n": number, "l": [1, None]})
        writer.set_trial_system_attr(trial_id, "s", "x" * number)
        if number == 5:
            continue  # stays RUNNING
        if number == 6:
            writer.set_trial_state_values(trial_id, TrialState.FAIL)
            continue
        values = [[math.inf, -1.0], [-math.inf, math.inf], [0.5 * number, 2.0]][number % 3]
        writer.set_trial_state_values(trial_id, TrialState.COMPLETE, values)
    writer.create_new_trial(
        study_id,
        FrozenTrial(
            7,
            TrialState.WAITING,
            None,
            None,
            None,
            {"z": 0.5},
            {"z": FloatDistribution(-1, 1)},
            {},
            {},
            {},
            -1,
        ),
    )
    written = writer.get_all_trials(study_id)
    reader = RDBStorage(writer.url)
    try:
        # The read without params leaves out those of the finished trials (and their
        # intermediate values); a read of some trials' params, or all, gives them in order.
        lean, _ = reader._get_trials_changed_since_without_params(study_id)
        assert [_fields(t) for t in lean] == [
            _fields(_without_params(t) if t.state.is_finished() else t) for t in written
        ]
        assert lean[5].params == written[5].params != {}
        params = reader._get_params_of_trials(study_id)
        assert [_params_fields(t) for t in written] == [
            (list(params[t._trial_id][0].items()), list(params[t._trial_id][1].items()))
            for t in written
        ]
        some = [written[2]._trial_id, written[0]._trial_id]
        assert reader._get_params_of_trials(study_id, some) == {i: params[i] for i in some}
        assert reader._get_param_names(study_id, [TrialState.COMPLETE]) == {"z", "a", "m"}
        light, _ = reader.get_trials_changed_since(study_id, intermediate_values=False)
        read = reader.get_all_trials(study_id)
        assert [_fields(t) for t in read] == [_fields(t) for t in written]
        assert len(read) == 8
        assert [name for name, _ in read[2].params.items()] == ["z", "a", "m"]
        assert math.isnan(read[3].intermediate_values[0])
        assert read[1].values == [-math.inf, math.inf]
        # The read without intermediate values leaves out those of the finished trials only,
        # and keeps its trials apart: the whole read after it (above) has them all.
        assert [_fields(t) for t in light] == [
            _fields(_without_intermediate_values(t) if t.state.is_finished() else t)
            for t in written
        ]
        assert light[5].intermediate_values == written[5].intermediate_values != {}
        assert reader.get_trial(light[0]._trial_id).intermediate_values == {3: 0.0}
    finally:
        reader.remove_session()
        writer.remove_session()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_first_read_of_a_param_with_several_distributions(backend: str, tmp_path: Path) -> None:
    # Rows of a param whose distribution changes from trial to trial each name theirs.
    writer = STORAGE_FACTORIES[backend](tmp_path)
    assert isinstance(writer, RDBStorage)
    study_id = writer.create_new_study([MIN], "read")
    spaces = [
        FloatDistribution(0, 1),
        FloatDistribution(0, 2),
        FloatDistribution(0, 3, log=False, step=0.5),
    ]
    for number in range(6):
        trial_id = writer.create_new_trial(study_id)
        writer.set_trial_param(trial_id, "w", 1.0, spaces[number % 3])
        writer.set_trial_param(trial_id, "c", 1.0, CategoricalDistribution(["a", "b"]))
        writer.set_trial_state_values(trial_id, TrialState.COMPLETE, [float(number)])
    written = writer.get_all_trials(study_id)
    reader = RDBStorage(writer.url)
    try:
        params = reader._get_params_of_trials(study_id)
        assert [params[t._trial_id] for t in written] == [
            (t.params, t.distributions) for t in written
        ]
        read = reader.get_all_trials(study_id)
        assert [_fields(t) for t in read] == [_fields(t) for t in written]
        assert [t.distributions["w"] for t in read] == spaces * 2
        assert [t.params["c"] for t in read] == ["b"] * 6
    finally:
        reader.remove_session()
        writer.remove_session()
