"""tansaku's public surface is Optuna's: the same names, signatures, defaults and class members.

Runs in the benchmark environment, where Optuna 5 is installed next to tansaku. Every mismatch
found is listed in one failure, so a single run shows all that is left to do.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import math
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

# The modules whose public names are compared, relative to the package.
MODULES = (
    "",
    ".trial",
    ".study",
    ".distributions",
    ".exceptions",
    ".logging",
    ".importance",
    ".visualization",
    ".visualization.matplotlib",
    ".storages",
    ".storages.journal",
    ".samplers",
    ".samplers.nsgaii",
    ".pruners",
    ".search_space",
    ".terminator",
    ".artifacts",
    ".integration",
)

# Helpers that Optuna's modules import for their own use and that show up in their dir().
IGNORED_NAMES = frozenset(
    {
        "Any",
        "Union",
        "annotations",
        "abc",
        "copy",
        "json",
        "math",
        "decimal",
        "cast",
        "TYPE_CHECKING",
        "Real",
        "deprecated_class",
        "optuna_warn",
        "colorlog",
        "logging",
        "sys",
        "threading",
    }
)

# Optuna's public names (relative to the package) that tansaku does not provide yet, with the
# reason. The test fails when one of them appears, so that this list is kept true.
NOT_YET_PROVIDED = {
    "integration.BoTorchSampler": "needs BoTorch and PyTorch; GPSampler is tansaku's GP sampler",
    "integration.PyCmaSampler": "a pycma wrapper; CmaEsSampler is tansaku's CMA-ES",
    "integration.ShapleyImportanceEvaluator": "SHAP importances are not provided",
    "integration.FastAIPruningCallback": "fastai is not integrated",
    "integration.FastAIV2PruningCallback": "fastai is not integrated",
    "integration.PyTorchIgnitePruningHandler": "PyTorch Ignite is not integrated",
    "integration.SkorchPruningCallback": "skorch is not integrated",
    "integration.TFKerasPruningCallback": "tf.keras 2 is not integrated (KerasPruningCallback is)",
    "integration.TensorFlowPruningHook": "TensorFlow estimators are not integrated",
    "integration.TorchDistributedTrial": "torch.distributed trials are not provided",
}

# Integration adapters whose signatures other compat tests compare, each against stand-ins for
# the framework where the benchmark environment lacks it: here only their presence is checked
# (comparing them here would import every framework).
COMPARED_ELSEWHERE = {
    "integration.CatBoostPruningCallback": "test_integration_gbm_surface.py",
    "integration.LightGBMPruningCallback": "test_integration_gbm_surface.py",
    "integration.LightGBMTuner": "test_integration_gbm_surface.py",
    "integration.LightGBMTunerCV": "test_integration_gbm_surface.py",
    "integration.XGBoostPruningCallback": "test_integration_gbm_surface.py",
    "integration.MLflowCallback": "test_integration_tracking_surface.py",
    "integration.WeightsAndBiasesCallback": "test_integration_tracking_surface.py",
    "integration.TensorBoardCallback": "test_integration_tracking_surface.py",
    "integration.OptunaSearchCV": "test_integration_sklearn_surface.py",
    "integration.DaskStorage": "test_integration_sklearn_surface.py",
    "integration.KerasPruningCallback": "test_integration_dl_surface.py",
    "integration.PyTorchLightningPruningCallback": "test_integration_dl_surface.py",
}

# Parameters tansaku adds to Optuna's, by the path of the callable, with the reason. Each must
# have a default and be keyword-only or come after all of Optuna's parameters, so that every
# call an Optuna program makes still means the same; the test fails when one is listed but not
# an extra parameter any more, so that this list is kept true.
TANSAKU_EXTRA_PARAMETERS = {
    "storages.RDBStorage.__init__": {"durable_commits": "sync every SQLite commit to disk"},
    "storages.JournalStorage.__init__": {
        "heartbeat_interval": "heartbeats on journals, as RDBStorage has them",
        "grace_period": "heartbeats on journals, as RDBStorage has them",
        "heartbeat_stale_trial_callback": "heartbeats on journals, as RDBStorage has them",
        "failed_trial_callback": "the deprecated name of the callback, as on RDBStorage",
    },
    "storages.journal.JournalFileBackend.__init__": {"fsync": "sync every append to disk"},
    "storages.JournalFileStorage.__init__": {"fsync": "JournalFileBackend's, by the old name"},
    "storages.journal.JournalRedisBackend.__init__": {
        "hole_timeout": "how long a reader waits for a record number left unwritten"
    },
    "storages.JournalRedisStorage.__init__": {
        "hole_timeout": "JournalRedisBackend's, by the old name"
    },
    "storages.GrpcStorageProxy.__init__": {"retry_timeout": "how long calls retry a lost server"},
    "search_space._SearchSpaceGroup.__init__": {
        "search_spaces": "a group built from known search spaces (a copy to hand out)"
    },
}

# Values that are expected to differ between the two packages.
NOT_COMPARED_VALUES = frozenset({"__version__"})


# -- what a public surface is -------------------------------------------------------------------


def public_names(module: types.ModuleType) -> list[str]:
    """Names a user may rely on: ``__all__`` plus what ``dir()`` shows without underscores.

    Submodules that ``__all__`` does not list are implementation files (``optuna.study.study``)
    and are left out, as are the helpers in ``IGNORED_NAMES``.
    """
    declared = set(getattr(module, "__all__", ()))
    names = set(declared)
    for name in dir(module):
        if name.startswith("_") or name in declared:
            continue
        if isinstance(getattr(module, name), types.ModuleType):
            continue
        names.add(name)
    return sorted(names - IGNORED_NAMES)


def _is_typing_object(value: Any) -> bool:
    return type(value).__module__ == "typing" or isinstance(value, types.UnionType)


def normalize(value: Any) -> Any:
    """A form of a default or constant that compares equal across the two packages."""
    if value is inspect.Parameter.empty:
        return "<no default>"
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.name)
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return (type(value).__name__, value)
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else value)
    if isinstance(value, tuple | list | set | frozenset):
        return (type(value).__name__, tuple(normalize(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((normalize(k), normalize(v)) for k, v in value.items()))
    if _is_typing_object(value):
        return ("typing", repr(value))
    if inspect.isclass(value) or inspect.isroutine(value):
        return ("callable", getattr(value, "__qualname__", repr(value)))
    return ("instance of", type(value).__name__)


def signature_of(obj: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None  # builtins such as Exception.__init__ have none


def _plain(signature: inspect.Signature) -> str:
    """The signature as text without annotations (they are strings and may differ in style)."""
    parameters = [
        p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()
    ]
    return str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def signature_differences(
    ours: Any, theirs: Any, allowed_extra: frozenset[str] = frozenset()
) -> list[str]:
    """How the signature of ``ours`` differs from that of ``theirs``: names, kinds, defaults.

    Parameters of ``ours`` named in ``allowed_extra`` may be extra when they cannot change the
    meaning of a call made with ``theirs``'s parameters (see ``TANSAKU_EXTRA_PARAMETERS``).
    """
    their_signature, our_signature = signature_of(theirs), signature_of(ours)
    if their_signature is None or our_signature is None:
        if (their_signature is None) != (our_signature is None):
            return ["only one of the two has an inspectable signature"]
        return []
    their_params = list(their_signature.parameters.values())
    our_params = list(our_signature.parameters.values())
    reasons = []
    n_theirs_positional = sum(p.kind != p.KEYWORD_ONLY for p in their_params)
    their_name_set = {p.name for p in their_params}
    harmless = {
        p.name
        for position, p in enumerate(our_params)
        if p.name in allowed_extra
        and p.name not in their_name_set
        and p.default is not p.empty
        and (p.kind == p.KEYWORD_ONLY or position >= n_theirs_positional)
    }
    for name in sorted(allowed_extra - harmless):
        reasons.append(f"'{name}' is in TANSAKU_EXTRA_PARAMETERS but is not a harmless extra")
    our_params = [p for p in our_params if p.name not in harmless]
    their_names = [p.name for p in their_params]
    our_names = [p.name for p in our_params]
    missing = [n for n in their_names if n not in our_names]
    extra = [n for n in our_names if n not in their_names]
    if missing:
        reasons.append(f"missing parameters {missing}")
    if extra:
        reasons.append(f"extra parameters {extra}")
    if not missing and not extra and their_names != our_names:
        reasons.append("parameters in another order")
    ours_by_name = {p.name: p for p in our_params}
    for theirs_param in their_params:
        our_param = ours_by_name.get(theirs_param.name)
        if our_param is None:
            continue
        if our_param.kind != theirs_param.kind:
            reasons.append(
                f"'{theirs_param.name}' is {our_param.kind.description}, "
                f"Optuna's is {theirs_param.kind.description}"
            )
        if normalize(our_param.default) != normalize(theirs_param.default):
            reasons.append(
                f"'{theirs_param.name}' defaults to {our_param.default!r}, "
                f"Optuna's to {theirs_param.default!r}"
            )
    if reasons:
        reasons.append(f"Optuna: {_plain(their_signature)}")
        reasons.append(f"tansaku: {_plain(our_signature)}")
    return reasons


def member_kind(cls: type, name: str) -> str:
    """What a class member is, as a user sees it: method, classmethod, attribute, ..."""
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, staticmethod):
        return "staticmethod"
    if isinstance(raw, classmethod):
        return "classmethod"
    if isinstance(raw, property | types.MemberDescriptorType | types.GetSetDescriptorType):
        return "attribute"
    if isinstance(raw, types.DynamicClassAttribute) or type(raw).__name__ == "cached_property":
        return "attribute"
    if isinstance(raw, enum.Enum):
        return "enum member"
    if inspect.isclass(raw):
        return "class"
    if inspect.isroutine(raw) or callable(raw):
        return "method"
    return "value"


# -- comparing ----------------------------------------------------------------------------------


@dataclass
class SurfaceReport:
    """Mismatches found so far, and Optuna objects already matched with their tansaku twins."""

    mismatches: list[str] = field(default_factory=list)
    twins: dict[int, Any] = field(default_factory=dict)
    # Classes and functions already compared, by id: ``optuna.Trial`` is ``optuna.trial.Trial``.
    compared: set[int] = field(default_factory=set)

    def add(self, path: str, reasons: list[str] | str) -> None:
        if isinstance(reasons, str):
            reasons = [reasons]
        if reasons:
            self.mismatches.append(path + ": " + "\n      ".join(reasons))


def compare_modules(
    ours: types.ModuleType, theirs: types.ModuleType, report: SurfaceReport
) -> None:
    names = public_names(theirs)
    # Record every twin first so that base classes are known whatever the order of the names.
    for name in names:
        relative = f"{theirs.__name__}.{name}".partition(".")[2]
        if relative in COMPARED_ELSEWHERE or relative in NOT_YET_PROVIDED:
            continue
        if hasattr(ours, name):
            report.twins[id(getattr(theirs, name))] = getattr(ours, name)
    for name in names:
        path = f"{theirs.__name__}.{name}"
        known_gap = path.partition(".")[2] in NOT_YET_PROVIDED
        if known_gap and hasattr(ours, name):
            report.add(path, "is provided now: remove it from NOT_YET_PROVIDED")
            continue
        if known_gap:
            continue
        if path.partition(".")[2] in COMPARED_ELSEWHERE:
            if name not in getattr(ours, "__all__", ()):
                report.add(path, f"missing from {ours.__name__}.__all__")
            continue
        if not hasattr(ours, name):
            report.add(path, f"missing from {ours.__name__}")
            continue
        compare_objects(path, name, getattr(ours, name), getattr(theirs, name), report)


def compare_objects(path: str, name: str, ours: Any, theirs: Any, report: SurfaceReport) -> None:
    if inspect.isclass(theirs) or inspect.isroutine(theirs):
        if id(theirs) in report.compared and report.twins.get(id(theirs)) is ours:
            return
        report.compared.add(id(theirs))
    if isinstance(theirs, types.ModuleType):
        if not isinstance(ours, types.ModuleType):
            report.add(path, f"is a module in Optuna, {type(ours).__name__} in tansaku")
    elif inspect.isclass(theirs):
        if not inspect.isclass(ours):
            report.add(path, f"is a class in Optuna, {type(ours).__name__} in tansaku")
        else:
            compare_classes(path, ours, theirs, report)
    elif _is_typing_object(theirs) or not callable(theirs):
        if name not in NOT_COMPARED_VALUES and normalize(ours) != normalize(theirs):
            report.add(path, f"is {ours!r} in tansaku, {theirs!r} in Optuna")
    elif not callable(ours) or inspect.isclass(ours):
        report.add(path, f"is a function in Optuna, {type(ours).__name__} in tansaku")
    else:
        report.add(path, signature_differences(ours, theirs, _allowed_extra(path)))


def _allowed_extra(path: str) -> frozenset[str]:
    """The extra parameters listed for ``path`` (``optuna.x.Y.__init__``)."""
    return frozenset(TANSAKU_EXTRA_PARAMETERS.get(path.partition(".")[2], {}))


def compare_classes(path: str, ours: type, theirs: type, report: SurfaceReport) -> None:
    for base in theirs.__mro__[1:]:
        twin = report.twins.get(id(base), base if base.__module__ == "builtins" else None)
        if twin is not None and not issubclass(ours, twin):
            report.add(path, f"is not a subclass of {base.__name__} (Optuna's is)")
    if issubclass(theirs, enum.Enum):
        their_members = {m.name: m.value for m in theirs}  # type: ignore[var-annotated]
        our_members = {m.name: m.value for m in ours} if issubclass(ours, enum.Enum) else {}
        if our_members != their_members:
            report.add(path, f"members {our_members}, Optuna's {their_members}")
    report.add(
        f"{path}.__init__",
        signature_differences(ours.__init__, theirs.__init__, _allowed_extra(f"{path}.__init__")),
    )
    for member in sorted(n for n in dir(theirs) if not n.startswith("_")):
        member_path = f"{path}.{member}"
        if not hasattr(ours, member):
            report.add(member_path, "missing")
            continue
        their_kind, our_kind = member_kind(theirs, member), member_kind(ours, member)
        if their_kind != our_kind:
            report.add(member_path, f"is a {our_kind} in tansaku, a {their_kind} in Optuna")
        elif their_kind in ("method", "classmethod", "staticmethod"):
            report.add(
                member_path,
                signature_differences(getattr(ours, member), getattr(theirs, member)),
            )


def surface_mismatches(ours_root: str, theirs_root: str) -> list[str]:
    report = SurfaceReport()
    for suffix in MODULES:
        theirs = importlib.import_module(theirs_root + suffix)
        if suffix.lstrip(".") in NOT_YET_PROVIDED:
            continue  # compare_modules of the parent module reports it once it exists
        try:
            ours = importlib.import_module(ours_root + suffix)
        except ImportError as error:
            report.add(theirs_root + suffix, f"{ours_root + suffix} cannot be imported: {error}")
            continue
        compare_modules(ours, theirs, report)
    return report.mismatches


# -- the tests ----------------------------------------------------------------------------------


def test_benchmark_environment_has_optuna_5() -> None:
    import optuna  # a missing Optuna must fail here, not skip

    assert optuna.__version__.split(".")[0] == "5"


def test_tansaku_has_optunas_public_names_and_signatures(optuna: types.ModuleType) -> None:
    mismatches = surface_mismatches("tansaku", optuna.__name__)
    if mismatches:
        pytest.fail(
            f"{len(mismatches)} differences between Optuna {optuna.__version__} and tansaku:\n"
            + "\n".join(f"  - {line}" for line in mismatches),
            pytrace=False,
        )


# -- the comparison itself finds what it should ---------------------------------------------------


def _fake_module(name: str, **members: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in members.items():
        setattr(module, key, value)
    return module


class _Shape(enum.IntEnum):
    ROUND = 0


class _Base:
    pass


def _build_pair() -> Iterator[tuple[str, types.ModuleType, types.ModuleType]]:
    """Pairs (expected mismatch path, tansaku-like module, optuna-like module)."""

    def f(a: int, b: int = 1) -> None: ...

    def f_other_default(a: int, b: int = 2) -> None: ...

    def f_keyword_only(a: int, *, b: int = 1) -> None: ...

    def f_renamed(a: int, c: int = 1) -> None: ...

    yield "fake.f", _fake_module("ours", f=f_other_default), _fake_module("fake", f=f)
    yield "fake.f", _fake_module("ours", f=f_keyword_only), _fake_module("fake", f=f)
    yield "fake.f", _fake_module("ours", f=f_renamed), _fake_module("fake", f=f)
    yield "fake.f", _fake_module("ours"), _fake_module("fake", f=f)

    class Theirs(_Base):
        def __init__(self, x: int = 0) -> None: ...

        def run(self, n: int) -> None: ...

        @property
        def size(self) -> int:
            return 0

    class MissingMethod(_Base):
        def __init__(self, x: int = 0) -> None: ...

        @property
        def size(self) -> int:
            return 0

    class MethodInsteadOfProperty(_Base):
        def __init__(self, x: int = 0) -> None: ...

        def run(self, n: int) -> None: ...

        def size(self) -> int:
            return 0

    class OtherInit(_Base):
        def __init__(self, x: int = 1) -> None: ...

        def run(self, n: int) -> None: ...

        @property
        def size(self) -> int:
            return 0

    class NotDerived:
        def __init__(self, x: int = 0) -> None: ...

        def run(self, n: int) -> None: ...

        @property
        def size(self) -> int:
            return 0

    theirs = _fake_module("fake", C=Theirs, Base=_Base)
    yield "fake.C.run", _fake_module("ours", C=MissingMethod, Base=_Base), theirs
    yield "fake.C.size", _fake_module("ours", C=MethodInsteadOfProperty, Base=_Base), theirs
    yield "fake.C.__init__", _fake_module("ours", C=OtherInit, Base=_Base), theirs
    yield "fake.C", _fake_module("ours", C=NotDerived, Base=_Base), theirs
    yield "fake.C", _fake_module("ours", C=f, Base=_Base), theirs

    class OtherShape(enum.IntEnum):
        ROUND = 1

    shapes = _fake_module("fake", Shape=_Shape)
    yield "fake.Shape", _fake_module("ours", Shape=OtherShape), shapes
    yield "fake.LEVEL", _fake_module("ours", LEVEL=10), _fake_module("fake", LEVEL=20)


@pytest.mark.parametrize(
    ("expected_path", "ours", "theirs"),
    list(_build_pair()),
    ids=lambda v: getattr(v, "__name__", v),
)
def test_comparison_reports_each_kind_of_difference(
    expected_path: str, ours: types.ModuleType, theirs: types.ModuleType
) -> None:
    report = SurfaceReport()
    compare_modules(ours, theirs, report)
    assert [line.split(":")[0] for line in report.mismatches] == [expected_path]


def test_comparison_accepts_identical_surfaces() -> None:
    def f(a: int, b: float = 0.5, *args: Any, c: _Shape = _Shape.ROUND, **kwargs: Any) -> None: ...

    report = SurfaceReport()
    module = _fake_module("fake", f=f, Shape=_Shape, Base=_Base, LEVEL=3, typing=typing)
    compare_modules(module, module, report)
    assert report.mismatches == []


def test_public_names_leave_out_imported_helpers_and_private_submodules() -> None:
    module = _fake_module(
        "fake", json=math, annotations=1, study=math, _private=1, Study=_Base, __all__=["Study"]
    )
    assert public_names(module) == ["Study"]


def test_listed_extra_parameters_are_allowed_only_where_harmless() -> None:
    def theirs(a: int, b: int = 1) -> None: ...

    def keyword_extra(a: int, b: int = 1, *, extra: int = 0) -> None: ...

    def trailing_extra(a: int, b: int = 1, extra: int = 0) -> None: ...

    def extra_in_between(a: int, extra: int = 0, b: int = 1) -> None: ...

    def extra_without_default(a: int, b: int = 1, *, extra: int) -> None: ...

    allowed = frozenset({"extra"})
    assert signature_differences(keyword_extra, theirs, allowed) == []
    assert signature_differences(trailing_extra, theirs, allowed) == []
    assert signature_differences(keyword_extra, theirs) != []
    assert signature_differences(extra_in_between, theirs, allowed) != []
    assert signature_differences(extra_without_default, theirs, allowed) != []
    assert signature_differences(theirs, theirs, allowed) != []  # listed, yet not there
