"""Malformed journal records are skipped with one warning each; every good record is kept.

A malformed record is valid JSON that no writer writes: not an object (``[1, 2]``, ``3``,
``"x"``, ``null``), an object whose op code is unknown or not an integer, or one that lacks a
field of its operation or holds a value of the wrong type there. The journal is a real study's
(every operation appears), with such records slipped in between; opening it must give the
same studies and trials as the journal without them, on the file and on the Redis backend.
"""

from __future__ import annotations

import json
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tansaku
from tansaku.storages.journal import JournalFileBackend, JournalRedisBackend, JournalStorage
from tansaku.trial import TrialState
from tests.storages.servers import RedisServer

# The fields each operation needs, and the kind of value each holds (the journal format).
_FIELDS: dict[int, dict[str, str]] = {
    0: {"study_name": "str", "directions": "directions"},
    1: {"study_id": "int"},
    2: {"study_id": "int", "user_attr": "dict"},
    3: {"study_id": "int", "system_attr": "dict"},
    4: {"study_id": "int"},
    5: {
        "trial_id": "int",
        "param_name": "str",
        "param_value_internal": "number",
        "distribution": "str",
    },
    6: {"trial_id": "int", "state": "state"},
    7: {"trial_id": "int", "step": "int", "intermediate_value": "number?"},
    8: {"trial_id": "int", "user_attr": "dict"},
    9: {"trial_id": "int", "system_attr": "dict"},
}
_TEMPLATE_FIELDS = {
    "state": "state",
    "distributions": "dict",
    "params": "dict",
    "user_attrs": "dict",
    "system_attrs": "dict",
    "intermediate_values": "dict",
}

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
# Values of every kind but the one named.
_WRONG: dict[str, st.SearchStrategy[Any]] = {
    "int": st.none() | st.booleans() | st.text() | st.floats(0.5, 1e6) | st.lists(st.integers()),
    "str": st.none() | st.booleans() | st.integers() | st.lists(st.text()) | st.just({}),
    "dict": st.none() | st.integers() | st.text() | st.lists(st.integers()),
    "number": st.none() | st.booleans() | st.text() | st.lists(st.floats()) | st.just({}),
    "number?": st.booleans() | st.text() | st.lists(st.floats()) | st.just({}),
    "state": st.text()
    | st.none()
    | st.booleans()
    | st.integers(5, 10**6)
    | st.integers(max_value=-1),
    "directions": (
        st.just([])
        | st.lists(st.integers(3, 100), min_size=1)
        | st.lists(st.text(), min_size=1)
        | st.integers()
        | st.text()
    ),
}


