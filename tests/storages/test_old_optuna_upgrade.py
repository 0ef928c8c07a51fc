"""Databases that Optuna 1.1 to 3.1 wrote (one per schema revision) open and upgrade here.

The fixtures and what each Optuna read back from them come from
``fixtures/make_old_optuna_fixtures.py``. After ``upgrade()`` tansaku must read every study and
trial as that Optuna did (apart from the documented changes of meaning, see ``_at_head``),
continue optimizing, and leave a database that Optuna 5.0 reads the same.
"""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import tansaku
from tansaku.storages import RDBStorage
from tansaku.storages._rdb import _schema
from tansaku.storages._rdb._engine import make_engine
from tansaku.trial import TrialState
from tests.storages._optuna_fixtures import dump

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "old_optuna"
NAMES = sorted(path.stem for path in FIXTURES.glob("optuna_*.db"))
BENCH_PYTHON = Path(__file__).resolve().parents[2] / ".venv-bench" / "bin" / "python"

# How Optuna 3.0 renamed the numeric distributions (schema revision v3.0.0.a): new name, log.
_UNIFIED = {
    "UniformDistribution": ("FloatDistribution", False),
    "LogUniformDistribution": ("FloatDistribution", True),
    "DiscreteUniformDistribution": ("FloatDistribution", False),
    "IntUniformDistribution": ("IntDistribution", False),
    "IntLogUniformDistribution": ("IntDistribution", True),
}


def _distribution(text: str) -> dict[str, Any]:
    """A distribution's JSON as Optuna 3.0 and later have it, parsed."""
    parsed: dict[str, Any] = json.loads(text)
    if parsed["name"] not in _UNIFIED:
        return parsed
    name, log = _UNIFIED[parsed["name"]]
    old = parsed["attributes"]
    default_step = 1 if name == "IntDistribution" else None
    step = default_step if log else old.get("q", old.get("step", default_step))
    attributes = {"low": old["low"], "high": old["high"], "log": log, "step": step}
    return {"name": name, "attributes": attributes}


def _at_head(studies: dict[str, Any]) -> dict[str, Any]:
    """What an old Optuna read, as it reads at the head schema.

    Two things change meaning on the way: a trial's number was its system attr ``_number``
    before v1.3.0.a (it moves to a column, so the attr goes), and numeric distributions became
    Int- and FloatDistribution in v3.0.0.a.
    """
    for study in studies.values():
        for trial in study["trials"]:
            trial["system_attrs"].pop("_number", None)
            trial["distributions"] = {
                name: _distribution(text) for name, text in trial["distributions"].items()
            }
    return studies


def _expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return _at_head(data["studies"])


def _dump(storage: RDBStorage) -> dict[str, Any]:
    """The studies of ``storage`` as the fixture JSON holds them (distributions as objects)."""
    studies = dump(storage, exact_times=True)
    for study in studies.values():
        for trial in study["trials"]:
            trial["distributions"] = {
                name: json.loads(text) for name, text in trial["distributions"].items()
            }
    return studies


def _copy(name: str, tmp_path: Path) -> str:
    path = tmp_path / f"{name}.db"
    shutil.copyfile(FIXTURES / f"{name}.db", path)
    return f"sqlite:///{path}"


def _content(path: Path) -> list[str]:
    # The SQL text of every table and row (opening switches the file to WAL mode, which
    # changes its header bytes but no content).
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def _revision(name: str) -> str:
    return str(json.loads((FIXTURES / f"{name}.json").read_text())["revision"])


def test_every_schema_revision_before_the_head_has_a_fixture() -> None:
    assert sorted({_revision(name) for name in NAMES}) == sorted(_schema.ALL_REVISIONS[:-1])


@pytest.mark.parametrize("name", NAMES)
def test_old_database_is_refused_naming_its_version_and_the_upgrade(
    name: str, tmp_path: Path
) -> None:
    url = _copy(name, tmp_path)
    before = _content(tmp_path / f"{name}.db")
    with pytest.raises(RuntimeError) as raised:
        RDBStorage(url)
    message = str(raised.value)
    assert f"schema version {_revision(name)}" in message
    optuna_version = name.split("_")[1]
    assert f"written by Optuna {optuna_version}" in message
    assert "skip_compatibility_check=True).upgrade()" in message
    with pytest.raises(RuntimeError, match="upgrade"):
        tansaku.load_study(study_name="single", storage=url)
    assert _content(tmp_path / f"{name}.db") == before


