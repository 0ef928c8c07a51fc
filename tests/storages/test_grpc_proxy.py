"""The gRPC storage proxy: retried calls never act twice, workers share a study through it.

The storage contract runs through the proxy too (``grpc_sqlite`` in ``_contract_backends.py``).
Here: what a retry of each call that is not idempotent does when the proxy that ran its first
attempt is gone (a new ``StorageProxyService`` on the same storage remembers nothing, as a
restarted proxy), real worker processes through a real proxy process into SQLite and
PostgreSQL, and a proxy killed and restarted under running workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tansaku.distributions import FloatDistribution, IntDistribution
from tansaku.exceptions import (
    DuplicatedStudyError,
    ExperimentalWarning,
    StorageInternalError,
    UpdateFinishedTrialError,
)
from tansaku.storages import BaseStorage, GrpcStorageProxy, InMemoryStorage, RDBStorage
from tansaku.storages._grpc import _codec
from tansaku.storages._grpc._server import StorageProxyService
from tansaku.study import StudyDirection
from tansaku.trial import FrozenTrial, TrialState, create_trial
from tests.storages import servers
from tests.storages._contract_backends import STORAGE_FACTORIES, grpc_proxy
from tests.storages._server_common import free_port, wait_for_port

REPO = Path(__file__).resolve().parents[2]
DIRECT_BACKENDS = [name for name in STORAGE_FACTORIES if not name.startswith("grpc")]


@pytest.fixture(params=DIRECT_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseStorage]:
    """An empty storage of each direct backend, for a proxy service to serve."""
    storage = STORAGE_FACTORIES[request.param](tmp_path)
    yield storage
    storage.remove_session()


def call(service: StorageProxyService, method: str, rid: str, attempt: int, **args: Any) -> Any:
    """Run one request on ``service``; its result, or raise its error as the client does."""
    payload = _codec.dumps({"rid": rid, "attempt": attempt, "args": args})
    answer = _codec.loads(service.handle(method, payload))
    if "err" in answer:
        raise _codec.decode_error(answer["err"])
    return answer["ok"]


def new_study(storage: BaseStorage) -> int:
    return storage.create_new_study([StudyDirection.MINIMIZE], "proxied")


# -- a retry reaching a restarted proxy (the first one died after the storage committed) ------


def test_retried_create_new_trial_returns_the_trial_its_first_attempt_created(
    backend: BaseStorage,
) -> None:
    study_id = new_study(backend)
    first = call(StorageProxyService(backend), "create_new_trial", "r1", 0, study_id=study_id,
                 template=None)  # fmt: skip
    restarted = StorageProxyService(backend)
    retried = call(restarted, "create_new_trial", "r1", 1, study_id=study_id, template=None)
    assert retried["id"] == first["id"]
    assert backend.get_n_trials(study_id) == 1
    other = call(restarted, "create_new_trial", "r2", 1, study_id=study_id, template=None)
    assert other["id"] != first["id"]
    assert [t.number for t in backend.get_all_trials(study_id)] == [0, 1]


def test_retried_create_new_trial_from_a_template_keeps_the_template(
    backend: BaseStorage,
) -> None:
    study_id = new_study(backend)
    template = create_trial(
        state=TrialState.WAITING, system_attrs={"fixed_params": {"x": 1}}, user_attrs={"u": 2}
    )
    message = _codec.encode_trials([template])
    first = call(StorageProxyService(backend), "create_new_trial", "r1", 0, study_id=study_id,
                 template=message)  # fmt: skip
    retried = call(StorageProxyService(backend), "create_new_trial", "r1", 1,
                   study_id=study_id, template=message)  # fmt: skip
    assert retried["id"] == first["id"]
    (stored,) = backend.get_all_trials(study_id)
    assert stored.state is TrialState.WAITING
    assert stored.user_attrs == {"u": 2}
    assert stored.system_attrs["fixed_params"] == {"x": 1}


def test_retried_finish_succeeds_and_a_different_finish_is_refused(backend: BaseStorage) -> None:
    study_id = new_study(backend)
    trial_id = backend.create_new_trial(study_id)
    args = {"trial_id": trial_id, "state": int(TrialState.COMPLETE), "values": [0.5]}
    assert call(StorageProxyService(backend), "set_trial_state_values", "r1", 0, **args)["changed"]
    restarted = StorageProxyService(backend)
    assert call(restarted, "set_trial_state_values", "r1", 1, **args)["changed"]
    other = {**args, "values": [0.25]}
    with pytest.raises(UpdateFinishedTrialError):
        call(restarted, "set_trial_state_values", "r2", 1, **other)
    with pytest.raises(UpdateFinishedTrialError):  # a first attempt is never excused
        call(restarted, "set_trial_state_values", "r3", 0, **args)
    assert backend.get_trial(trial_id).values == [0.5]


def test_retried_claim_keeps_the_trial_for_its_first_attempt(backend: BaseStorage) -> None:
    study_id = new_study(backend)
    trial_id = backend.create_new_trial(study_id, create_trial(state=TrialState.WAITING))
    claim = {"trial_id": trial_id, "state": int(TrialState.RUNNING), "values": None}
    assert call(StorageProxyService(backend), "set_trial_state_values", "won", 0, **claim)[
        "changed"
    ]
    restarted = StorageProxyService(backend)
    assert call(restarted, "set_trial_state_values", "won", 1, **claim)["changed"]
    assert not call(restarted, "set_trial_state_values", "lost", 0, **claim)["changed"]
    assert not call(restarted, "set_trial_state_values", "lost", 1, **claim)["changed"]


def test_claim_whose_proxy_died_before_marking_it_goes_to_one_retry(backend: BaseStorage) -> None:
    study_id = new_study(backend)
    trial_id = backend.create_new_trial(study_id, create_trial(state=TrialState.WAITING))
    # The claim committed and its proxy died before writing whose it is.
    assert backend.set_trial_state_values(trial_id, TrialState.RUNNING)
    claim = {"trial_id": trial_id, "state": int(TrialState.RUNNING), "values": None}
    restarted = StorageProxyService(backend)
    assert call(restarted, "set_trial_state_values", "first", 1, **claim)["changed"]
    assert not call(restarted, "set_trial_state_values", "second", 1, **claim)["changed"]
    assert call(restarted, "set_trial_state_values", "first", 1, **claim)["changed"]


def test_retried_create_new_study_returns_its_study_and_others_are_duplicates(
    backend: BaseStorage,
) -> None:
    args = {"directions": [int(StudyDirection.MAXIMIZE)], "name": "s", "generated_name": False}
    study_id = call(StorageProxyService(backend), "create_new_study", "r1", 0, **args)
    restarted = StorageProxyService(backend)
    assert call(restarted, "create_new_study", "r1", 1, **args) == study_id
    with pytest.raises(DuplicatedStudyError):
        call(restarted, "create_new_study", "r2", 1, **args)
    with pytest.raises(DuplicatedStudyError):
        call(restarted, "create_new_study", "r3", 0, **args)
    assert len(backend.get_all_studies()) == 1


def test_retried_delete_study_succeeds_and_a_first_one_raises_key_error(
    backend: BaseStorage,
) -> None:
    study_id = new_study(backend)
    call(StorageProxyService(backend), "delete_study", "r1", 0, study_id=study_id)
    restarted = StorageProxyService(backend)
    call(restarted, "delete_study", "r1", 1, study_id=study_id)
    with pytest.raises(KeyError):
        call(restarted, "delete_study", "r2", 0, study_id=study_id)


class _GatedStorage(InMemoryStorage):
    """Creates trials only once the gate opens; says when a creation is waiting at it."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self.gate = threading.Event()

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        self.waiting.set()
        assert self.gate.wait(60), "hang guard"
        return super().create_new_trial(study_id, template_trial)


