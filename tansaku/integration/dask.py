"""A storage that lives on a Dask scheduler, shared by the workers of a cluster:
:class:`DaskStorage`.

Example:
    >>> from distributed import Client, wait
    >>> import tansaku
    >>> from tansaku.integration.dask import DaskStorage
    >>> with Client() as client:
    ...     storage = DaskStorage()  # in memory, on the scheduler of ``client``
    ...     study = tansaku.create_study(storage=storage)
    ...     jobs = [client.submit(study.optimize, objective, n_trials=10, pure=False)
    ...             for _ in range(4)]
    ...     wait(jobs)
    ...     print(study.best_params)

The storage itself (in memory by default, or the one a URL or storage object names) is kept by
an extension of the scheduler process; every call of a :class:`DaskStorage`, in the client or
in a task on any worker, is a message to the scheduler, which runs it on that storage. A
DaskStorage pickles as its name only, so the study travels to the workers cheaply and finds
the same storage there.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Container, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.validation import invalid_type
from tansaku.integration._imports import missing_framework
from tansaku.storages import BaseStorage, InMemoryStorage, RDBStorage

if TYPE_CHECKING:
    from tansaku._internal.study_direction import StudyDirection
    from tansaku.distributions import BaseDistribution
    from tansaku.storages._frozen_study import FrozenStudy
    from tansaku.storages._trial_cursor import TrialCursor
    from tansaku.trial import FrozenTrial, TrialState

try:
    import distributed
except ImportError as error:
    raise missing_framework("tansaku.integration.dask", "dask[distributed]", "cluster") from error

__all__ = ["DaskStorage"]

_WHERE = "DaskStorage"
# The scheduler's extension and its one message handler.
_EXTENSION = "tansaku_storages"
_HANDLER = "tansaku_storage_call"


class _SchedulerStorages:
    """The storages a scheduler keeps, by name, and the handler that calls their methods.

    Requests and replies are pickled, as Dask pickles tasks and their results: the frozen
    trials and studies, the distributions and the exceptions a storage raises travel whole.
    """

    def __init__(self, scheduler: distributed.Scheduler) -> None:
        self.storages: dict[str, BaseStorage] = {}
        scheduler.handlers[_HANDLER] = self.call
        scheduler.extensions[_EXTENSION] = self

    def call(self, name: str, request: bytes) -> bytes:
        method, args, kwargs = pickle.loads(request)
        try:
            result = getattr(self.storages[name], method)(*args, **kwargs)
        except Exception as error:  # raised again in the caller, as a local storage would
            return pickle.dumps((False, error))
        return pickle.dumps((True, result))


def _register(dask_scheduler: distributed.Scheduler, storage: Any, name: str) -> None:
    """Keep ``storage`` (None: a new in-memory one; a str: an RDB URL) on the scheduler."""
    extension = dask_scheduler.extensions.get(_EXTENSION) or _SchedulerStorages(dask_scheduler)
    if name in extension.storages:
        return
    if storage is None:
        storage = InMemoryStorage()
    elif isinstance(storage, str):
        storage = RDBStorage(storage)
    extension.storages[name] = storage


def _base_storage(dask_scheduler: distributed.Scheduler, name: str) -> BaseStorage:
    return dask_scheduler.extensions[_EXTENSION].storages[name]


class DaskStorage(BaseStorage):
    """A storage kept on the scheduler of a Dask cluster, so that tasks on every worker share
    the studies in it.

    Args:
        storage: The storage the scheduler keeps: None for a new in-memory one, a database URL
            (``"sqlite:///example.db"``) or a storage object (pickled to the scheduler).
        name: The storage's name on the scheduler; None makes a unique one. Two DaskStorage
            objects with one name are one storage.
        client: The ``distributed.Client`` of the cluster; None uses the current one (in a
            task, the worker's).
        register: Put ``storage`` on the scheduler now. False only attaches to a storage of
            this name that is already there (as a DaskStorage unpickled on a worker does).

    Raises:
        TypeError: ``storage`` is not None, a str or a storage; ``name`` is not a str.
        ValueError: no Dask client is running and none was given.
    """

    def __init__(
        self,
        storage: None | str | BaseStorage = None,
        name: str | None = None,
        client: distributed.Client | None = None,
        register: bool = True,
    ) -> None:
        if storage is not None and not isinstance(storage, (str, BaseStorage)):
            raise invalid_type(_WHERE, "storage", storage, "None, a database URL or a storage")
        if name is not None and not isinstance(name, str):
            raise invalid_type(_WHERE, "name", name, "a str or None")
        self.name = name if name is not None else f"tansaku-dask-storage-{uuid.uuid4().hex}"
        self._client = client
        if register:
            self.client.run_on_scheduler(_register, storage=storage, name=self.name)

    @property
    def client(self) -> distributed.Client:
        """The Dask client that calls go through (the one given, else the current one)."""
        return self._client if self._client is not None else distributed.get_client()

    def __reduce__(self) -> tuple[Any, ...]:
        # Only the name travels: the storage is on the scheduler already, and a worker reaches
        # it through its own client.
        return (DaskStorage, (None, self.name, None, False))

    def get_base_storage(self) -> BaseStorage:
        """A copy, in this process, of the storage the scheduler keeps (pickled from it)."""
        return self.client.run_on_scheduler(_base_storage, name=self.name)

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        client = self.client
        request = pickle.dumps((method, args, kwargs))
        handler = getattr(client.scheduler, _HANDLER)
        ok, result = pickle.loads(client.sync(handler, name=self.name, request=request))
        if not ok:
            raise result
        return result

    # -- studies ------------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        return self._call("create_new_study", list(directions), study_name)

    def delete_study(self, study_id: int) -> None:
        self._call("delete_study", study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_user_attr", study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._call("set_study_system_attr", study_id, key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._call("get_study_id_from_name", study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._call("get_study_name_from_id", study_id)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return self._call("get_study_directions", study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call("get_study_user_attrs", study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._call("get_study_system_attrs", study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        return self._call("get_all_studies")

    # -- trials -------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        return self._call("create_new_trial", study_id, template_trial)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        self._call("set_trial_param", trial_id, param_name, param_value_internal, distribution)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return self._call("get_trial_id_from_study_id_trial_number", study_id, trial_number)

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return self._call("get_trial_number_from_id", trial_id)

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        return self._call("get_trial_param", trial_id, param_name)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        return self._call("set_trial_state_values", trial_id, state, values)

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        self._call("set_trial_intermediate_value", trial_id, step, intermediate_value)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_user_attr", trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._call("set_trial_system_attr", trial_id, key, value)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._call("get_trial", trial_id)

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        # What arrives is unpickled afresh, so it is a copy whatever ``deepcopy`` says.
        return self._call("get_all_trials", study_id, False, _picklable(states))

    def get_n_trials(
        self, study_id: int, state: tuple[TrialState, ...] | TrialState | None = None
    ) -> int:
        return self._call("get_n_trials", study_id, state)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        return self._call("get_best_trial", study_id)

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        return self._call("get_trial_params", trial_id)

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        return self._call("get_trial_user_attrs", trial_id)

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        return self._call("get_trial_system_attrs", trial_id)

    def _get_trials_from(self, study_id: int, number: int) -> list[FrozenTrial]:
        return self._call("_get_trials_from", study_id, number)

    def get_trials_changed_since(
        self,
        study_id: int,
        cursor: TrialCursor | None = None,
        *,
        intermediate_values: bool = True,
    ) -> tuple[list[FrozenTrial], TrialCursor]:
        return self._call(
            "get_trials_changed_since",
            study_id,
            cursor,
            intermediate_values=intermediate_values,
        )

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        self._call("check_trial_is_updatable", trial_id, trial_state)

    def remove_session(self) -> None:
        self._call("remove_session")


def _picklable(states: Container[TrialState] | None) -> Any:
    """``states`` as a tuple when it is iterable (a generator or a dict view does not pickle),
    as given otherwise."""
    if states is None or isinstance(states, (tuple, list, set, frozenset)):
        return states
    return tuple(states) if isinstance(states, Iterable) else states
