"""FrozenTrial: the stored record of one trial."""

from __future__ import annotations

import copy
import datetime
import pickle
from typing import Any

import pytest

from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.trial import FrozenTrial, TrialState, create_trial

START = datetime.datetime(2026, 1, 2, 3, 4, 5)
END = START + datetime.timedelta(seconds=90)


def make_trial(**overrides: Any) -> FrozenTrial:
    """A finished trial with one param of each kind and some attrs; fields can be overridden."""
    fields: dict[str, Any] = {
        "number": 3,
        "state": TrialState.COMPLETE,
        "value": 0.25,
        "datetime_start": START,
        "datetime_complete": END,
        "params": {"lr": 0.01, "layers": 2, "opt": "adam"},
        "distributions": {
            "lr": FloatDistribution(1e-4, 1.0, log=True),
            "layers": IntDistribution(1, 4),
            "opt": CategoricalDistribution(["sgd", "adam"]),
        },
        "user_attrs": {"note": "baseline"},
        "system_attrs": {"seed": 7},
        "intermediate_values": {0: 0.9, 1: 0.5},
        "trial_id": 11,
    }
    fields.update(overrides)
    values = fields.pop("values", None)
    return FrozenTrial(**fields, values=values)


# -- values -------------------------------------------------------------------------------------


def test_value_of_single_objective_trial_is_also_its_only_values_entry() -> None:
    trial = make_trial(value=1.5)
    assert trial.value == 1.5
    assert trial.values == [1.5]


def test_value_and_values_are_none_before_completion() -> None:
    trial = make_trial(state=TrialState.RUNNING, value=None, datetime_complete=None)
    assert trial.value is None
    assert trial.values is None


def test_value_of_multi_objective_trial_raises_runtime_error() -> None:
    trial = make_trial(value=None, values=[1.0, 2.0])
    assert trial.values == [1.0, 2.0]
    with pytest.raises(RuntimeError):
        _ = trial.value


def test_value_and_values_together_raise_value_error() -> None:
    with pytest.raises(ValueError):
        make_trial(value=1.0, values=[1.0])


def test_setting_value_or_values_replaces_both_views() -> None:
    trial = make_trial(value=1.0)
    trial.value = 2.0
    assert trial.values == [2.0]
    trial.values = (3.0, 4.0)
    assert trial.values == [3.0, 4.0]
    trial.values = None
    assert trial.value is None


# -- derived properties -------------------------------------------------------------------------


def test_last_step_is_the_largest_reported_step_whatever_the_order() -> None:
    assert make_trial(intermediate_values={5: 0.1, 2: 0.3, 9: 0.2, 0: 0.4}).last_step == 9


def test_last_step_is_none_without_reports() -> None:
    assert make_trial(intermediate_values={}).last_step is None


def test_duration_is_complete_minus_start() -> None:
    assert make_trial().duration == datetime.timedelta(seconds=90)


@pytest.mark.parametrize(
    ("start", "complete"), [(START, None), (None, None), (None, END)], ids=str
)
def test_duration_is_none_until_both_times_are_known(
    start: datetime.datetime | None, complete: datetime.datetime | None
) -> None:
    trial = make_trial(datetime_start=start, datetime_complete=complete)
    assert trial.duration is None


def test_constraints_are_read_from_system_attrs_by_key() -> None:
    trial = create_trial(value=1.0, constraints={"memory": 0.5, "latency": -2.0})
    assert trial.constraints == {"memory": 0.5, "latency": -2.0}
    assert make_trial().constraints == {}


def test_set_constraint_adds_a_constraint() -> None:
    trial = make_trial()
    trial.set_constraint("memory", 3)
    assert trial.constraints == {"memory": 3.0}


def test_set_constraint_twice_keeps_the_first_value_and_warns() -> None:
    # As Trial.set_constraint (and Optuna) do: a constraint is a measurement, set once.
    trial = make_trial()
    trial.set_constraint("memory", 1.0)
    with pytest.warns(UserWarning, match="memory"):
        trial.set_constraint("memory", 2.0)
    assert trial.constraints == {"memory": 1.0}


def test_set_constraint_rejects_nan_and_non_numbers() -> None:
    trial = make_trial()
    with pytest.raises(ValueError, match="memory"):
        trial.set_constraint("memory", float("nan"))
    with pytest.raises(TypeError, match="memory"):
        trial.set_constraint("memory", "high")  # type: ignore[arg-type]
    assert trial.constraints == {}


def test_constraints_include_constraints_func_results_by_position() -> None:
    # Samplers keep the results of their constraints_func as a list under "constraints";
    # Optuna shows them in FrozenTrial.constraints as "0", "1", ...
    trial = make_trial(system_attrs={"constraints": [0.5, -1.0]})
    assert trial.constraints == {"0": 0.5, "1": -1.0}


# -- acting as an objective's trial -------------------------------------------------------------


def test_suggest_returns_the_stored_params() -> None:
    trial = make_trial()
    assert trial.suggest_float("lr", 1e-4, 1.0, log=True) == 0.01
    assert trial.suggest_int("layers", 1, 4) == 2
    assert trial.suggest_categorical("opt", ["sgd", "adam"]) == "adam"


def test_suggest_of_unknown_name_raises_value_error_naming_it() -> None:
    with pytest.raises(ValueError, match="momentum"):
        make_trial().suggest_float("momentum", 0.0, 1.0)