def test_retry_arriving_while_its_first_attempt_runs_gets_the_same_answer() -> None:
    storage = _GatedStorage()
    study_id = new_study(storage)
    service = StorageProxyService(storage)
    answers: list[Any] = []

    def attempt(number: int) -> None:
        answers.append(call(service, "create_new_trial", "r1", number, study_id=study_id,
                            template=None))  # fmt: skip

    first = threading.Thread(target=attempt, args=(0,))
    first.start()
    assert storage.waiting.wait(60), "hang guard"
    retry = threading.Thread(target=attempt, args=(1,))
    retry.start()
    storage.gate.set()
    first.join(60)
    retry.join(60)
    assert len(answers) == 2 and answers[0]["id"] == answers[1]["id"]
    assert storage.get_n_trials(study_id) == 1


# -- the client ---------------------------------------------------------------------------------


def test_client_raises_the_storages_errors_with_their_messages(tmp_path: Path) -> None:
    direct = RDBStorage(f"sqlite:///{tmp_path / 'direct.db'}")
    proxied = grpc_proxy(RDBStorage(f"sqlite:///{tmp_path / 'proxied.db'}"))

    def failure(storage: BaseStorage) -> list[tuple[str, str]]:
        study_id = new_study(storage)
        trial_id = storage.create_new_trial(study_id)
        storage.set_trial_param(trial_id, "x", 1.0, FloatDistribution(0, 2))
        running = [
            lambda: storage.create_new_study([StudyDirection.MINIMIZE], "proxied"),
            lambda: storage.get_study_id_from_name("missing"),
            lambda: storage.get_trial(trial_id + 100),
            lambda: storage.set_trial_param(trial_id, "x", 1.0, IntDistribution(0, 2)),
            lambda: storage.get_best_trial(study_id),
        ]
        finished = [
            lambda: storage.set_trial_user_attr(trial_id, "k", 1),
            lambda: storage.set_trial_state_values(trial_id, TrialState.FAIL),
        ]
        raised = []
        for attempts in (running, finished):
            for attempt in attempts:
                with pytest.raises(Exception) as info:
                    attempt()
                raised.append((type(info.value).__name__, str(info.value)))
            if attempts is running:
                storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0])
        return raised

    expected = failure(direct)
    assert [name for name, _ in expected] == [
        "DuplicatedStudyError",
        "KeyError",
        "KeyError",
        "ValueError",
        "ValueError",
        "UpdateFinishedTrialError",
        "UpdateFinishedTrialError",
    ]
    assert failure(proxied) == expected


