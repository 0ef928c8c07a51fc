import json

import pytest

import tansaku
from tansaku._internal.system_attrs import (
    MAX_STORED_CHARS,
    read,
    set_study_system_attr,
    set_trial_system_attr,
)


def test_json_values_are_stored_on_the_trial_and_the_study() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    value = {"mean": [0.5, float("inf")], "generation": 3, "done": False, "note": None}
    set_trial_system_attr(study, trial._trial_id, "cmaes:state", value)
    set_study_system_attr(study, "qmc:next", 7)
    assert study._storage.get_trial(trial._trial_id).system_attrs["cmaes:state"] == value
    assert study._storage.get_study_system_attrs(study._study_id)["qmc:next"] == 7


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (object(), "the value is"),
        ({"a": [1, {2, 3}]}, "the value['a'][1] is"),
        ({1: "x"}, "a key of the value is 1"),
        (b"pickled", "the value is b'pickled'"),
    ],
)
def test_non_json_values_are_refused_before_anything_is_stored(value: object, where: str) -> None:
    study = tansaku.create_study()
    trial = study.ask()
    with pytest.raises(TypeError, match=where.replace("[", r"\[").replace("]", r"\]")):
        set_trial_system_attr(study, trial._trial_id, "k", value)
    with pytest.raises(TypeError, match="must be JSON"):
        set_study_system_attr(study, "k", value)
    assert "k" not in study._storage.get_trial(trial._trial_id).system_attrs
    assert "k" not in study._storage.get_study_system_attrs(study._study_id)


def test_a_non_str_key_is_refused() -> None:
    study = tansaku.create_study()
    with pytest.raises(TypeError, match="key must be a str"):
        set_study_system_attr(study, 3, 1)  # type: ignore[arg-type]


def test_a_value_that_fits_one_mysql_text_is_stored_as_it_is() -> None:
    study = tansaku.create_study()
    fits = "x" * (MAX_STORED_CHARS - 2)  # with its quotes, exactly the limit
    set_study_system_attr(study, "k", fits)
    assert study._storage.get_study_system_attrs(study._study_id) == {"k": fits}


def test_two_long_values_under_one_key_keep_their_parts_apart() -> None:
    # Two workers writing different long values under one key: whichever head is written
    # last names its own parts, never a mix of both.
    study = tansaku.create_study()
    first, second = ["a" * 100_000], ["b" * 100_000]
    set_study_system_attr(study, "k", first)
    set_study_system_attr(study, "k", second)
    attrs = study._storage.get_study_system_attrs(study._study_id)
    assert read(attrs, "k") == second
    assert max(len(json.dumps(value)) for value in attrs.values()) <= MAX_STORED_CHARS
