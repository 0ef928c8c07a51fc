"""Corrupt records: the study opens, a warning names the damage, every good trial is readable.

- A journal file with torn lines (a record cut short by a killed writer, which the next
  writer ended with a newline), garbled bytes, and lines that are valid JSON but not an
  object; the same damage in a journal in Redis.
- A SQLite database with a bad row in the params table: a distribution that does not parse.
"""

from __future__ import annotations

import logging
import sqlite3
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.storages import BaseStorage
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, create_trial
from tests.faults._common import new_location
from tests.faults._workers import STUDY_NAME, open_storage

pytestmark = pytest.mark.faults

DISTRIBUTIONS = {
    "x": FloatDistribution(-1.0, 1.0),
    "n": IntDistribution(0, 9),
    "c": CategoricalDistribution(["a", "b"]),
}


def _fill(storage: BaseStorage, n_trials: int) -> list[tuple[int, list[float] | None, dict]]:
    """A study of ``n_trials`` finished trials with three params each; their summary."""
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], STUDY_NAME)
    for n in range(n_trials):
        params = {"x": n / 10, "n": n, "c": "ab"[n % 2]}
        storage.create_new_trial(
            study_id, create_trial(params=params, distributions=DISTRIBUTIONS, value=float(n))
        )
    return _summary(storage.get_all_trials(study_id))


def _summary(trials: list[FrozenTrial]) -> list[tuple[int, list[float] | None, dict]]:
    return [(t.number, t.values, t.params) for t in trials]


@contextmanager
def _warnings_and_logs() -> Iterator[list[str]]:
    """Collect the warnings raised and the WARNING lines tansaku logs in the block."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = _Collect(logging.WARNING)
    logger = logging.getLogger("tansaku")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield messages
        messages.extend(str(w.message) for w in caught)
    finally:
        logger.removeHandler(handler)


def _load(kind: str, where: str) -> list[tuple[int, list[float] | None, dict]]:
    """Open the storage anew, load the study, and summarize its trials."""
    storage = open_storage(kind, where)
    try:
        study = tansaku.load_study(study_name=STUDY_NAME, storage=storage)
        return _summary(study.trials)
    finally:
        storage.remove_session()


# -- journal file ---------------------------------------------------------------------------

# Each damage is inserted as lines after the journal's third line (create study, two trials).
_JOURNAL_DAMAGE = {
    "torn": [b'{"op_code":4,"worker_id":"w","study_id":0,"dat'],
    "garbled": [b"\x00\x00\xff\xfe{\x9c garbage \x01"],
    "torn_and_garbled": [b'{"op_code":5,"trial_id":1,"par', b"\xff\xff\xff\xff"],
    "json_list": [b"[1, 2, 3]"],
    "json_number": [b"42"],
    "json_string": [b'"op_code"'],
    "json_null": [b"null"],
}


@pytest.mark.parametrize("damage", list(_JOURNAL_DAMAGE))
def test_journal_file_skips_bad_lines_with_a_warning(damage: str, tmp_path: Path) -> None:
    where = str(tmp_path / "journal.log")
    storage = open_storage("journal_file", where)
    expected = _fill(storage, 4)
    storage.remove_session()
    lines = Path(where).read_bytes().splitlines(keepends=True)
    Path(where).write_bytes(
        b"".join(lines[:3])
        + b"".join(line + b"\n" for line in _JOURNAL_DAMAGE[damage])
        + b"".join(lines[3:])
    )

    with _warnings_and_logs() as messages:
        assert _load("journal_file", where) == expected
    assert messages, "the damaged journal was read without a warning"


def test_journal_file_torn_last_record_then_more_writes(tmp_path: Path) -> None:
    """A writer killed mid-record leaves it without a newline; the next writer goes on."""
    where = str(tmp_path / "journal.log")
    storage = open_storage("journal_file", where)
    expected = _fill(storage, 3)
    storage.remove_session()
    last = Path(where).read_bytes().splitlines()[-1]
    with open(where, "ab") as journal:
        journal.write(last[: len(last) // 2])  # torn: half a record, no newline

    with _warnings_and_logs():
        assert _load("journal_file", where) == expected
        writer = open_storage("journal_file", where)
        study_id = writer.get_study_id_from_name(STUDY_NAME)
        writer.create_new_trial(
            study_id,
            create_trial(params={"n": 5}, distributions={"n": DISTRIBUTIONS["n"]}, value=5.0),
        )
        writer.remove_session()
    with _warnings_and_logs() as messages:
        assert _load("journal_file", where) == [*expected, (3, [5.0], {"n": 5})]
    assert messages, "the torn record was skipped without a warning"


# -- journal in Redis -----------------------------------------------------------------------

_REDIS_DAMAGE = {
    "garbled": b"\x00\xff garbage",
    "torn": b'{"op_code":4,"worker_id":"w","stu',
    "json_list": b"[1, 2, 3]",
    "json_null": b"null",
}


@pytest.mark.parametrize("damage", list(_REDIS_DAMAGE))
def test_journal_redis_skips_bad_records_with_a_warning(damage: str, tmp_path: Path) -> None:
    import redis

    where = new_location("journal_redis", tmp_path)
    storage = open_storage("journal_redis", where)
    expected = _fill(storage, 2)
    storage.remove_session()
    url, prefix = where.split(" ", 1)
    client = redis.Redis.from_url(url)
    try:
        # Appended as a writer appends (the counter, then the record), then one more trial.
        number = client.incr(f"{prefix}:log_number")
        client.set(f"{prefix}:log:{number}", _REDIS_DAMAGE[damage])
    finally:
        client.close()
    writer = open_storage("journal_redis", where)
    writer.create_new_trial(
        writer.get_study_id_from_name(STUDY_NAME),
        create_trial(params={"n": 7}, distributions={"n": DISTRIBUTIONS["n"]}, value=7.0),
    )
    writer.remove_session()

    with _warnings_and_logs() as messages:
        assert _load("journal_redis", where) == [*expected, (2, [7.0], {"n": 7})]
    assert messages, "the damaged journal was read without a warning"


# -- SQLite ---------------------------------------------------------------------------------

_BAD_DISTRIBUTIONS = {
    "torn_json": '{"name": "FloatDistribution", "attributes": {"low": -1.0, "hi',
    "not_json": "not a distribution",
    "json_not_an_object": "[1, 2]",
}


@pytest.mark.parametrize("bad", list(_BAD_DISTRIBUTIONS))
def test_sqlite_bad_distribution_row_warns_and_good_trials_read(bad: str, tmp_path: Path) -> None:
    where = f"sqlite:///{tmp_path / 'study.db'}"
    storage = open_storage("sqlite", where)
    expected = _fill(storage, 4)
    storage.remove_session()
    # Damage param "n" of trial 1 only.
    with sqlite3.connect(tmp_path / "study.db") as connection:
        changed = connection.execute(
            "UPDATE trial_params SET distribution_json = ? WHERE param_name = 'n' AND "
            "trial_id = (SELECT trial_id FROM trials WHERE number = 1)",
            (_BAD_DISTRIBUTIONS[bad],),
        ).rowcount
    connection.close()
    assert changed == 1

    with _warnings_and_logs() as messages:
        trials = _load("sqlite", where)
    good = [row for row in expected if row[0] != 1]
    assert [row for row in trials if row[0] != 1] == good
    assert messages, "the bad distribution was read without a warning"
    assert any("distribution" in message.lower() for message in messages), messages