def test_client_hides_the_proxys_marks_that_the_storage_keeps(tmp_path: Path) -> None:
    behind = RDBStorage(f"sqlite:///{tmp_path / 'proxied.db'}")
    client = grpc_proxy(behind)
    study_id = new_study(client)
    trial_id = client.create_new_trial(study_id, create_trial(state=TrialState.WAITING))
    assert client.set_trial_state_values(trial_id, TrialState.RUNNING)
    assert client.get_trial(trial_id).system_attrs == {}
    assert client.get_study_system_attrs(study_id) == {}
    assert client.get_all_studies()[0].system_attrs == {}
    assert set(behind.get_trial(trial_id).system_attrs) == {
        _codec.CREATED_BY,
        _codec.CLAIMED_BY,
    }


def test_cached_finished_trials_are_dropped_when_a_study_is_deleted(tmp_path: Path) -> None:
    reader = grpc_proxy(RDBStorage(f"sqlite:///{tmp_path / 'proxied.db'}"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        writer = GrpcStorageProxy(host="127.0.0.1", port=reader._port)
    for round_value in (1.0, 2.0):
        study_id = new_study(writer)
        for _ in range(3):
            trial_id = writer.create_new_trial(study_id)
            writer.set_trial_state_values(trial_id, TrialState.COMPLETE, [round_value])
        assert [t.values for t in reader.get_all_trials(study_id)] == [[round_value]] * 3
        assert reader.get_trial(trial_id).values == [round_value]
        writer.delete_study(study_id)


def test_client_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="retry_timeout=-1.0 must be >= 0"):
        GrpcStorageProxy(port=13000, retry_timeout=-1.0)
    with pytest.raises(ValueError, match="port=0 must be in"):
        GrpcStorageProxy(port=0)
    with pytest.raises(TypeError, match="port must be an int"):
        GrpcStorageProxy(port="13000")  # type: ignore[arg-type]


def test_client_without_a_proxy_fails_once_its_retry_timeout_is_spent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        client = GrpcStorageProxy(host="127.0.0.1", port=free_port(), retry_timeout=0.3)
    with pytest.raises(StorageInternalError, match="could not be reached for 0.3 s"):
        client.get_all_studies()
    with pytest.raises(ConnectionError):
        client.wait_server_ready(timeout=0.1)


def test_client_warns_that_it_is_experimental() -> None:
    with pytest.warns(ExperimentalWarning, match="GrpcStorageProxy"):
        GrpcStorageProxy(host="127.0.0.1", port=free_port())


# -- worker processes through a proxy process ---------------------------------------------------

_PROXY = """
import sys, warnings
warnings.simplefilter("ignore")
from tansaku.storages import get_storage, run_grpc_proxy_server
run_grpc_proxy_server(get_storage(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]))
"""

_WORKER = """
import sys, warnings
warnings.simplefilter("ignore")
import tansaku
from tansaku.storages import GrpcStorageProxy
tansaku.logging.set_verbosity(tansaku.logging.ERROR)
port, n_trials = int(sys.argv[1]), int(sys.argv[2])
storage = GrpcStorageProxy(host="127.0.0.1", port=port, retry_timeout=120)
study = tansaku.load_study(study_name="shared", storage=storage)

def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    for step in range(3):
        trial.report(x + step, step)
    return x * x

study.optimize(objective, n_trials=n_trials)
"""


def _python(code: str, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO), GRPC_VERBOSITY="ERROR")
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _start_proxy(url: str, port: int) -> subprocess.Popen[bytes]:
    proxy = _python(_PROXY, url, str(port))
    wait_for_port(port, proxy, "the gRPC proxy")
    return proxy


