"""GrpcStorageProxy: a storage whose calls run on a proxy server (``run_grpc_proxy_server``)."""

from __future__ import annotations

import copy
import random
import threading
import time
import uuid
from collections.abc import Container, Sequence
from typing import Any

from tansaku import logging as tansaku_logging
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.optional import import_optional
from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import BaseDistribution, distribution_to_json
from tansaku.exceptions import StorageInternalError
from tansaku.storages._base import (
    DEFAULT_STUDY_NAME_PREFIX,
    BaseStorage,
    check_name,
    check_template_names,
)
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._grpc import _codec
from tansaku.storages._grpc._cache import JustCreated, StudyTrials
from tansaku.storages._grpc._service import CLIENT_OPTIONS, METHODS, NOT_IDEMPOTENT, SERVICE
from tansaku.trial import FrozenTrial, TrialState

_logger = tansaku_logging.get_logger(__name__)

# Transport failures, retried: the proxy is down, restarting, or the connection broke. The
# server answers every storage error in the message itself, so these never stand for one.
_RETRIED_CODES = frozenset(
    {"UNAVAILABLE", "UNKNOWN", "CANCELLED", "INTERNAL", "RESOURCE_EXHAUSTED", "ABORTED"}
)
_FIRST_DELAY_S = 0.05
_MAX_DELAY_S = 2.0


