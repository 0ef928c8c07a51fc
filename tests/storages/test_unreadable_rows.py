"""One stored row that cannot be read back never makes a whole study unreadable.

tansaku checks a param before it writes it, but a database or journal may hold rows that
other programs or older versions wrote: Optuna stores ``FloatDistribution(0, inf)``, a tool
may write text that is not a distribution, an index outside the choices, an attr that is not
JSON. Such a param or attr is left out of its trial with a RuntimeWarning naming the trial and
the param; every other trial and value reads as usual, and the study can be optimized, copied
and summarized.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, select, update

import tansaku
from tansaku.samplers import RandomSampler
from tansaku.storages import BaseStorage, InMemoryStorage, JournalStorage, RDBStorage
from tansaku.storages._in_memory import LogReplayStorage
from tansaku.storages._rdb._codec import PARAMS, TRIAL_USER_ATTRS, TRIALS
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend
from tansaku.storages.journal._replay import OpCode
from tansaku.storages.journal._snapshot import dump_state, load_state
from tansaku.trial import TrialState
from tests.storages._contract_backends import contract_storage  # noqa: F401 (the fixture)

# What Optuna 5.0 writes for FloatDistribution(0, inf), which it accepts.
OPTUNA_INFINITE = (
    '{"name": "FloatDistribution", "attributes": '
    '{"low": 0.0, "high": Infinity, "log": false, "step": null}}'
)
BAD_DISTRIBUTIONS = {
    "optuna_infinite_bound": OPTUNA_INFINITE,
    "not_json": "not a distribution",
    "unknown_class": '{"name": "NormalDistribution", "attributes": {"mu": 0}}',
}
N_TRIALS = 4


def _objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_categorical("c", ["a", "b"])
    trial.set_user_attr("note", "kept")
    return x


def _new_study(storage: BaseStorage) -> tansaku.Study:
    study = tansaku.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(_objective, n_trials=N_TRIALS)
    return study


def _assert_readable_without(
    open_storage: Callable[[], BaseStorage], number: int, left_out: str
) -> None:
    """Read the study through a new storage object: trial ``number`` lacks ``left_out``, with a
    warning naming both; everything else is there, and the study goes on."""
    with pytest.warns(RuntimeWarning, match=rf"Trial {number}: .*'{left_out}' is left out"):
        storage = open_storage()  # a journal replays as it opens
        trials = tansaku.load_study(study_name="s", storage=storage).trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * N_TRIALS
    for trial in trials:
        expected = {"x", "c"} - ({left_out} if trial.number == number else set())
        assert set(trial.params) == expected
        assert set(trial.distributions) == expected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (summary,) = tansaku.get_all_study_summaries(storage)
        assert summary.n_trials == N_TRIALS
        study = tansaku.load_study(study_name="s", storage=storage, sampler=RandomSampler(seed=1))
        study.optimize(_objective, n_trials=1)
        assert study.trials[-1].state is TrialState.COMPLETE
        copy = InMemoryStorage()
        tansaku.copy_study(from_study_name="s", from_storage=storage, to_storage=copy)
        assert len(tansaku.load_study(study_name="s", storage=copy).trials) == N_TRIALS + 1


# -- relational databases ------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def rdb_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of each RDB backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    url = request.getfixturevalue(f"{request.param}_url")
    assert isinstance(url, str)
    return url


def _update_row_of_trial(
    storage: RDBStorage, table: Table, number: int, where: Any, **values: object
) -> None:
    """Overwrite one row of ``table`` that belongs to trial ``number``, as another program may."""
    trial_id = select(TRIALS.c.trial_id).where(TRIALS.c.number == number).scalar_subquery()
    with storage.engine.begin() as connection:
        done = connection.execute(
            update(table).where(table.c.trial_id == trial_id, where).values(**values)
        )
        assert done.rowcount == 1


@pytest.mark.parametrize("bad", list(BAD_DISTRIBUTIONS.values()), ids=list(BAD_DISTRIBUTIONS))
def test_rdb_param_whose_distribution_cannot_be_rebuilt_is_left_out(
    rdb_url: str, bad: str
) -> None:
    storage = RDBStorage(rdb_url)
    _new_study(storage)
    # Trial 0's row is also the one a new suggest of "x" is checked against.
    _update_row_of_trial(storage, PARAMS, 0, PARAMS.c.param_name == "x", distribution_json=bad)
    _assert_readable_without(lambda: RDBStorage(rdb_url), 0, "x")


def test_rdb_param_whose_value_is_outside_its_choices_is_left_out(rdb_url: str) -> None:
    storage = RDBStorage(rdb_url)
    _new_study(storage)
    _update_row_of_trial(storage, PARAMS, 2, PARAMS.c.param_name == "c", param_value=7.0)
    _assert_readable_without(lambda: RDBStorage(rdb_url), 2, "c")


def test_rdb_attr_that_is_not_json_is_left_out(rdb_url: str) -> None:
    storage = RDBStorage(rdb_url)
    _new_study(storage)
    attrs = TRIAL_USER_ATTRS
    _update_row_of_trial(storage, attrs, 1, attrs.c.key == "note", value_json="{broken")
    with pytest.warns(RuntimeWarning, match=r"Trial 1: user attr 'note' is left out"):
        trials = tansaku.load_study(study_name="s", storage=RDBStorage(rdb_url)).trials
    assert [t.user_attrs for t in trials] == [{"note": "kept"}, {}, *[{"note": "kept"}] * 2]
    assert all(set(t.params) == {"x", "c"} for t in trials)


# -- journals ------------------------------------------------------------------------------------


@pytest.fixture(params=["journal_file", "journal_redis"])
def open_journal(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], JournalStorage]:
    """Opens the same journal of each journal backend, as a new process would."""
    if request.param == "journal_file":
        path = str(tmp_path / "journal.log")
        return lambda: JournalStorage(JournalFileBackend(path))
    url = request.getfixturevalue("redis_url")
    return lambda: JournalStorage(JournalRedisBackend(url, prefix=f"unreadable-{tmp_path.name}"))


@pytest.mark.parametrize("bad", list(BAD_DISTRIBUTIONS.values()), ids=list(BAD_DISTRIBUTIONS))
def test_journal_param_record_whose_distribution_cannot_be_rebuilt_is_left_out(
    open_journal: Callable[[], JournalStorage], bad: str
) -> None:
    storage = open_journal()
    study = tansaku.create_study(study_name="s", storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(_objective, n_trials=2)
    trial = study.ask()
    record = {"op_code": OpCode.SET_TRIAL_PARAM, "worker_id": "another-program"}
    storage._backend.append_logs(
        [
            {
                **record,
                "trial_id": trial._trial_id,
                "param_name": "x",
                "param_value_internal": 0.5,
                "distribution": bad,
            }
        ]  # fmt: skip
    )
    trial.suggest_categorical("c", ["a", "b"])
    trial.set_user_attr("note", "kept")
    study.tell(trial, 0.5)
    study.optimize(_objective, n_trials=1)
    _assert_readable_without(open_journal, 2, "x")


def test_journal_copied_trial_with_an_unreadable_param_keeps_its_other_params(
    open_journal: Callable[[], JournalStorage],
) -> None:
    storage = open_journal()
    study = _new_study(storage)
    study_id = study._study_id
    good = tansaku.distributions.distribution_to_json(
        tansaku.distributions.FloatDistribution(0, 1)
    )
    choices = tansaku.distributions.CategoricalDistribution(["a", "b"])
    storage._backend.append_logs(
        [
            {
                "op_code": OpCode.CREATE_TRIAL,
                "worker_id": "another-program",
                "study_id": study_id,
                "datetime_start": "2024-01-01T00:00:00+00:00",
                "datetime_complete": "2024-01-01T00:00:01+00:00",
                "state": int(TrialState.COMPLETE),
                "value": None,
                "values": [0.25],
                "distributions": {
                    "x": OPTUNA_INFINITE,
                    "c": tansaku.distributions.distribution_to_json(choices),
                    "y": good,
                },
                "params": {"x": 0.25, "c": 1.0, "y": 0.5},
                "user_attrs": {},
                "system_attrs": {},
                "intermediate_values": {},
            }
        ]
    )
    with pytest.warns(RuntimeWarning, match=r"Trial 4: param 'x' is left out"):
        copied = tansaku.load_study(study_name="s", storage=open_journal()).trials[4]
    assert copied.params == {"c": "b", "y": 0.5}
    assert copied.values == [0.25]


def test_snapshot_with_an_unreadable_distribution_leaves_only_that_param_out() -> None:
    storage = LogReplayStorage()
    _new_study(storage)
    document = json.loads(dump_state(storage, n_records=10))
    texts = document["studies"][0]["distributions"]
    texts[[json.loads(t)["name"] for t in texts].index("FloatDistribution")] = OPTUNA_INFINITE
    with pytest.warns(RuntimeWarning, match=r"Trial 0: param 'x' is left out"):
        state, n_records, _ = load_state(json.dumps(document).encode())
    trials = state.get_all_trials(0)
    assert n_records == 10
    assert [set(t.params) for t in trials] == [{"c"}] * N_TRIALS
    assert [t.user_attrs for t in trials] == [{"note": "kept"}] * N_TRIALS


# -- and none is written -------------------------------------------------------------------------


@pytest.mark.parametrize("index", [-1.0, 2.0, 0.5])
def test_set_trial_param_refuses_an_index_outside_the_choices_and_writes_nothing(
    storage: BaseStorage, index: float
) -> None:
    study_id = storage.create_new_study([tansaku.study.StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    choices = tansaku.distributions.CategoricalDistribution(["a", "b"])
    with pytest.raises(ValueError, match="not one of the indices"):
        storage.set_trial_param(trial_id, "c", index, choices)
    assert storage.get_trial(trial_id).params == {}
    storage.set_trial_param(trial_id, "c", 1.0, choices)
    assert storage.get_trial(trial_id).params == {"c": "b"}