def test_suggest_with_range_excluding_stored_value_raises_value_error() -> None:
    with pytest.raises(ValueError, match="layers"):
        make_trial().suggest_int("layers", 3, 4)


def test_report_and_should_prune_do_nothing() -> None:
    trial = make_trial()
    trial.report(0.1, step=7)
    assert trial.intermediate_values == {0: 0.9, 1: 0.5}
    assert trial.should_prune() is False


def test_set_user_attr_updates_user_attrs() -> None:
    trial = make_trial()
    trial.set_user_attr("seed", 3)
    assert trial.user_attrs == {"note": "baseline", "seed": 3}


# -- copies -------------------------------------------------------------------------------------


def test_deepcopy_is_equal_and_independent() -> None:
    trial = make_trial(values=[1.0, 2.0], value=None)
    clone = copy.deepcopy(trial)
    assert clone == trial and clone is not trial

    clone.params["lr"] = 0.5
    clone.distributions["extra"] = FloatDistribution(0, 1)
    clone.user_attrs["note"] = "changed"
    clone.system_attrs["seed"] = 8
    clone.intermediate_values[2] = 0.1
    assert clone.values is not None
    clone.values.append(3.0)
    clone.number = 99
    clone.state = TrialState.FAIL

    assert trial == make_trial(values=[1.0, 2.0], value=None)


def _grow(value: Any) -> None:
    """Mutate a value in place, wherever its mutable part is."""
    if isinstance(value, list):
        value.append(3)
    elif isinstance(value, set):
        value.add(3)
    elif isinstance(value, dict):
        value["a"].append(3)
    else:
        value[1].append(3)


@pytest.mark.parametrize(
    "fresh",
    [lambda: [1, 2], lambda: {"a": [1]}, lambda: (1, [2]), lambda: {1, 2}],
    ids=["list", "dict", "tuple-holding-list", "set"],
)
def test_deepcopy_does_not_share_mutable_attr_values(fresh: Any) -> None:
    trial = make_trial(user_attrs={"k": fresh(), "plain": 1}, system_attrs={"k": fresh()})
    clone = copy.deepcopy(trial)
    _grow(clone.user_attrs["k"])
    _grow(clone.system_attrs["k"])
    assert trial.user_attrs == {"k": fresh(), "plain": 1}
    assert trial.system_attrs == {"k": fresh()}
    assert clone.user_attrs["k"] != fresh()


def test_deepcopy_inside_a_container_copies_the_trial() -> None:
    trial = make_trial(user_attrs={"history": [1]})
    holder = copy.deepcopy({"best": trial})
    holder["best"].user_attrs["history"].append(2)
    assert trial.user_attrs == {"history": [1]}


def test_shallow_copy_is_equal_but_a_different_object() -> None:
    trial = make_trial()
    clone = copy.copy(trial)
    assert clone == trial and clone is not trial
    clone.number = 4
    assert trial.number == 3


def test_pickle_round_trip_keeps_every_field() -> None:
    trial = make_trial(user_attrs={"curve": [0.9, 0.5]})
    restored = pickle.loads(pickle.dumps(trial))
    assert restored == trial
    assert restored.params == trial.params
    assert restored.distributions == trial.distributions
    assert restored.datetime_start == START
    assert restored.duration == trial.duration
    assert restored._trial_id == 11


# -- equality, ordering, repr -------------------------------------------------------------------


def test_trials_with_the_same_fields_are_equal_and_hash_equal() -> None:
    assert make_trial() == make_trial()
    assert hash(make_trial()) == hash(make_trial())


@pytest.mark.parametrize(
    "change",
    [
        {"number": 4},
        {"state": TrialState.PRUNED},
        {"value": 0.5},
        {"params": {"lr": 0.02, "layers": 2, "opt": "adam"}},
        {"user_attrs": {}},
        {"system_attrs": {}},
        {"intermediate_values": {}},
        {"datetime_complete": END + datetime.timedelta(seconds=1)},
        {"trial_id": 12},
    ],
    ids=lambda change: next(iter(change)),
)
def test_trials_differing_in_one_field_are_not_equal(change: dict[str, Any]) -> None:
    assert make_trial(**change) != make_trial()


def test_trial_is_not_equal_to_other_types() -> None:
    assert make_trial() != "FrozenTrial"
    assert make_trial() != 3


def test_trials_order_by_number() -> None:
    trials = [make_trial(number=n, trial_id=100 - n) for n in (5, 0, 3)]
    assert [t.number for t in sorted(trials)] == [0, 3, 5]
    first, second = make_trial(number=1), make_trial(number=2)
    assert first < second and first <= second and second > first and second >= first
    assert first <= make_trial(number=1)
    assert not second < first


def test_ordering_against_other_types_raises_type_error() -> None:
    with pytest.raises(TypeError):
        _ = make_trial() < 3  # type: ignore[operator]


def test_repr_shows_the_fields() -> None:
    text = repr(make_trial())
    assert text.startswith("FrozenTrial(")
    for fragment in (
        "number=3",
        "state=",
        "COMPLETE",
        "values=[0.25]",
        "'lr': 0.01",
        "'note': 'baseline'",
        "trial_id=11",
        "IntDistribution",
    ):
        assert fragment in text
