"""The ``"ray"`` backend: one Ray task per worker on the cluster ``ray.init`` connects to.

Each worker is a task (``num_cpus=1``) that runs the worker loop; the claim counter, the stop
flag and the running trials live in a Ray actor. A task whose process dies is run again by Ray
(``max_retries``), and the new run fails the trial the lost one left RUNNING. Ctrl-C cancels
the tasks, which raises KeyboardInterrupt in them, so each fails its trial.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tansaku._internal.optional import import_optional
from tansaku.parallel._coordinator import NO_TRIAL, LocalCoordinator
from tansaku.parallel._worker import fail_lost_trial, run_pickled_worker

if TYPE_CHECKING:
    from tansaku.study._study import Study

# Runs of a worker's task after its process died, as Ray's default for tasks.
MAX_RETRIES = 3
# Seconds the tasks get, after Ctrl-C, to fail their trials before they are killed.
INTERRUPT_GRACE_SECONDS = 30.0


class _RayCoordinator:
    """The worker loop's view of the coordinator actor: each call is one actor round trip."""

    def __init__(self, actor: Any) -> None:
        self._actor = actor

    def _call(self, method: str, *args: Any) -> Any:
        import ray

        return ray.get(getattr(self._actor, method).remote(*args))

    def claim(self) -> bool:
        return bool(self._call("claim"))

    def refund(self) -> None:
        self._call("refund")

    def stop(self) -> None:
        self._call("stop")

    def set_running(self, slot: int, trial_id: int) -> None:
        self._call("set_running", slot, trial_id)

    def take_running(self, slot: int) -> int:
        return int(self._call("take_running", slot))


def _ray_worker(payload: bytes, slot: int, coordinator: _RayCoordinator) -> int:
    # The task's environment comes from its runtime_env, set when Ray starts its process.
    return run_pickled_worker(payload, slot, coordinator, {})


def run_ray(
    study: Study,
    payload: bytes,
    n_trials: int | None,
    n_workers: int | None,
    envs_for: Callable[[int], Sequence[Mapping[str, str]]],
) -> None:
    """Run the workers as Ray tasks until they finish; see ``optimize``."""
    ray = import_optional("ray", "tansaku.parallel.optimize(backend='ray')", "cluster")
    started = not ray.is_initialized()
    if started:
        # Connects to the cluster RAY_ADDRESS names, or starts a local one.
        ray.init()
    try:
        count = n_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        envs = envs_for(count)
        actor = ray.remote(num_cpus=0)(LocalCoordinator).remote(n_trials, count)
        coordinator = _RayCoordinator(actor)
        remote = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(_ray_worker)
        refs = [
            remote.options(runtime_env={"env_vars": dict(env)} if env else None).remote(
                payload, slot, coordinator
            )
            for slot, env in enumerate(envs)
        ]
        try:
            _wait(ray, refs, coordinator)
        finally:
            for slot in range(count):
                lost = coordinator.take_running(slot)
                if lost != NO_TRIAL:
                    fail_lost_trial(study, lost)
            ray.kill(actor)
    finally:
        if started:
            ray.shutdown()


def _wait(ray: Any, refs: list[Any], coordinator: _RayCoordinator) -> None:
    pending = list(refs)
    error: BaseException | None = None
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            try:
                ray.get(done[0])
            except Exception as raised:  # a RayTaskError is also the objective's error type
                coordinator.stop()
                error = error or raised
    except KeyboardInterrupt:
        coordinator.stop()
        for ref in pending:
            ray.cancel(ref)  # raises KeyboardInterrupt in the task: it fails its trial
        try:
            _, stuck = ray.wait(pending, num_returns=len(pending), timeout=INTERRUPT_GRACE_SECONDS)
        except KeyboardInterrupt:
            stuck = pending
        for ref in stuck:
            ray.cancel(ref, force=True)
        raise
    if error is not None:
        raise error