@pytest.mark.parametrize("name", NAMES)
def test_upgrade_keeps_every_study_and_trial(name: str, tmp_path: Path) -> None:
    url = _copy(name, tmp_path)
    storage = RDBStorage(url, skip_compatibility_check=True)
    assert storage.get_current_version() == _revision(name)
    storage.upgrade()
    assert storage.get_current_version() == storage.get_head_version() == "v3.2.0.a"
    assert _dump(RDBStorage(url)) == _expected(name)


def _objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    trial.suggest_float("lr", 1e-4, 1.0, log=True)
    trial.suggest_float("q", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", -5, 5)
    trial.suggest_categorical("kind", [None, True, 2, 2.5, "s"])
    trial.report(float("inf"), 0)
    return x * x + n


@pytest.mark.parametrize("name", NAMES)
def test_optimization_continues_after_upgrade(name: str, tmp_path: Path) -> None:
    url = _copy(name, tmp_path)
    RDBStorage(url, skip_compatibility_check=True).upgrade()
    study = tansaku.load_study(
        study_name="single", storage=url, sampler=tansaku.samplers.TPESampler(seed=0)
    )
    n_before = len(study.trials)
    n_waiting = sum(t.state is TrialState.WAITING for t in study.trials)
    study.enqueue_trial({"x": 0.5})
    # The fixture's WAITING trial runs first, then the enqueued one, then new ones.
    study.optimize(_objective, n_trials=3)

    trials = tansaku.load_study(study_name="single", storage=url).trials
    assert [t.number for t in trials] == list(range(n_before + 3 - n_waiting))
    assert not any(t.state is TrialState.WAITING for t in trials)
    run = trials[n_before:]
    assert all(t.state is TrialState.COMPLETE for t in run)
    assert all(t.intermediate_values == {0: math.inf} for t in run)
    assert run[0].params["x"] == 0.5  # the enqueued trial, numbered after the old ones


# Runs under Optuna 5.0: argv = database paths; prints {path: studies} in _dump's format.
_OPTUNA_READER = """
import json, math, sys
import optuna
from optuna.distributions import distribution_to_json

def number(v):
    return repr(v) if math.isnan(v) or math.isinf(v) else v

def when(v):
    return None if v is None else v.isoformat()

out = {}
for path in sys.argv[1:]:
    storage = optuna.storages.RDBStorage("sqlite:///" + path)
    studies = {}
    for summary in storage.get_all_studies():
        trials = [
            {
                "number": t.number,
                "state": t.state.name,
                "values": None if t.values is None else [number(v) for v in t.values],
                "params": t.params,
                "distributions": {
                    k: json.loads(distribution_to_json(d)) for k, d in t.distributions.items()
                },
                "user_attrs": t.user_attrs,
                "system_attrs": t.system_attrs,
                "intermediate_values": {
                    str(k): number(v) for k, v in t.intermediate_values.items()
                },
                "datetime_start": when(t.datetime_start),
                "datetime_complete": when(t.datetime_complete),
            }
            for t in storage.get_all_trials(summary._study_id)
        ]
        studies[summary.study_name] = {
            "directions": [d.name for d in summary.directions],
            "user_attrs": summary.user_attrs,
            "system_attrs": summary.system_attrs,
            "trials": trials,
        }
    out[path] = studies
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def read_by_optuna_5(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What Optuna 5.0 reads from each fixture once tansaku has upgraded it, by name."""
    if not BENCH_PYTHON.exists():
        pytest.fail(f"Optuna 5.0 is needed at {BENCH_PYTHON} (make bench-env)")
    directory = tmp_path_factory.mktemp("upgraded")
    paths = {}
    for name in NAMES:
        url = _copy(name, directory)
        RDBStorage(url, skip_compatibility_check=True).upgrade()
        paths[name] = str(directory / f"{name}.db")
    result = subprocess.run(
        [str(BENCH_PYTHON), "-c", _OPTUNA_READER, *paths.values()],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    by_path = json.loads(result.stdout)
    return {name: by_path[path] for name, path in paths.items()}


@pytest.mark.parametrize("name", NAMES)
def test_optuna_5_reads_the_upgraded_database_the_same(
    name: str, read_by_optuna_5: dict[str, Any]
) -> None:
    assert read_by_optuna_5[name] == _expected(name)


# -- the same migrations on PostgreSQL and MariaDB ---------------------------------------------

_LARGEST_DOUBLE = 1.7976931348623157e308


def _without_non_finite(url: str) -> None:
    """Drop what MySQL cannot store: rows holding an infinity (a trial's own value is nulled).

    Optuna on MySQL never held one: the insert failed. The same content then upgrades on
    SQLite and on MySQL, and both must read the same.
    """
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        for table in metadata.tables.values():
            for column in table.columns:
                if not isinstance(column.type, sa.Float):
                    continue
                infinite = sa.or_(column > _LARGEST_DOUBLE, column < -_LARGEST_DOUBLE)
                if table.name == "trials":
                    connection.execute(table.update().where(infinite).values({column.name: None}))
                else:
                    connection.execute(table.delete().where(infinite))
    engine.dispose()


def _load_into(source_url: str, target_url: str, revision: str) -> None:
    """Create the schema of ``revision`` at ``target_url`` with the migrations, then copy every
    row of the SQLite database at ``source_url`` into it (ids included)."""
    target = make_engine(target_url, {}, durable_commits=False)
    _schema.upgrade(target, revision)
    source = sa.create_engine(source_url)
    with source.connect() as reading, target.begin() as writing:
        source_tables = sa.MetaData()
        source_tables.reflect(reading)
        target_tables = sa.MetaData()
        target_tables.reflect(writing)
        for table in target_tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [
                dict(row._mapping)
                for row in reading.execute(source_tables.tables[table.name].select())
            ]
            if rows:
                writing.execute(table.insert(), rows)
        if writing.dialect.name == "postgresql":
            # Ids were copied: move each sequence past them, as the rows' own inserts would.
            for table in target_tables.sorted_tables:
                key = list(table.primary_key.columns)
                if len(key) == 1 and isinstance(key[0].type, sa.Integer):
                    writing.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                            f"'{key[0].name}'), COALESCE(MAX({key[0].name}), 0) + 1, false) "
                            f"FROM {table.name}"
                        )
                    )
    source.dispose()
    target.dispose()


