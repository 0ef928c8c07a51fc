"""The proxy's server side: every storage call of the clients, run on one storage.

Retries. A client retries a call whose answer it did not get (the connection broke, the proxy
restarted), so every call must be safe to run twice. Reads and overwrites (params, attrs,
intermediate values) are. The four others carry a request id chosen by the client:

- While the proxy lives, it keeps the answer of each such request (the last ``_Memo.KEEP``)
  and answers a retry with it; a retry that arrives while the first attempt still runs waits
  for it.
- The proxy may die after the storage committed and before the answer left. A retry then
  reaches a new proxy that remembers nothing, so what the first attempt did must be found in
  the storage itself:

  - ``create_new_trial`` writes the request id into the new trial's system attrs in the same
    transaction (the trial is created from a template that carries it); a retry finds the
    trial by it instead of creating a second one.
  - ``set_trial_state_values`` to a finished state: a retry refused with
    UpdateFinishedTrialError succeeds when the trial holds the state and values it asked for.
  - ``set_trial_state_values(RUNNING)`` (claiming a WAITING trial): after a successful claim
    the proxy writes the request id into the trial's system attrs, under a lock that all claims
    of this proxy take. A retried claim that finds the trial RUNNING with its own id, or with
    no id (a proxy died between the claim and the mark, so no other client was told it won),
    takes it; the trial is run exactly once.
  - ``create_new_study`` marks the study the same way (after its creation: the storage API
    has no atomic way); a retry refused with DuplicatedStudyError succeeds when the study has
    its id, or has none and its name is one the client generated. A named study created by a
    proxy that died before marking it is reported as a duplicate.
  - ``delete_study``: a retry that finds no study succeeds.

Cache invalidation. Every answer carries the proxy's generation: an id of this proxy process
and its count of deleted studies. A client drops its cache of finished trials when it changes,
because a backend may reuse the ids of a deleted study's trials (SQLite does).
"""

from __future__ import annotations

import collections
import datetime
import math
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku._internal.deprecation import warn_experimental
from tansaku._internal.optional import import_optional
from tansaku._internal.study_direction import StudyDirection
from tansaku._internal.validation import invalid, invalid_type
from tansaku.distributions import json_to_distribution
from tansaku.exceptions import DuplicatedStudyError, UpdateFinishedTrialError
from tansaku.storages._base import BaseStorage
from tansaku.storages._grpc import _codec
from tansaku.storages._grpc._service import METHODS, NOT_IDEMPOTENT, SERVER_OPTIONS, SERVICE
from tansaku.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    import grpc

_logger = tansaku_logging.get_logger(__name__)

Handler = Callable[[dict[str, Any], "_Request"], Any]


class _Request:
    """The id of a client's request, and whether this is a retry of it."""

    __slots__ = ("request_id", "retry")

    def __init__(self, request_id: str, retry: bool) -> None:
        self.request_id = request_id
        self.retry = retry


class _Answer:
    """The answer to one request, once it is ready."""

    __slots__ = ("ready", "payload")

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.payload = b""


class _Memo:
    """Answers of the not-idempotent requests, by request id, for their retries.

    Holds the last ``KEEP`` (about 100 bytes each): at a thousand trials per second that is
    half a minute of them, longer than a client's retries of a request while this proxy lives
    usually take. An older retry is answered from the storage (see the module docstring).
    """

    KEEP = 65_536

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: collections.OrderedDict[str, _Answer] = collections.OrderedDict()

    def begin(self, request_id: str) -> tuple[_Answer, bool]:
        """The answer slot of ``request_id``, and whether this caller must fill it."""
        with self._lock:
            answer = self._answers.get(request_id)
            if answer is not None:
                return answer, False
            answer = self._answers[request_id] = _Answer()
            if len(self._answers) > self.KEEP:
                self._answers.popitem(last=False)
            return answer, True


