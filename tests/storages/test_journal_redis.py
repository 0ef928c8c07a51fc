"""JournalStorage on a real Redis server: Optuna's layout, prefixes, corrupt records.

Many worker processes on Redis are in ``test_many_workers.py``.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import redis

import tansaku
from tansaku.storages.journal import JournalRedisBackend, JournalStorage
from tansaku.study import StudyDirection
from tansaku.trial import TrialState
from tests.storages._optuna_fixtures import FIXTURES, dump, normalize

REPO = Path(__file__).resolve().parents[2]
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
N_WORKERS = 8
TRIALS_PER_WORKER = 250

_OPEN_REDIS = (
    "from tansaku.storages.journal import JournalRedisBackend, JournalStorage\n"
    "def open_storage(where, **kw):\n"
    "    return JournalStorage(JournalRedisBackend(where, prefix='shared'))\n"
)

_OPTUNA_FILL = """
import json, sys
sys.path.insert(0, sys.argv[3])
import make_optuna_fixtures as fixtures
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalRedisBackend
storage = JournalStorage(JournalRedisBackend(sys.argv[1], prefix=sys.argv[2]))
fixtures.fill(storage)
print(json.dumps(fixtures.dump(storage)))
"""


def _storage(url: str, prefix: str = "p") -> JournalStorage:
    return JournalStorage(JournalRedisBackend(url, prefix=prefix))


def test_journal_written_by_optuna_to_redis_reads_as_optuna_read_it(redis_url: str) -> None:
    probe = subprocess.run(
        [str(BENCH_PYTHON), "-c", "import optuna, redis"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip("needs Optuna 5.0 and redis in the benchmark environment (make bench-env)")
    result = subprocess.run(
        [str(BENCH_PYTHON), "-c", _OPTUNA_FILL, redis_url, "optuna", str(FIXTURES)],
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    storage = _storage(redis_url, prefix="optuna")
    assert normalize(dump(storage)) == normalize(json.loads(result.stdout))

    # tansaku continues the study, and Optuna's layout is kept: the counter names the last key.
    study = tansaku.load_study(study_name="single", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", -5.0, 5.0) ** 2, n_trials=2)
    assert [t.number for t in study.trials] == list(range(8))
    client = redis.Redis.from_url(redis_url)
    last = int(client.get("optuna:log_number"))
    assert client.exists(f"optuna:log:{last}") and not client.exists(f"optuna:log:{last + 1}")


def test_records_are_optunas_json_under_the_prefix(redis_url: str) -> None:
    study = tansaku.create_study(study_name="f", storage=_storage(redis_url, "mine"))
    study.optimize(lambda t: t.suggest_int("n", 0, 3), n_trials=1)
    client = redis.Redis.from_url(redis_url)
    assert int(client.get("mine:log_number")) == 3
    records = [json.loads(client.get(f"mine:log:{n}")) for n in range(4)]
    assert [r["op_code"] for r in records] == [0, 4, 5, 6]
    assert records[3]["state"] == int(TrialState.COMPLETE)


def test_journals_under_different_prefixes_do_not_see_each_other(redis_url: str) -> None:
    first, second = _storage(redis_url, "a"), _storage(redis_url, "b")
    first.create_new_study([StudyDirection.MINIMIZE], "only-in-a")
    assert [s.study_name for s in _storage(redis_url, "a").get_all_studies()] == ["only-in-a"]
    assert second.get_all_studies() == []


def test_corrupt_record_is_skipped_by_every_reader_alike(redis_url: str) -> None:
    storage = _storage(redis_url)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    client = redis.Redis.from_url(redis_url)
    number = client.incr("p:log_number")
    client.set(f"p:log:{number}", b'{"op_code": 4, "study_')  # not a record
    with pytest.warns(RuntimeWarning, match="corrupt"):
        storage.create_new_trial(study_id)
    with pytest.warns(RuntimeWarning, match="corrupt"):
        fresh = _storage(redis_url)
    assert [t.number for t in fresh.get_all_trials(study_id)] == [0]
    assert [t.number for t in storage.get_all_trials(study_id)] == [0]


def test_pickled_storage_appends_to_the_same_journal(redis_url: str) -> None:
    storage = _storage(redis_url)
    study_id = storage.create_new_study([StudyDirection.MAXIMIZE], "s")
    copy = pickle.loads(pickle.dumps(storage))
    copy.create_new_trial(study_id)
    assert len(storage.get_all_trials(study_id)) == 1


def test_missing_redis_package_is_named_in_the_error() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "from tansaku.storages.journal import JournalRedisBackend\n"
        "try:\n    JournalRedisBackend('redis://127.0.0.1:1')\n"
        "except ImportError as error:\n    print(error)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert "pip install tansaku[redis]" in out.stdout
