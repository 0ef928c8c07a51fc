"""RDBStorage on a real MariaDB server (MySQL protocol, PyMySQL driver).

The server comes from the ``mysql_server`` fixture (tests/storages/servers.py); each test gets
a new database. The contract suite and the many-workers tests run on MariaDB as well.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import tansaku
from tansaku.storages._rdb import RDBStorage
from tansaku.study import StudyDirection
from tansaku.trial import TrialState
from tests.storages._optuna_fixtures import FIXTURES, dump, normalize

REPO = Path(__file__).resolve().parents[2]
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"

# Runs in the benchmark environment: Optuna 5.0 fills the database with the fixture script's
# studies and prints what it reads back.
_OPTUNA_FILL = """
import json, sys
sys.path.insert(0, sys.argv[2])
import make_optuna_fixtures as fixtures
from optuna.storages import RDBStorage
storage = RDBStorage(sys.argv[1])
fixtures.fill(storage)
print(json.dumps(fixtures.dump(storage)))
"""

# Runs in the benchmark environment: Optuna 5.0 opens each study of a database tansaku wrote, by
# name, and prints what it reads back.
_OPTUNA_READ = """
import json, sys
sys.path.insert(0, sys.argv[2])
import optuna
import make_optuna_fixtures as fixtures
storage = optuna.storages.RDBStorage(sys.argv[1])
for name in json.loads(sys.argv[3]):
    assert optuna.load_study(study_name=name, storage=storage).study_name == name