class GrpcStorageProxy(BaseStorage):
    """A storage that runs every call on a proxy server started by :func:`run_grpc_proxy_server`.

    Thousands of workers can share one database through one proxy: each worker holds one
    gRPC connection instead of database connections. Finished trials are kept in the client
    after their first read, so each read of a study fetches only the trials that are new or
    still running.

    Example:

        .. code::

            import tansaku
            from tansaku.storages import GrpcStorageProxy

            storage = GrpcStorageProxy(host="proxyhost", port=13000)
            study = tansaku.create_study(study_name="shared", storage=storage, load_if_exists=True)
            study.optimize(objective, n_trials=100)

    Restarts of the proxy are survived (a tansaku extension): a call that cannot reach the
    proxy is retried with growing pauses (up to 2 s) for ``retry_timeout`` seconds, and goes on
    when the proxy is back. A retried call never acts twice, even when the proxy died after
    the database committed its first attempt (see the server's documentation). Errors of the
    storage behind the proxy (KeyError, ValueError, DuplicatedStudyError,
    UpdateFinishedTrialError, ...) are raised by the client with the same type and message.

    The protocol is tansaku's own (JSON over gRPC): this client talks to tansaku's proxy, not
    to Optuna's. Heartbeats of the storage behind the proxy are not used through it.

    Delete studies through the proxy: clients drop what they keep of a study deleted through
    it, but not of one deleted behind its back (in the database, or through another proxy),
    and a database that reuses ids (SQLite) may then give them to a new study's trials.

    Args:
        host: The host name or address of the proxy.
        port: The port of the proxy.
        retry_timeout: Seconds to keep retrying a call while the proxy cannot be reached,
            counted from the first failure; 0 fails at once (a tansaku extension).

    Raises:
        ImportError: grpcio is not installed (``pip install tansaku[grpc]``).
        ValueError: ``port`` or ``retry_timeout`` is out of range.
    """

    def __init__(
        self, *, host: str = "localhost", port: int = 13000, retry_timeout: float = 60.0
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int):
            raise invalid_type("GrpcStorageProxy", "port", port, "an int")
        if not 0 < port <= 65535:
            raise invalid("GrpcStorageProxy", "port", port, "must be in [1, 65535]")
        if isinstance(retry_timeout, bool) or not isinstance(retry_timeout, int | float):
            raise invalid_type("GrpcStorageProxy", "retry_timeout", retry_timeout, "a number")
        if not retry_timeout >= 0:
            raise invalid("GrpcStorageProxy", "retry_timeout", retry_timeout, "must be >= 0")
        warn_experimental("GrpcStorageProxy")
        self._host = host
        self._port = port
        self._retry_timeout = float(retry_timeout)
        self._setup()

    def _setup(self) -> None:
        grpc = import_optional("grpc", "GrpcStorageProxy", "grpc")
        self._rpc_error = grpc.RpcError
        self._channel = grpc.insecure_channel(f"{self._host}:{self._port}", options=CLIENT_OPTIONS)
        self._calls = {name: self._channel.unary_unary(f"/{SERVICE}/{name}") for name in METHODS}
        self._lock = threading.Lock()
        self._generation: list[Any] | None = None
        # What this client keeps (see _cache.py); all dropped when the proxy's generation
        # changes (a study was deleted, or the proxy restarted).
        self._studies: dict[int, StudyTrials] = {}
        self._finished: dict[int, FrozenTrial] = {}  # trial_id -> finished trial
        self._created = JustCreated()
        self._parser = _codec.DistributionParser()

    def __getstate__(self) -> dict[str, Any]:
        return {"host": self._host, "port": self._port, "retry_timeout": self._retry_timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._host = state["host"]
        self._port = state["port"]
        self._retry_timeout = state["retry_timeout"]
        self._setup()

    def wait_server_ready(self, timeout: float | None = None) -> None:
        """Wait until the proxy accepts connections.

        Args:
            timeout: Seconds to wait at most; None waits as long as it takes.

        Raises:
            ConnectionError: the proxy was not ready within ``timeout``.
        """
        grpc = import_optional("grpc", "GrpcStorageProxy", "grpc")
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError as error:
            raise ConnectionError(
                f"GrpcStorageProxy: no proxy ready at {self._host}:{self._port} within {timeout} s"
            ) from error

    def close(self) -> None:
        """Close the connection to the proxy."""
        self._channel.close()

    # -- the round trip -------------------------------------------------------------------------
    def _call(self, method: str, **args: Any) -> Any:
        """Run ``method`` on the proxy, retrying while it cannot be reached; its result."""
        request_id = uuid.uuid4().hex if method in NOT_IDEMPOTENT else ""
        call = self._calls[method]
        attempt = 0
        give_up_at = None
        delay = _FIRST_DELAY_S
        while True:
            payload = _codec.dumps({"rid": request_id, "attempt": attempt, "args": args})
            try:
                answer = _codec.loads(call(payload))
                break
            except self._rpc_error as error:
                code = error.code().name
                details = error.details()
                if code not in _RETRIED_CODES:
                    raise StorageInternalError(
                        f"GrpcStorageProxy: the proxy at {self._host}:{self._port} refused "
                        f"{method}: {code} {details} (is it a tansaku proxy?)"
                    ) from error
                now = time.monotonic()
                if give_up_at is None:
                    give_up_at = now + self._retry_timeout
                    if self._retry_timeout > 0:
                        _logger.warning(
                            f"Lost the proxy at {self._host}:{self._port} ({code}: {details}); "
                            f"retrying {method} for up to {self._retry_timeout:g} s."
                        )
                if now >= give_up_at:
                    raise StorageInternalError(
                        f"GrpcStorageProxy: the proxy at {self._host}:{self._port} could not "
                        f"be reached for {self._retry_timeout:g} s ({code}: {details})"
                    ) from error
                time.sleep(min(delay * random.uniform(0.5, 1.0), give_up_at - now))
                delay = min(delay * 2, _MAX_DELAY_S)
                attempt += 1
        if attempt:
            _logger.info(f"Reached the proxy at {self._host}:{self._port} again.")
        self._observe(answer["gen"])
        if "err" in answer:
            raise _codec.decode_error(answer["err"])
        return answer["ok"]

    def _observe(self, generation: list[Any]) -> None:
        """Drop what this client keeps when the proxy's generation changed."""
        with self._lock:
            if generation == self._generation:
                return
            self._generation = generation
            self._studies = {}
            self._finished = {}
            self._created.clear()

    def _trials(self, message: dict[str, Any]) -> list[FrozenTrial]:
        return _codec.decode_trials(message, self._parser)

    # -- studies --------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        # Names are checked here: JSON would turn an int key into a str on the way.
        if study_name is not None:
            check_name("GrpcStorageProxy", "study_name", study_name)
        # The name is chosen here, so that a retry names the same study.
        generated = study_name is None
        name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4()) if study_name is None else study_name
        return int(
            self._call(
                "create_new_study",
                directions=[int(d) for d in directions],
                name=name,
                generated_name=generated,
            )
        )

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id=study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        check_name("GrpcStorageProxy", "key", key)
        self._call("set_study_user_attr", study_id=study_id, key=key, value=value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        check_name("GrpcStorageProxy", "key", key)
        self._call("set_study_system_attr", study_id=study_id, key=key, value=value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return int(self._call("get_study_id_from_name", name=study_name))

    def get_study_name_from_id(self, study_id: int) -> str:
        return str(self._call("get_study_name_from_id", study_id=study_id))

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return [StudyDirection(d) for d in self._call("get_study_directions", study_id=study_id)]

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(self._call("get_study_user_attrs", study_id=study_id))

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        attrs = self._call("get_study_system_attrs", study_id=study_id)
        return dict(_codec.strip_markers(attrs))

    def get_all_studies(self) -> list[FrozenStudy]:
        return [_codec.decode_study(study) for study in self._call("get_all_studies")]

    # -- trial writes ---------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if template_trial is not None:
            check_template_names("GrpcStorageProxy", template_trial)
        template = None if template_trial is None else _codec.encode_trials([template_trial])
        answer = self._call("create_new_trial", study_id=study_id, template=template)
        self._created.put(self._trials(answer["trial"])[0])
        return int(answer["id"])

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        check_name("GrpcStorageProxy", "param_name", param_name)
        self._created.take(trial_id)
        self._call(
            "set_trial_param",
            trial_id=trial_id,
            name=param_name,
            value=param_value_internal,
            distribution=distribution_to_json(distribution),
        )

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        self._created.take(trial_id)
        answer = self._call(
            "set_trial_state_values",
            trial_id=trial_id,
            state=int(state),
            values=None if values is None else [float(v) for v in values],
        )
        if "trial" in answer:
            trial = self._trials(answer["trial"])[0]
            self._finished[trial_id] = trial
        return bool(answer["changed"])

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._created.take(trial_id)
        self._call(
            "set_trial_intermediate_value", trial_id=trial_id, step=step, value=intermediate_value
        )

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        check_name("GrpcStorageProxy", "key", key)
        self._created.take(trial_id)
        self._call("set_trial_user_attr", trial_id=trial_id, key=key, value=value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        check_name("GrpcStorageProxy", "key", key)
        self._created.take(trial_id)
        self._call("set_trial_system_attr", trial_id=trial_id, key=key, value=value)

    # -- trial reads ----------------------------------------------------------------------------
    def get_trial(self, trial_id: int) -> FrozenTrial:
        known = self._finished.get(trial_id) or self._created.take(trial_id)
        if known is not None:
            return known
        trial = self._trials(self._call("get_trial", trial_id=trial_id))[0]
        if trial.state.is_finished():
            self._finished[trial_id] = trial
        return trial

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        cached = self._studies.get(study_id)
        if cached is not None and trial_number >= 0:
            with cached.lock:
                trial = cached.finished_trial(trial_number)
            if trial is not None:
                return trial._trial_id
        return int(
            self._call(
                "get_trial_id_from_study_id_trial_number", study_id=study_id, number=trial_number
            )
        )

    def get_trial_number_from_id(self, trial_id: int) -> int:
        known = self._finished.get(trial_id)
        if known is not None:
            return known.number
        return int(self._call("get_trial_number_from_id", trial_id=trial_id))

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        trials = self._sync(study_id, states)
        return [copy.deepcopy(t) for t in trials] if deepcopy else trials

    def _sync(self, study_id: int, states: Container[TrialState] | None) -> list[FrozenTrial]:
        """The study's trials in ``states``, after fetching those not kept."""
        while True:
            with self._lock:
                generation = self._generation
                cached = self._studies.setdefault(study_id, StudyTrials())
            with cached.lock:
                was_empty = not cached.slots
                answer = self._call("get_all_trials", study_id=study_id, **cached.request())
                fits = cached.absorb(self._trials(answer), answer["n"])
                with self._lock:
                    if fits and generation == self._generation:
                        return cached.select(states)
                    if fits and was_empty:  # nothing kept predates the new generation
                        self._studies.setdefault(study_id, cached)
                        return cached.select(states)
            # The study changed under what was kept (it was deleted and its id reused, or the
            # proxy restarted): start again from nothing.
            with self._lock:
                if self._studies.get(study_id) is cached:
                    del self._studies[study_id]

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        if isinstance(state, TrialState):
            state = (state,)
        states = None if state is None else [int(s) for s in state]
        return int(self._call("get_n_trials", study_id=study_id, states=states))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        return self._trials(self._call("get_best_trial", study_id=study_id))[0]