def _database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return servers.shared_postgresql().create_database("proxy")


def _finish(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        _, err = process.communicate(timeout=600)  # hang guard
        assert process.returncode == 0, err.decode()[-3000:]


def _assert_all_complete(storage: BaseStorage, study_id: int, n_trials: int) -> list[FrozenTrial]:
    trials = storage.get_all_trials(study_id)
    assert [t.number for t in trials] == list(range(n_trials))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert all(len(t.intermediate_values) == 3 for t in trials)
    return trials


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_eight_workers_through_a_proxy_complete_exactly_their_trials(
    kind: str, tmp_path: Path
) -> None:
    url = _database(kind, tmp_path)
    storage = RDBStorage(url)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "shared")
    port = free_port()
    proxy = _start_proxy(url, port)
    try:
        n_workers, per_worker = 8, 25
        _finish([_python(_WORKER, str(port), str(per_worker)) for _ in range(n_workers)])
    finally:
        proxy.kill()
        proxy.wait()
    _assert_all_complete(storage, study_id, n_workers * per_worker)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_workers_go_on_when_their_proxy_is_killed_and_restarted(kind: str, tmp_path: Path) -> None:
    url = _database(kind, tmp_path)
    storage = RDBStorage(url)
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "shared")
    n_workers, per_worker = 4, 40
    n_trials = n_workers * per_worker
    port = free_port()
    proxy = _start_proxy(url, port)
    workers = [_python(_WORKER, str(port), str(per_worker)) for _ in range(n_workers)]
    try:
        for progress in (n_trials // 4, n_trials // 2):
            deadline = time.monotonic() + 300  # hang guard
            while storage.get_n_trials(study_id, TrialState.COMPLETE) < progress:
                assert time.monotonic() < deadline, "the workers made no progress"
                for worker in workers:
                    if worker.poll():
                        pytest.fail(f"a worker failed: {worker.communicate()[1].decode()[-3000:]}")
                time.sleep(0.05)
            os.kill(proxy.pid, signal.SIGKILL)
            proxy.wait()
            time.sleep(0.5)  # the workers find it gone and retry
            proxy = _start_proxy(url, port)
        _finish(workers)
    finally:
        for worker in workers:
            worker.kill()
        proxy.kill()
        proxy.wait()
    _assert_all_complete(RDBStorage(url), study_id, n_trials)