class StorageProxyService:
    """Runs the clients' storage calls on ``storage`` (one instance per proxy process)."""

    def __init__(self, storage: BaseStorage) -> None:
        self._storage = storage
        self._instance = uuid.uuid4().hex[:16]
        self._deleted_studies = 0
        self._deletions_lock = threading.Lock()
        self._memo = _Memo()
        # Claims and their marks happen under it, so that no claim of this proxy is ever seen
        # half done (claimed, not yet marked) by a retried claim.
        self._claim_lock = threading.Lock()
        self._handlers: dict[str, Handler] = {name: getattr(self, "_" + name) for name in METHODS}

    def handle(self, method: str, payload: bytes) -> bytes:
        """The answer (JSON bytes) to one call of ``method``."""
        try:
            request = _codec.loads(payload)
            args = request["args"]
            context = _Request(str(request.get("rid", "")), int(request.get("attempt", 0)) > 0)
        except Exception as error:  # a malformed request: say so to the client
            return self._encode({"err": _codec.encode_error(ValueError(f"bad request: {error}"))})
        if method not in NOT_IDEMPOTENT or not context.request_id:
            return self._answer(method, args, context)
        answer, first = self._memo.begin(context.request_id)
        if not first:
            answer.ready.wait()
            return answer.payload
        try:
            answer.payload = self._answer(method, args, context)
        finally:
            answer.ready.set()
        return answer.payload

    def _answer(self, method: str, args: dict[str, Any], context: _Request) -> bytes:
        try:
            document = {"ok": self._handlers[method](args, context)}
        except Exception as error:  # the storage's exception goes back to the client as is
            document = {"err": _codec.encode_error(error)}
        return self._encode(document)

    def _encode(self, document: dict[str, Any]) -> bytes:
        document["gen"] = [self._instance, self._deleted_studies]
        try:
            return _codec.dumps(document)
        except (TypeError, ValueError) as error:  # a stored value that is not JSON
            document = {"err": _codec.encode_error(error), "gen": document["gen"]}
            return _codec.dumps(document)

    # -- studies --------------------------------------------------------------------------------
    def _create_new_study(self, args: dict[str, Any], context: _Request) -> int:
        storage = self._storage
        name = args["name"]
        directions = [StudyDirection(d) for d in args["directions"]]
        try:
            study_id = storage.create_new_study(directions, name)
        except DuplicatedStudyError:
            if not context.retry:
                raise
            study_id = storage.get_study_id_from_name(name)
            mark = storage.get_study_system_attrs(study_id).get(_codec.CREATED_BY)
            if mark == context.request_id or (mark is None and args["generated_name"]):
                return study_id
            raise
        storage.set_study_system_attr(study_id, _codec.CREATED_BY, context.request_id)
        return study_id

    def _delete_study(self, args: dict[str, Any], context: _Request) -> None:
        try:
            self._storage.delete_study(args["study_id"])
        except KeyError:
            if not context.retry:
                raise
        finally:
            with self._deletions_lock:
                self._deleted_studies += 1

    def _set_study_user_attr(self, args: dict[str, Any], context: _Request) -> None:
        self._storage.set_study_user_attr(args["study_id"], args["key"], args["value"])

    def _set_study_system_attr(self, args: dict[str, Any], context: _Request) -> None:
        self._storage.set_study_system_attr(args["study_id"], args["key"], args["value"])

    def _get_study_id_from_name(self, args: dict[str, Any], context: _Request) -> int:
        return self._storage.get_study_id_from_name(args["name"])

    def _get_study_name_from_id(self, args: dict[str, Any], context: _Request) -> str:
        return self._storage.get_study_name_from_id(args["study_id"])

    def _get_study_directions(self, args: dict[str, Any], context: _Request) -> list[int]:
        return [int(d) for d in self._storage.get_study_directions(args["study_id"])]

    def _get_study_user_attrs(self, args: dict[str, Any], context: _Request) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(args["study_id"])

    def _get_study_system_attrs(self, args: dict[str, Any], context: _Request) -> dict[str, Any]:
        return self._storage.get_study_system_attrs(args["study_id"])

    def _get_all_studies(self, args: dict[str, Any], context: _Request) -> list[dict[str, Any]]:
        return [_codec.encode_study(study) for study in self._storage.get_all_studies()]

    # -- trials ---------------------------------------------------------------------------------
    def _create_new_trial(self, args: dict[str, Any], context: _Request) -> dict[str, Any]:
        storage = self._storage
        study_id = args["study_id"]
        if context.retry:
            for trial in reversed(storage.get_all_trials(study_id, deepcopy=False)):
                if trial.system_attrs.get(_codec.CREATED_BY) == context.request_id:
                    return {"id": trial._trial_id, "trial": _codec.encode_trials([trial])}
        if args["template"] is None:
            template = FrozenTrial(
                0, TrialState.RUNNING, None, datetime.datetime.now(), None, {}, {}, {}, {}, {}, -1
            )
        else:
            template = _codec.decode_trials(args["template"], _codec.DistributionParser())[0]
        template.system_attrs = {**template.system_attrs, _codec.CREATED_BY: context.request_id}
        trial_id = storage.create_new_trial(study_id, template_trial=template)
        # The client's next call is almost always get_trial of this trial: answer it now.
        trial = storage.get_trial(trial_id)
        return {"id": trial_id, "trial": _codec.encode_trials([trial])}

    def _set_trial_param(self, args: dict[str, Any], context: _Request) -> None:
        distribution = json_to_distribution(args["distribution"])
        self._storage.set_trial_param(args["trial_id"], args["name"], args["value"], distribution)

    def _get_trial_id_from_study_id_trial_number(
        self, args: dict[str, Any], context: _Request
    ) -> int:
        return self._storage.get_trial_id_from_study_id_trial_number(
            args["study_id"], args["number"]
        )

    def _get_trial_number_from_id(self, args: dict[str, Any], context: _Request) -> int:
        return self._storage.get_trial_number_from_id(args["trial_id"])

    def _set_trial_state_values(self, args: dict[str, Any], context: _Request) -> dict[str, Any]:
        storage = self._storage
        trial_id, state, values = args["trial_id"], TrialState(args["state"]), args["values"]
        if state is TrialState.RUNNING:
            return {"changed": self._claim(trial_id, values, context)}
        try:
            changed = storage.set_trial_state_values(trial_id, state, values)
        except UpdateFinishedTrialError:
            if not context.retry or not _holds(storage.get_trial(trial_id), state, values):
                raise
            changed = True  # the first attempt ended it, and its answer was lost
        answer: dict[str, Any] = {"changed": changed}
        if state.is_finished():
            # It never changes again: the client keeps it, and Study.tell's read costs nothing.
            answer["trial"] = _codec.encode_trials([storage.get_trial(trial_id)])
        return answer

    def _claim(self, trial_id: int, values: list[float] | None, context: _Request) -> bool:
        storage = self._storage
        with self._claim_lock:
            if storage.set_trial_state_values(trial_id, TrialState.RUNNING, values):
                storage.set_trial_system_attr(trial_id, _codec.CLAIMED_BY, context.request_id)
                return True
            if not context.retry:
                return False
            trial = storage.get_trial(trial_id)
            if trial.state is not TrialState.RUNNING:
                return False
            mark = trial.system_attrs.get(_codec.CLAIMED_BY)
            if mark is None:  # claimed by a proxy that died before marking it: nobody was told
                storage.set_trial_system_attr(trial_id, _codec.CLAIMED_BY, context.request_id)
                return True
            return bool(mark == context.request_id)

    def _set_trial_intermediate_value(self, args: dict[str, Any], context: _Request) -> None:
        self._storage.set_trial_intermediate_value(args["trial_id"], args["step"], args["value"])

    def _set_trial_user_attr(self, args: dict[str, Any], context: _Request) -> None:
        self._storage.set_trial_user_attr(args["trial_id"], args["key"], args["value"])

    def _set_trial_system_attr(self, args: dict[str, Any], context: _Request) -> None:
        self._storage.set_trial_system_attr(args["trial_id"], args["key"], args["value"])

    def _get_trial(self, args: dict[str, Any], context: _Request) -> dict[str, Any]:
        return _codec.encode_trials([self._storage.get_trial(args["trial_id"])])

    def _get_all_trials(self, args: dict[str, Any], context: _Request) -> dict[str, Any]:
        """The trials the client has not cached: numbers from ``after`` on, except ``known``.

        Trials are ordered by number and numbered densely from 0, so ``trials[after:]`` are
        those numbered from ``after`` on.
        """
        trials = self._storage.get_all_trials(args["study_id"], deepcopy=False)
        known = set(args["known"])
        unseen = [t for t in trials[args["after"] :] if t.number not in known]
        return {"n": len(trials), **_codec.encode_trials(unseen)}

    def _get_n_trials(self, args: dict[str, Any], context: _Request) -> int:
        states = args["states"]
        wanted = None if states is None else tuple(TrialState(s) for s in states)
        return self._storage.get_n_trials(args["study_id"], wanted)

    def _get_best_trial(self, args: dict[str, Any], context: _Request) -> dict[str, Any]:
        return _codec.encode_trials([self._storage.get_best_trial(args["study_id"])])