def _rounded(value: Any) -> Any:
    """Floats to 6 significant digits and times to the second: what a MySQL column of an old
    revision kept (single precision FLOAT, DATETIME without fraction)."""
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, str) and len(value) == 26 and value[10] == "T":
        return value[:19]
    return value


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
@pytest.mark.parametrize("name", NAMES)
def test_fixture_content_upgrades_on_a_server(
    name: str, kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server_url: str = request.getfixturevalue(f"{kind}_url")
    source_url = _copy(name, tmp_path)
    if kind == "mysql":
        _without_non_finite(source_url)
    _load_into(source_url, server_url, _revision(name))

    with pytest.raises(RuntimeError, match=f"schema version {_revision(name)}"):
        RDBStorage(server_url)
    RDBStorage(server_url, skip_compatibility_check=True).upgrade()
    on_server = _dump(RDBStorage(server_url))
    if kind == "postgresql":
        assert on_server == _expected(name)
        return
    RDBStorage(source_url, skip_compatibility_check=True).upgrade()
    assert _rounded(on_server) == _rounded(_dump(RDBStorage(source_url)))


# -- {SCHEMA_VERSION} in a storage URL ---------------------------------------------------------


def test_schema_version_field_of_a_url_names_the_database_as_optuna_does(tmp_path: Path) -> None:
    template = f"sqlite:///{tmp_path}/study-{{SCHEMA_VERSION}}.db"
    storage = RDBStorage(template)
    optuna_url = subprocess.run(
        [
            str(BENCH_PYTHON),
            "-c",
            "import sys, optuna; print(optuna.storages.RDBStorage(sys.argv[1]).url)",
            template,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert storage.url == optuna_url == f"sqlite:///{tmp_path}/study-12.db"
    tansaku.create_study(study_name="templated", storage=template)
    assert tansaku.study.get_all_study_names(storage=f"sqlite:///{tmp_path}/study-12.db") == [
        "templated"
    ]
    assert sorted(path.name for path in tmp_path.iterdir() if path.suffix == ".db") == [
        "study-12.db"
    ]


def test_other_braces_of_a_url_are_left_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/{{name}}.db"
    assert RDBStorage(url).url == url
    assert (tmp_path / "{name}.db").exists()