print(json.dumps(fixtures.dump(storage)))
"""

# Names that MariaDB's default collation (utf8mb4_general_ci, PAD SPACE) holds equal in groups, and
# that SQLite, PostgreSQL and the journal keep apart.
LOOK_ALIKE_NAMES = ["Study", "study", "STUDY", "pad", "pad  ", "e", "é", "stüdy"]


def _bench_python_or_skip() -> None:
    probe = subprocess.run(
        [str(BENCH_PYTHON), "-c", "import optuna, pymysql"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("needs Optuna 5.0 and PyMySQL in the benchmark environment (make bench-env)")


def test_database_written_by_optuna_reads_as_optuna_read_it(mysql_url: str) -> None:
    _bench_python_or_skip()
    result = subprocess.run(
        [str(BENCH_PYTHON), "-c", _OPTUNA_FILL, mysql_url, str(FIXTURES)],
        capture_output=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    optuna_read = json.loads(result.stdout)
    assert normalize(dump(RDBStorage(mysql_url))) == normalize(optuna_read)
    study = tansaku.load_study(study_name="single", storage=mysql_url)
    study.optimize(lambda t: t.suggest_float("x", -5.0, 5.0) ** 2, n_trials=2)
    assert [t.number for t in study.trials] == list(range(8))


def test_values_keep_double_precision_and_times_their_microseconds(mysql_url: str) -> None:
    study = tansaku.create_study(storage=mysql_url)
    x = 0.123456789012345
    study.add_trial(
        tansaku.trial.create_trial(
            params={"x": x},
            distributions={"x": tansaku.distributions.FloatDistribution(0.0, 1.0)},
            value=math.pi,
            intermediate_values={0: math.e},
        )
    )
    trial = tansaku.load_study(study_name=study.study_name, storage=mysql_url).trials[0]
    assert (trial.params["x"], trial.value, trial.intermediate_values[0]) == (x, math.pi, math.e)
    asked = [study.ask()._trial_id for _ in range(3)]
    starts = [RDBStorage(mysql_url).get_trial(trial_id).datetime_start for trial_id in asked]
    assert any(start is not None and start.microsecond for start in starts)


def test_study_name_with_quotes_and_sql_is_stored_and_read_back(mysql_url: str) -> None:
    storage = RDBStorage(mysql_url)
    name = 'x\'); DROP TABLE studies; -- "quoted" 名前 \\ %s %(x)s `tick`'
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], name)
    assert storage.get_study_id_from_name(name) == study_id
    assert storage.get_study_name_from_id(study_id) == name


def test_study_name_longer_than_the_column_raises_and_stores_nothing(mysql_url: str) -> None:
    storage = RDBStorage(mysql_url)
    with pytest.raises(ValueError, match="study_name of 10000 characters"):
        storage.create_new_study([StudyDirection.MINIMIZE], "n" * 10_000)
    assert storage.get_all_studies() == []


def test_unreachable_server_raises_naming_the_address() -> None:
    with pytest.raises(OperationalError, match="127.0.0.1"):
        RDBStorage("mysql+pymysql://root@127.0.0.1:1/nothing")


def test_tables_are_innodb_so_trials_are_transactional(mysql_url: str) -> None:
    storage = RDBStorage(mysql_url)
    with storage.engine.connect() as connection:
        engines = connection.execute(
            text(
                "SELECT DISTINCT engine FROM information_schema.tables "
                "WHERE table_schema = DATABASE()"
            )
        ).all()
    assert engines == [("InnoDB",)]
    study = tansaku.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_int("n", 0, 3), n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3


def test_names_differing_in_case_accent_or_trailing_spaces_are_distinct_studies(
    mysql_url: str,
) -> None:
    studies = {
        name: tansaku.create_study(study_name=name, storage=mysql_url) for name in LOOK_ALIKE_NAMES
    }
    assert len({study._study_id for study in studies.values()}) == len(LOOK_ALIKE_NAMES)
    for name, study in studies.items():
        loaded = tansaku.load_study(study_name=name, storage=mysql_url)
        assert (loaded.study_name, loaded._study_id) == (name, study._study_id)


def test_load_study_with_a_name_differing_in_case_raises_key_error(mysql_url: str) -> None:
    tansaku.create_study(study_name="Study", storage=mysql_url)
    for name in ["STUDY", "study", "Study ", "Stüdy"]:
        with pytest.raises(KeyError, match="No study named"):
            tansaku.load_study(study_name=name, storage=mysql_url)


def test_load_if_exists_creates_a_study_whose_name_differs_in_accent(mysql_url: str) -> None:
    existing = tansaku.create_study(study_name="Study", storage=mysql_url)
    created = tansaku.create_study(study_name="Stüdy", storage=mysql_url, load_if_exists=True)
    assert created.study_name == "Stüdy"
    assert created._study_id != existing._study_id


def test_param_names_and_attr_keys_differing_in_case_are_kept_apart(mysql_url: str) -> None:
    study = tansaku.create_study(storage=mysql_url)
    study.set_user_attr("key", 1)
    study.set_user_attr("KEY", 2)
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_float("X", 2.0, 3.0)
    trial.set_user_attr("note", "lower")
    trial.set_user_attr("Note", "upper")
    study.tell(trial, 0.0)
    loaded = tansaku.load_study(study_name=study.study_name, storage=mysql_url)
    assert loaded.user_attrs == {"key": 1, "KEY": 2}
    (read,) = loaded.trials
    assert sorted(read.params) == ["X", "x"]
    assert read.params["X"] >= 2.0 > 1.0 >= read.params["x"]
    assert read.user_attrs == {"note": "lower", "Note": "upper"}


def test_optuna_reads_a_database_tansaku_wrote_with_look_alike_names(mysql_url: str) -> None:
    _bench_python_or_skip()
    for index, name in enumerate(LOOK_ALIKE_NAMES):
        study = tansaku.create_study(study_name=name, storage=mysql_url)
        study.set_user_attr("name", name)
        study.optimize(lambda t, i=index: t.suggest_float("x", 0.0, 1.0) + i, n_trials=2)
    result = subprocess.run(
        [
            str(BENCH_PYTHON),
            "-c",
            _OPTUNA_READ,
            mysql_url,
            str(FIXTURES),
            json.dumps(LOOK_ALIKE_NAMES),
        ],
        capture_output=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    optuna_read = json.loads(result.stdout)
    assert sorted(optuna_read) == sorted(LOOK_ALIKE_NAMES)
    assert normalize(optuna_read) == normalize(dump(RDBStorage(mysql_url)))