def _holds(trial: FrozenTrial, state: TrialState, values: list[float] | None) -> bool:
    """Whether ``trial`` already is in ``state`` with ``values``."""
    if trial.state is not state:
        return False
    if values is None or trial.values is None:
        return values is None and trial.values is None
    return len(values) == len(trial.values) and all(
        a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(values, trial.values)
    )


def make_server(
    storage: BaseStorage, host: str, port: int, thread_pool: ThreadPoolExecutor | None = None
) -> tuple[grpc.Server, int]:
    """A proxy server for ``storage`` listening on ``host:port`` (not started), and its port.

    ``port=0`` listens on a free port, the one returned.
    """
    if isinstance(port, bool) or not isinstance(port, int):
        raise invalid_type("run_grpc_proxy_server", "port", port, "an int")
    if not 0 <= port <= 65535:
        raise invalid("run_grpc_proxy_server", "port", port, "must be in [0, 65535]")
    grpc = import_optional("grpc", "run_grpc_proxy_server", "grpc")
    service = StorageProxyService(storage)

    def method_handler(name: str) -> Any:
        def call(payload: bytes, _context: Any) -> bytes:
            return service.handle(name, payload)

        return grpc.unary_unary_rpc_method_handler(call)

    server = grpc.server(thread_pool or ThreadPoolExecutor(max_workers=10), options=SERVER_OPTIONS)
    handlers = {name: method_handler(name) for name in METHODS}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as error:
        raise OSError(f"run_grpc_proxy_server: cannot listen on {host}:{port}: {error}") from error
    if bound == 0:
        raise OSError(f"run_grpc_proxy_server: cannot listen on {host}:{port}")
    return server, bound


