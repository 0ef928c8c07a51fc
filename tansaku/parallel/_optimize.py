"""tansaku.parallel.optimize: check the arguments, build the workers' task, pick the backend."""

from __future__ import annotations

import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku import logging as tansaku_logging
from tansaku._internal.validation import invalid, invalid_type
from tansaku.parallel._worker import WorkerTask
from tansaku.storages import InMemoryStorage
from tansaku.study._optimize import Callback, _check_catch, _check_limits

if TYPE_CHECKING:
    from tansaku.study._study import ObjectiveFuncType, Study

_WHERE = "tansaku.parallel.optimize()"
BACKENDS = ("process", "dask", "ray")
WorkerEnv = Callable[[int], Mapping[str, str]] | Sequence[Mapping[str, str]]


def optimize(
    study: Study,
    func: ObjectiveFuncType,
    n_trials: int | None = None,
    n_workers: int | None = None,
    backend: str = "process",
    *,
    timeout: float | None = None,
    catch: Iterable[type[Exception]] | type[Exception] = (),
    callbacks: Iterable[Callback] | None = None,
    gc_after_trial: bool = False,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    worker_env: WorkerEnv | None = None,
    client: Any = None,
    start_method: str = "spawn",
) -> None:
    """Optimize ``study`` with ``func`` on ``n_workers`` worker processes sharing its storage.

    Each worker is one long-lived process that runs the ordinary trial loop (ask, objective,
    tell, callbacks) many times: what it loads once (data, a model) serves all its trials. The
    workers share the study only through its storage, so the study must be stored where they
    all reach it: an RDB URL (SQLite for one machine, PostgreSQL or MySQL for many), a journal
    file, a journal on Redis, or the gRPC proxy.

    Example:
        >>> # train.py: the objective must be importable by the workers (module level).
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     return (x - 2) ** 2
        >>> if __name__ == "__main__":  # spawned workers import this file again
        ...     study = tansaku.create_study(storage="sqlite:///study.db")
        ...     tansaku.parallel.optimize(study, objective, n_trials=200, n_workers=4)

    Guarantees:

    - Exactly ``n_trials`` trials run to their end in all (each worker claims a trial before
      it asks for it, from a counter kept by the engine: shared memory, the Dask scheduler, a
      Ray actor), fewer only when a timeout, an error, ``Study.stop`` or Ctrl-C ends the call
      first. A trial lost with its worker gives its claim back (it ends FAIL beside the
      ``n_trials``; its retry, if the storage enqueues one, is one of them), unless the
      storage's heartbeat check failed it before the engine saw the loss. Enqueued trials
      (``Study.enqueue_trial``) are run first and count. Trial numbers stay dense: the storage
      numbers them.
    - A worker lost while it ran a trial (killed, out of memory, its machine gone) is replaced
      (the process backend starts a new one, at most 3 times per worker; Dask and Ray
      reschedule the task), and its trial ends FAIL as if its heartbeat had gone stale: the
      storage's ``heartbeat_stale_trial_callback`` is called, so
      ``RDBStorage(..., heartbeat_interval=60, heartbeat_stale_trial_callback=
      RetryHeartbeatStaleTrialCallback())`` runs it again. The storage's heartbeat remains the
      backstop for what the engine cannot see (a worker lost between asking for a trial and
      recording it, the calling process itself killed): enable it for long studies.
    - Ctrl-C (SIGINT to the calling process) stops every worker: each fails the trial it runs
      (process backend: workers get SIGINT; Ray: the tasks are cancelled; Dask: a watcher
      thread in each task raises KeyboardInterrupt in it), within 30 s, after which they are
      killed (process, Ray) and the caller fails what they left, so no trial stays RUNNING;
      then KeyboardInterrupt propagates.
    - An error the objective raises (outside ``catch``) or a callback raises stops every
      worker after its current trial and is raised here, with the worker's traceback.

    Args:
        study: The study; it must not be stored in memory.
        func: The objective, called with a :class:`~tansaku.trial.Trial`; it is pickled to
            the workers (the process backend uses pickle: a module-level function; Dask and
            Ray use cloudpickle, which also sends lambdas and closures by value).
        n_trials: Trials to run in all, across the workers; None for no limit (stop by
            ``timeout``, a callback or Ctrl-C).
        n_workers: Worker processes; None for one per CPU (process backend, or the local
            cluster this call starts), the threads of ``client``'s workers (Dask), or the
            cluster's CPUs (Ray).
        backend: ``"process"`` (local processes), ``"dask"`` or ``"ray"``.
        timeout: Seconds after the call starts after which no worker starts a trial.
        catch: Exception types that end a trial FAIL without stopping the study.
        callbacks: Called as ``callback(study, frozen_trial)`` in the worker after each of
            its trials; ``study.stop()`` in one stops every worker. Pickled like ``func``.
            The workers log at the caller's ``tansaku.logging`` verbosity.
        gc_after_trial: Run the garbage collector in the worker after each trial.
        initializer: Called as ``initializer(*initargs)`` once in each worker before its
            first trial (load data, open a connection); pickled like ``func``.
        initargs: Arguments for ``initializer``.
        worker_env: Environment variables for each worker: a list with one mapping per
            worker, or a callable ``i -> mapping`` for worker ``i``; e.g.
            ``lambda i: {"CUDA_VISIBLE_DEVICES": str(i)}``. Set before the task is
            unpickled in the worker. On Dask a worker's variables are set in its process, so
            give each Dask worker one thread when they differ; Ray starts the tasks with them.
        client: A ``distributed.Client`` for ``backend="dask"``; None starts a
            ``LocalCluster`` of ``n_workers`` one-thread processes and closes it at the end.
            With Ray, the call uses the cluster ``ray.init`` connected to, or starts a local
            one (and shuts it down at the end) when Ray is not initialized.
        start_method: The ``multiprocessing`` start method of the process backend:
            ``"spawn"`` (default: safe with threads, heartbeats and open connections in the
            caller, but the caller's script needs an ``if __name__ == "__main__":`` guard),
            ``"forkserver"`` or ``"fork"`` (faster to start, unsafe when the caller has
            threads or open connections).

    Raises:
        ValueError: an argument is out of range, or ``study`` is stored in memory.
        TypeError: ``func``, ``initializer`` or a callback cannot be pickled for ``backend``.
        ImportError: ``backend="dask"`` or ``"ray"`` without the engine installed
            (``pip install tansaku[cluster]``).
    """
    _check_limits(n_trials, timeout, 1)
    catch_types = _check_catch(catch)
    _check_study(study)
    if backend not in BACKENDS:
        raise invalid(_WHERE, "backend", backend, f"must be one of {', '.join(BACKENDS)}")
    if n_workers is not None and (
        isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1
    ):
        raise invalid(_WHERE, "n_workers", n_workers, "must be a positive int or None")
    if client is not None and backend != "dask":
        raise invalid(_WHERE, "client", client, f"is for backend='dask', not {backend!r}")
    if backend == "process":
        _check_start_method(start_method)
    task = WorkerTask(
        study=study,
        func=func,
        catch=catch_types,
        callbacks=tuple(callbacks or ()),
        gc_after_trial=gc_after_trial,
        deadline=None if timeout is None else time.time() + timeout,
        initializer=initializer,
        initargs=tuple(initargs),
        verbosity=tansaku_logging.get_verbosity(),
    )
    payload = _pickle_task(task, backend)
    if backend == "process":
        from tansaku.parallel._process import run_processes

        count = n_workers if n_workers is not None else (os.cpu_count() or 1)
        run_processes(study, payload, n_trials, _envs(worker_env, count), start_method)
    elif backend == "dask":
        from tansaku.parallel._dask import run_dask

        run_dask(study, payload, n_trials, n_workers, lambda n: _envs(worker_env, n), client)
    else:
        from tansaku.parallel._ray import run_ray

        run_ray(study, payload, n_trials, n_workers, lambda n: _envs(worker_env, n))


