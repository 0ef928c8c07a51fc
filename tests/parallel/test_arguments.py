"""tansaku.parallel.optimize refuses what its workers cannot use, at the call."""

from __future__ import annotations

from pathlib import Path

import pytest

import tansaku
from tests.parallel import _objectives


def _sqlite_study(tmp_path: Path) -> tansaku.Study:
    return tansaku.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")


@pytest.mark.parametrize("storage", [None, "sqlite:///:memory:"])
def test_in_memory_study_is_refused_naming_the_fix(storage: str | None) -> None:
    study = tansaku.create_study(storage=storage)
    with pytest.raises(ValueError, match=r"study=.*kept in memory.*sqlite:///study\.db"):
        tansaku.parallel.optimize(study, _objectives.quadratic, n_trials=1, n_workers=1)


def test_lambda_objective_is_refused_naming_the_fix(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"func=.*lambda.*cannot be sent.*module-level function"):
        tansaku.parallel.optimize(_sqlite_study(tmp_path), lambda t: 0.0, n_trials=1)


def test_nested_initializer_is_refused_naming_it(tmp_path: Path) -> None:
    def setup() -> None:
        pass

    with pytest.raises(TypeError, match=r"initializer=.*setup.*module-level function"):
        tansaku.parallel.optimize(
            _sqlite_study(tmp_path), _objectives.quadratic, n_trials=1, initializer=setup
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"backend": "spark"}, r"backend='spark' must be one of process, dask, ray"),
        ({"n_workers": 0}, r"n_workers=0 must be a positive int"),
        ({"n_trials": -1}, r"n_trials=-1 must be a non-negative int"),
        ({"start_method": "clone"}, r"start_method='clone' must be one of"),
        ({"worker_env": [{}]}, r"worker_env=.*one mapping per worker \(2\), it holds 1"),
        ({"worker_env": [{"A": 1}, {}]}, r"worker_env=.*must map str names to str values"),
        ({"client": object()}, r"client=.*is for backend='dask'"),
    ],
)
def test_bad_arguments_are_refused_naming_them(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"n_trials": 1, "n_workers": 2, **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        tansaku.parallel.optimize(
            _sqlite_study(tmp_path),
            _objectives.quadratic,
            **arguments,  # type: ignore[arg-type]
        )