def _good_records(directory: Path) -> list[bytes]:
    """The lines of a journal that a study wrote, with every kind of operation in it."""
    path = directory / "good.log"
    storage = JournalStorage(JournalFileBackend(str(path)))
    study = tansaku.create_study(study_name="kept", storage=storage)
    study.set_user_attr("owner", "me")
    storage.set_study_system_attr(study._study_id, "origin", {"kind": "test"})
    study.enqueue_trial({"x": 0.5})

    def objective(trial: tansaku.Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        trial.suggest_categorical("kind", ["a", "b"])
        trial.set_user_attr("note", x)
        storage.set_trial_system_attr(trial._trial_id, "mark", [trial.number])
        trial.report(x, step=0)
        if trial.number == 2:
            raise tansaku.TrialPruned()
        return x**2

    study.optimize(objective, n_trials=4)
    study.add_trial(
        tansaku.trial.create_trial(
            params={"x": 0.25},
            distributions={"x": tansaku.distributions.FloatDistribution(-1.0, 1.0)},
            value=0.0625,
            intermediate_values={0: 0.1},
        )
    )
    tansaku.create_study(study_name="deleted", storage=storage)
    tansaku.delete_study(study_name="deleted", storage=storage)
    lines = path.read_bytes().splitlines()
    assert {json.loads(line)["op_code"] for line in lines} == set(range(10))
    return lines


@st.composite
def _bad_record(draw: st.DrawFn, good: list[bytes]) -> bytes:
    kind = draw(st.sampled_from(["not an object", "op code", "missing field", "wrong type"]))
    if kind == "not an object":
        value = draw(_json_values.filter(lambda v: not isinstance(v, dict)))
        return json.dumps(value).encode()
    record = json.loads(draw(st.sampled_from(good)))
    fields = dict(_FIELDS[record["op_code"]])
    if record["op_code"] == 4 and "state" in record:
        fields.update(_TEMPLATE_FIELDS)
    if kind == "op code":
        record["op_code"] = draw(
            st.text() | st.none() | st.booleans() | st.floats() | st.integers(10, 10**6)
        )
    elif kind == "missing field":
        del record[draw(st.sampled_from(sorted(fields)))]
    else:
        name = draw(st.sampled_from(sorted(fields)))
        record[name] = draw(_WRONG[fields[name]])
    return json.dumps(record).encode()


@st.composite
def _journal(draw: st.DrawFn, good: list[bytes]) -> tuple[list[bytes], int]:
    """The good lines with bad ones slipped in (never before the first), and how many."""
    bad = draw(st.lists(_bad_record(good), min_size=1, max_size=8))
    lines = list(good)
    for record in bad:
        lines.insert(draw(st.integers(1, len(lines))), record)
    return lines, len(bad)


def _contents(storage: JournalStorage) -> list[Any]:
    contents: list[Any] = []
    for study in storage.get_all_studies():
        trials = storage.get_all_trials(study._study_id)
        contents.append((study.study_name, study.directions, study.user_attrs, trials))
    return contents


def _open_counting_warnings(open_storage: Any) -> tuple[JournalStorage, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        storage = open_storage()
        _contents(storage)
    return storage, [str(w.message) for w in caught if "skipped" in str(w.message)]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    return _good_records(tmp_path_factory.mktemp("good"))


@pytest.fixture(scope="module")
def expected(good: list[bytes], tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    path = tmp_path_factory.mktemp("expected") / "journal.log"
    path.write_bytes(b"\n".join(good) + b"\n")
    contents = _contents(JournalStorage(JournalFileBackend(str(path))))
    states = [t.state for t in contents[0][3]]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states
    return contents


_SETTINGS = settings(
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize(
    "line", [b"[1,2]", b"3", b'"x"', b"null", b"true", b"{}", b'{"op_code": "4"}']
)
def test_each_shape_of_malformed_line_is_skipped_with_a_warning(
    line: bytes, good: list[bytes], expected: list[Any], tmp_path: Path
) -> None:
    path = tmp_path / "journal.log"
    path.write_bytes(b"\n".join([good[0], line, *good[1:]]) + b"\n")
    storage, skipped = _open_counting_warnings(
        lambda: JournalStorage(JournalFileBackend(str(path)))
    )
    assert len(skipped) == 1
    assert _contents(storage) == expected


@settings(_SETTINGS, max_examples=60)
@given(data=st.data())
def test_file_journal_with_malformed_records_keeps_every_good_one(
    data: st.DataObject, good: list[bytes], expected: list[Any], tmp_path: Path
) -> None:
    lines, n_bad = data.draw(_journal(good))
    path = tmp_path / f"{uuid.uuid4().hex}.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    storage, skipped = _open_counting_warnings(
        lambda: JournalStorage(JournalFileBackend(str(path)))
    )
    assert len(skipped) == n_bad, skipped
    assert _contents(storage) == expected
    # The storage goes on working after the bad records.
    study = tansaku.load_study(study_name="kept", storage=storage)
    study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0), n_trials=1)


@settings(_SETTINGS, max_examples=20)
@given(data=st.data())
def test_redis_journal_with_malformed_records_keeps_every_good_one(
    data: st.DataObject, good: list[bytes], expected: list[Any], redis_server: RedisServer
) -> None:
    import redis

    lines, n_bad = data.draw(_journal(good))
    prefix = f"corrupt-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(redis_server.url())
    try:
        # Optuna's layout: the number of the last record, then each record under its number.
        client.set(f"{prefix}:log_number", len(lines) - 1)
        client.mset({f"{prefix}:log:{n}": line for n, line in enumerate(lines)})
        storage, skipped = _open_counting_warnings(
            lambda: JournalStorage(JournalRedisBackend(redis_server.url(), prefix=prefix))
        )
        assert len(skipped) == n_bad, skipped
        assert _contents(storage) == expected
    finally:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def _damage_params(document: dict[str, Any]) -> None:
    document["studies"][0]["trials"][0]["params"] = []


def _damage_distribution_index(document: dict[str, Any]) -> None:
    trial = document["studies"][0]["trials"][0]
    for name in trial["distributions"]:
        trial["distributions"][name] = 999


def _damage_study(document: dict[str, Any]) -> None:
    document["studies"][0] = [1, 2]


@pytest.mark.parametrize("damage", [_damage_params, _damage_distribution_index, _damage_study])
def test_snapshot_of_the_wrong_shape_is_ignored_with_a_warning(
    damage: Any, good: list[bytes], expected: list[Any], tmp_path: Path
) -> None:
    import tansaku.storages.journal._storage as journal_storage

    path = tmp_path / "journal.log"
    path.write_bytes(b"\n".join(good) + b"\n")
    snapshot_path = Path(f"{path}.snapshot")
    with pytest.MonkeyPatch.context() as patch:  # a snapshot after every few records
        patch.setattr(journal_storage, "snapshot_due", lambda n, at_last: n - at_last >= 3)
        JournalStorage(JournalFileBackend(str(path)))
    header, _, body = snapshot_path.read_bytes().partition(b"\n")
    document = json.loads(body)
    damage(document)
    snapshot_path.write_bytes(header + b"\n" + json.dumps(document).encode())

    with pytest.warns(RuntimeWarning, match="unreadable snapshot"):
        storage = JournalStorage(JournalFileBackend(str(path)))
    assert _contents(storage) == expected