def _check_study(study: Study) -> None:
    storage = study._storage
    url = str(getattr(storage, "url", ""))
    if isinstance(storage, InMemoryStorage) or url in ("sqlite://", "sqlite:///:memory:"):
        raise invalid(
            _WHERE,
            "study",
            study.study_name,
            "is kept in memory, which worker processes cannot share; create it with a storage "
            "they all reach, e.g. tansaku.create_study(storage='sqlite:///study.db') or "
            "storage=JournalStorage(JournalFileBackend('study.log'))",
        )


def _check_start_method(start_method: str) -> None:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if start_method not in methods:
        raise invalid(_WHERE, "start_method", start_method, f"must be one of {methods}")


def _envs(worker_env: WorkerEnv | None, n_workers: int) -> list[dict[str, str]]:
    """One environment per worker, checked: every key and value a string."""
    if worker_env is None:
        envs: list[Any] = [{} for _ in range(n_workers)]
    elif callable(worker_env):
        envs = [worker_env(i) for i in range(n_workers)]
    elif isinstance(worker_env, Sequence) and not isinstance(worker_env, str | bytes):
        if len(worker_env) != n_workers:
            raise invalid(
                _WHERE,
                "worker_env",
                worker_env,
                f"must hold one mapping per worker ({n_workers}), it holds {len(worker_env)}",
            )
        envs = list(worker_env)
    else:
        raise invalid_type(_WHERE, "worker_env", worker_env, "a callable i -> dict or a list")
    checked = []
    for i, env in enumerate(envs):
        if not isinstance(env, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise invalid(
                _WHERE, "worker_env", env, f"for worker {i} must map str names to str values"
            )
        checked.append(dict(env))
    return checked


def _pickle_task(task: WorkerTask, backend: str) -> bytes:
    """Pickle the workers' task as the backend will, naming the part that cannot be."""
    if backend == "process":
        dumps = pickle.dumps
        how = "pickle (the process backend)"
    else:
        import cloudpickle  # installed with dask and ray, which use it for the same

        dumps = cloudpickle.dumps
        how = f"cloudpickle (the {backend} backend)"
    parts: dict[str, Any] = {
        "func": task.func,
        "initializer": task.initializer,
        "initargs": task.initargs,
        "callbacks": task.callbacks,
        "study": task.study,
    }
    for name, value in parts.items():
        if backend == "process":
            _check_importable(name, value)
        try:
            dumps(value)
        except Exception as error:
            fix = (
                "define it as a module-level function of an importable module (not a lambda, "
                "a nested function or a method of an object that cannot be pickled)"
                if name in ("func", "initializer")
                else "make it picklable (module-level classes and functions, no open handles)"
            )
            raise TypeError(
                f"{_WHERE}: {name}={value!r} cannot be sent to the workers with {how}: "
                f"{type(error).__name__}: {error}; {fix}"
            ) from error
    return dumps(task)


def _check_importable(name: str, value: Any) -> None:
    """Refuse a function of an interactive ``__main__``, which spawned workers cannot import."""
    if getattr(value, "__module__", None) != "__main__":
        return
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__file__", None) is None:
        raise TypeError(
            f"{_WHERE}: {name}={value!r} is defined in an interactive session, which worker "
            "processes cannot import; move it into a module (a .py file) and import it, or "
            "use backend='dask' or 'ray', which send it by value"
        )