def run_grpc_proxy_server(
    storage: BaseStorage,
    *,
    host: str = "localhost",
    port: int = 13000,
    thread_pool: ThreadPoolExecutor | None = None,
) -> None:
    """Serve ``storage`` to :class:`GrpcStorageProxy` clients on ``host:port``, until stopped.

    One proxy in front of a database lets thousands of workers share a study: the workers hold
    no database connections, and the proxy's storage reads each finished trial from the
    database once. Give it a storage from :func:`~tansaku.storages.get_storage` (RDB storages
    keep finished trials in memory).

    Example:

        .. code::

            from tansaku.storages import get_storage, run_grpc_proxy_server

            storage = get_storage("postgresql://user:password@dbhost/optimization")
            run_grpc_proxy_server(storage, host="0.0.0.0", port=13000)

    The proxy may be stopped and restarted while clients run: they retry until it is back (see
    :class:`GrpcStorageProxy`), and no trial is created, claimed or ended twice. The protocol
    is tansaku's own (JSON over gRPC); Optuna's clients cannot talk to this server.

    Args:
        storage: The storage to serve.
        host: The host name or address to listen on.
        port: The port to listen on.
        thread_pool: The threads that run the calls; by default a pool of 10.

    Raises:
        OSError: the proxy cannot listen on ``host:port`` (e.g. another proxy does).
    """
    warn_experimental("run_grpc_proxy_server")
    server, bound = make_server(storage, host, port, thread_pool)
    server.start()
    _logger.info(f"Server started at {host}:{bound}")
    _logger.info("Listening...")
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop(None)
