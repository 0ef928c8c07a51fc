"""The implementations compared, behind one small Optuna-shaped interface.

tansaku and Optuna share the public API, so the same calls run on both. rustuna differs in
small ways (``tell`` takes a trial number, storages are classes rather than URLs, no pruners);
``RustunaImpl`` adapts those, and nothing else, so the benchmark scripts stay identical.

A feature an implementation does not have raises ``MissingFeature``; the runner reports it as
"missing" in the tables instead of skipping the cell.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from typing import Any

IMPL_NAMES = ("tansaku", "optuna", "rustuna")

# kind -> (class name in `samplers`, constructor keyword arguments besides `seed`).
# "tpe" is TPESampler with its defaults, as a user gets it from create_study(): under the 5.0
# defaults that is the multivariate TPE for one objective (multivariate=None), with the
# constant liar on. "tpe_indep" is the independent (per-parameter) TPE.
SAMPLERS: dict[str, tuple[str, dict[str, Any]]] = {
    "random": ("RandomSampler", {}),
    "tpe": ("TPESampler", {}),
    "tpe_indep": ("TPESampler", {"multivariate": False}),
    # TPE with several objectives: the overhead suite's multi-objective cells.
    "mo_tpe": ("TPESampler", {}),
    "cmaes": ("CmaEsSampler", {}),
    # CMA-ES with restarts; Optuna 5.0 accepts the argument and ignores it (the same call
    # runs on both). Opt-in: run only when named in --samplers.
    "cmaes_ipop": ("CmaEsSampler", {"restart_strategy": "ipop"}),
    "cmaes_bipop": ("CmaEsSampler", {"restart_strategy": "bipop"}),
    "gp": ("GPSampler", {}),
    "qmc": ("QMCSampler", {"scramble": True}),
    "nsga2": ("NSGAIISampler", {}),
    "nsga3": ("NSGAIIISampler", {}),
}
# Kinds that a suite runs only when --samplers names them (variants of another kind).
OPT_IN_SAMPLERS = frozenset({"cmaes_ipop", "cmaes_bipop", "mo_tpe"})
SAMPLER_LABELS = {
    "random": "Random",
    "tpe": "TPE",
    "tpe_indep": "TPE independent",
    "mo_tpe": "TPE",
    "cmaes": "CMA-ES",
    "cmaes_ipop": "CMA-ES IPOP",
    "cmaes_bipop": "CMA-ES BIPOP",
    "gp": "GP",
    "qmc": "QMC",
    "nsga2": "NSGA-II",
    "nsga3": "NSGA-III",
}

# kind -> (class name in `pruners`, constructor keyword arguments); documented defaults
# everywhere except PercentilePruner, whose percentile has no default.
PRUNERS: dict[str, tuple[str, dict[str, Any]]] = {
    "nop": ("NopPruner", {}),
    "median": ("MedianPruner", {}),
    "percentile": ("PercentilePruner", {"percentile": 25.0}),
    "sha": ("SuccessiveHalvingPruner", {}),
    "hyperband": ("HyperbandPruner", {}),
}
PRUNER_LABELS = {
    "nop": "Nop",
    "median": "Median",
    "percentile": "Percentile(25)",
    "sha": "SuccessiveHalving",
    "hyperband": "Hyperband",
}

STORAGE_LABELS = {
    "inmemory": "in-memory (threads)",
    "sqlite": "SQLite",
    "journal": "journal file",
    "postgresql": "PostgreSQL",
}


class MissingFeature(Exception):
    """The implementation under test lacks a feature that a benchmark cell needs."""


# ``tansaku@<dir>``: the tansaku of another checkout (say, of an earlier commit), measured side
# by side with this one to show what a change costs or buys.
CHECKOUT_PREFIX = "tansaku@"


def is_known(name: str) -> bool:
    """True for a peer's name or ``tansaku@<dir>`` where ``<dir>`` holds a tansaku checkout."""
    if name in IMPL_NAMES:
        return True
    path = checkout_path(name)
    return path is not None and os.path.isfile(os.path.join(path, "tansaku", "__init__.py"))


def checkout_path(name: str) -> str | None:
    """The directory of a ``tansaku@<dir>`` implementation, or None for other names."""
    if not name.startswith(CHECKOUT_PREFIX):
        return None
    return os.path.abspath(name[len(CHECKOUT_PREFIX) :])


