"""Long attr values: what each backend stores, and the clear error where it cannot.

System attrs written through ``tansaku._internal.system_attrs`` (samplers' state) are split
into parts beyond what MySQL's TEXT holds (65,535 bytes), on every backend, and read back
whole. A user attr, a system attr written straight to a storage, or a distribution too long for
MySQL's TEXT raises ValueError at the call, naming the attr and the limit, with nothing written;
SQLite, PostgreSQL and the journals store them whole.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from sqlalchemy import text

import tansaku
from tansaku._internal import system_attrs
from tansaku.exceptions import ExperimentalWarning
from tansaku.samplers import CmaEsSampler
from tansaku.samplers._cmaes import _codec
from tansaku.storages import BaseStorage, RDBStorage
from tansaku.trial import Trial
from tests.storages._contract_backends import contract_storage  # noqa: F401  (fixture)

# Longer than MySQL's TEXT (65,535 bytes) holds.
_LONG = "x" * 70_000
# A JSON value of about 3 parts, with characters JSON escapes (each '"' takes two).
_LONG_JSON = {"quoted": ['"' * 30_000, "é" * 10_000], "numbers": list(range(5_000))}


@pytest.fixture(autouse=True)
def _no_experimental_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        yield


def _on_mysql(storage: BaseStorage) -> bool:
    return isinstance(storage, RDBStorage) and storage.engine.dialect.name in ("mysql", "mariadb")


def test_cmaes_state_of_150_params_is_stored_and_read_back(storage: BaseStorage) -> None:
    n_params = 150  # the state's covariance alone is ~120 KB as stored
    study = tansaku.create_study(storage=storage, sampler=CmaEsSampler(seed=0))
    study.enqueue_trial({f"x{i}": 0.1 for i in range(n_params)})  # no independent startup

    def objective(trial: Trial) -> float:
        return sum(trial.suggest_float(f"x{i}", -1, 1) ** 2 for i in range(n_params))

    study.optimize(objective, n_trials=2)
    run = _codec.latest(storage.get_study_system_attrs(study._study_id))
    assert run is not None
    assert run.cma.mean.shape == (n_params,)
    assert run.cma.cov.shape == (n_params, n_params)


def test_long_system_attrs_are_stored_in_parts_and_read_back_whole(storage: BaseStorage) -> None:
    study = tansaku.create_study(storage=storage)
    system_attrs.set_study_system_attr(study, "state", _LONG_JSON)
    trial = study.ask()
    system_attrs.set_trial_system_attr(study, trial._trial_id, "state", _LONG_JSON)
    study.tell(trial, 1.0)
    stored = [
        storage.get_study_system_attrs(study._study_id),
        storage.get_trial(trial._trial_id).system_attrs,
    ]
    for attrs in stored:
        assert system_attrs.read(attrs, "state") == _LONG_JSON
        assert len(attrs) > 2  # parts, and the head that names them
    # A value short enough again replaces the head; the parts left behind are not read.
    system_attrs.set_study_system_attr(study, "state", [1, 2])
    assert system_attrs.read(storage.get_study_system_attrs(study._study_id), "state") == [1, 2]


def test_value_with_a_missing_part_reads_as_absent() -> None:
    study = tansaku.create_study()
    system_attrs.set_study_system_attr(study, "state", _LONG_JSON)
    attrs = study._storage.get_study_system_attrs(study._study_id)
    part = next(key for key in attrs if key.startswith("state:part:"))
    del attrs[part]
    assert system_attrs.read(attrs, "state", "absent") == "absent"


def test_user_attr_too_long_for_the_backend_raises_and_keeps_the_value_stored(
    storage: BaseStorage,
) -> None:
    study = tansaku.create_study(storage=storage)
    study.set_user_attr("note", "short")
    trial = study.ask()
    trial.set_user_attr("note", "short")
    if not _on_mysql(storage):
        # TEXT is unlimited in practice on SQLite and PostgreSQL; the journals store any length.
        study.set_user_attr("note", _LONG)
        trial.set_user_attr("note", _LONG)
        assert study.user_attrs["note"] == _LONG
        assert storage.get_trial(trial._trial_id).user_attrs["note"] == _LONG
        return
    with pytest.raises(ValueError, match=r"user attr 'note' is 70002 bytes .* 65535 bytes"):
        study.set_user_attr("note", _LONG)
    with pytest.raises(ValueError, match=r"set_trial_user_attr: .* 'note' .* 65535 bytes"):
        trial.set_user_attr("note", _LONG)
    assert study.user_attrs["note"] == "short"
    assert storage.get_trial(trial._trial_id).user_attrs["note"] == "short"
    assert trial.user_attrs["note"] == "short"
    # The storage goes on working after the refusal.
    trial.set_user_attr("other", 1)
    study.tell(trial, 1.0)
    assert study.trials[0].user_attrs == {"note": "short", "other": 1}


def test_too_long_system_attr_or_distribution_on_mysql_raises_naming_it(mysql_url: str) -> None:
    storage = RDBStorage(mysql_url)
    study = tansaku.create_study(storage=storage)
    with pytest.raises(ValueError, match=r"set_study_system_attr: .* system attr 'raw'"):
        storage.set_study_system_attr(study._study_id, "raw", _LONG)
    trial = study.ask()
    choices = [f"choice-{i}" for i in range(10_000)]
    with pytest.raises(ValueError, match=r"distribution of param 'c' .* 65535 bytes"):
        trial.suggest_categorical("c", choices)
    assert storage.get_study_system_attrs(study._study_id) == {}
    assert storage.get_trial(trial._trial_id).params == {}


def test_mysql_column_widened_by_its_owner_holds_longer_values(mysql_url: str) -> None:
    storage = RDBStorage(mysql_url)
    with storage.engine.begin() as connection:
        connection.execute(text("ALTER TABLE study_user_attributes MODIFY value_json MEDIUMTEXT"))
    study = tansaku.create_study(storage=storage)
    study.set_user_attr("note", _LONG)
    assert study.user_attrs["note"] == _LONG
    trial = study.ask()
    with pytest.raises(ValueError, match="65535 bytes"):  # a column left as it was
        trial.set_user_attr("note", _LONG)