def installed_version(name: str) -> str | None:
    """Return the installed distribution version of an implementation, or None."""
    path = checkout_path(name)
    if path is not None:
        return _checkout_version(path)
    if importlib.util.find_spec(name) is None:
        return None
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _checkout_version(path: str) -> str:
    try:
        commit = subprocess.run(
            ["git", "-C", path, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"checkout {path} at {commit}"


def load(name: str) -> OptunaApiImpl:
    """Import implementation ``name`` and return its adapter (called inside workers)."""
    if not is_known(name):
        raise ValueError(f"unknown implementation {name!r}; choose from {IMPL_NAMES}")
    path = checkout_path(name)
    if path is not None:
        # A fresh worker process: nothing has imported tansaku yet, so the checkout wins.
        sys.path.insert(0, path)
        module = importlib.import_module("tansaku")
        if not os.path.abspath(module.__file__ or "").startswith(path + os.sep):
            raise RuntimeError(f"{name}: imported tansaku from {module.__file__}")
        impl: OptunaApiImpl = OptunaApiImpl(name, module)
        impl.silence_logging()
        return impl
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        raise MissingFeature(f"{name} is not installed ({exc})") from exc
    impl = RustunaImpl(module) if name == "rustuna" else OptunaApiImpl(name, module)
    impl.silence_logging()
    return impl


def _construct(namespace: Any, owner: str, class_name: str, kwargs: dict[str, Any]) -> Any:
    cls = getattr(namespace, class_name, None) if namespace is not None else None
    if cls is None:
        raise MissingFeature(f"{owner}.{class_name}")
    try:
        return cls(**kwargs)
    except (NotImplementedError, TypeError) as exc:
        call = ", ".join(f"{k}={_argument_text(v)}" for k, v in kwargs.items())
        raise MissingFeature(f"{owner}.{class_name}({call}): {exc}") from exc


def _argument_text(value: Any) -> str:
    """A constructor argument as the notes show it: a function by name, not by address (which
    would differ from run to run)."""
    if callable(value) and hasattr(value, "__qualname__"):
        return str(value.__qualname__)
    return repr(value)


class OptunaApiImpl:
    """An implementation with Optuna's public API: tansaku and Optuna itself."""

    def __init__(self, name: str, module: Any) -> None:
        self.name = name
        self.module = module

    def silence_logging(self) -> None:
        """Drop per-trial INFO lines, which would otherwise dominate a trivial trial."""
        log = getattr(self.module, "logging", None)
        if log is not None and hasattr(log, "set_verbosity"):
            log.set_verbosity(log.WARNING)

    def sampler(self, kind: str, seed: int, **extra: Any) -> Any:
        """The sampler of ``kind``; ``extra`` adds constructor arguments (e.g. constraints)."""
        class_name, kwargs = SAMPLERS[kind]
        samplers = getattr(self.module, "samplers", None)
        arguments = {"seed": seed, **kwargs, **extra}
        return _construct(samplers, f"{self.name}.samplers", class_name, arguments)

    def pruner(self, kind: str) -> Any:
        class_name, kwargs = PRUNERS[kind]
        pruners = getattr(self.module, "pruners", None)
        return _construct(pruners, f"{self.name}.pruners", class_name, kwargs)

    def storage(self, kind: str, location: str) -> Any:
        """Return what ``create_study(storage=...)`` takes for this kind of storage."""
        storages = getattr(self.module, "storages", None)
        if kind == "inmemory":
            return _construct(storages, f"{self.name}.storages", "InMemoryStorage", {})
        if kind in ("sqlite", "postgresql"):
            if getattr(storages, "RDBStorage", None) is None:
                raise MissingFeature(f"{self.name}.storages.RDBStorage")
            return f"sqlite:///{location}" if kind == "sqlite" else location
        if kind == "journal":
            if getattr(storages, "JournalStorage", None) is None:
                raise MissingFeature(f"{self.name}.storages.JournalStorage")
            try:
                journal = importlib.import_module(f"{self.module.__name__}.storages.journal")
            except ImportError as exc:
                raise MissingFeature(f"{self.name}.storages.journal") from exc
            backend = _construct(
                journal,
                f"{self.name}.storages.journal",
                "JournalFileBackend",
                {"file_path": location},
            )
            return storages.JournalStorage(backend)
        raise ValueError(f"unknown storage kind {kind!r}")

    def create_study(self, **kwargs: Any) -> Any:
        return self.module.create_study(**kwargs)

    def load_study(self, *, study_name: str, storage: Any, sampler: Any = None) -> Any:
        return self.module.load_study(study_name=study_name, storage=storage, sampler=sampler)

    def delete_study(self, *, study_name: str, storage: Any) -> None:
        self.module.delete_study(study_name=study_name, storage=storage)

    def trial_state(self, name: str) -> Any:
        return getattr(self.module.trial.TrialState, name)


class _RustunaStudy:
    """Optuna's ``Study.tell(trial, ...)`` over a rustuna study, whose tell takes a number."""

    __slots__ = ("_study",)

    def __init__(self, study: Any) -> None:
        self._study = study

    def ask(self) -> Any:
        return self._study.ask()

    def tell(self, trial: Any, values: Any = None, state: Any = None) -> Any:
        number = trial if isinstance(trial, int) else trial.number
        return self._study.tell(number, values, state)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)


class RustunaImpl(OptunaApiImpl):
    """rustuna 0.2: the same calls, mapped onto its small API differences."""

    def __init__(self, module: Any) -> None:
        super().__init__("rustuna", module)

    def silence_logging(self) -> None:
        """rustuna writes no per-trial log lines."""

    def pruner(self, kind: str) -> Any:
        raise MissingFeature("rustuna has no pruners (no Trial.report / should_prune)")

    def storage(self, kind: str, location: str) -> Any:
        storages = self.module.storages
        if kind == "inmemory":
            return storages.InMemoryStorage()
        if kind == "sqlite":
            return storages.SQLite3Storage(location)
        if kind == "journal":
            return storages.JournalFileStorage(location)
        if kind == "postgresql":
            raise MissingFeature("rustuna.storages has no PostgreSQL storage")
        raise ValueError(f"unknown storage kind {kind!r}")

    def create_study(self, **kwargs: Any) -> Any:
        if kwargs.pop("pruner", None) is not None:
            raise MissingFeature("rustuna.create_study has no pruner argument")
        return _RustunaStudy(self.module.create_study(**kwargs))

    def load_study(self, *, study_name: str, storage: Any, sampler: Any = None) -> Any:
        study = self.module.load_study(study_name=study_name, storage=storage, sampler=sampler)
        return _RustunaStudy(study)

    def delete_study(self, *, study_name: str, storage: Any) -> None:
        raise MissingFeature("rustuna has no delete_study")
