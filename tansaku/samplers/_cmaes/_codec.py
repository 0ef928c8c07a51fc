"""The stored form of a CMA-ES run: plain JSON in the study's system attrs, never pickle.

Each generation's state is written once, under a key of its own (``tansaku.cmaes:state:<g>``),
so a worker that lags behind can never overwrite a newer generation with an older one, and two
workers closing the same generation write the same value to the same key. Arrays are written
as strings: the base64 of their little-endian IEEE doubles, so a state read back is bit for bit
the state written, and every worker continues from the same numbers. (Version 1 wrote each
float's shortest repr, comma-separated: formatting ~20 floats a trial that way cost tens of
times what base64 does. It is still read.) Optuna's ``cma:*`` / ``sepcma:*`` / ``cmawm:*``
attrs (pickled optimizers) are never read.

A trial drawn by CMA-ES carries ``tansaku.cmaes:trial`` = ``"<g>::<x>"``: the generation it
belongs to and its point in the unit box (before rounding to the params' grids) in the same
base64 form, from which the generation's update learns (version 1: ``"<g>:<x_1>,...,<x_n>"``,
still read). One string rather than a list: it is written for every trial, and a storage checks
and copies a string in one step.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tansaku._internal import system_attrs as stored_attrs
from tansaku.samplers._cmaes._core import CmaState
from tansaku.samplers._cmaes._lr_adapt import LrState
from tansaku.samplers._cmaes._restarts import RestartState

STATE_KEY_PREFIX = "tansaku.cmaes:state:"
TRIAL_KEY = "tansaku.cmaes:trial"
_VERSION = 2
_READ_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Run:
    """Everything one generation of a study's CMA-ES run needs, as stored."""

    generation: int  # counts every generation of the study, across restarts and new spaces
    space: str  # the signature of the unit box the run searches (``UnitBox.signature``)
    popsize: int
    cma: CmaState
    restart: RestartState
    lr: LrState | None


def trial_tag(generation: int, x: np.ndarray) -> str:
    """The tag of a trial drawn in ``generation`` at ``x``."""
    return f"{generation}::{_floats(x)}"


def parse_tag(tag: str) -> tuple[int, list[float]] | None:
    """The generation and point of a tag (of either version), or None when it is not one."""
    generation, _, point = tag.partition(":")
    try:
        if point.startswith(":"):
            return int(generation), _from_base64(point[1:]).tolist()
        return int(generation), [float(value) for value in point.split(",")]
    except ValueError:
        return None


def state_key(generation: int) -> str:
    return f"{STATE_KEY_PREFIX}{generation}"


def latest(system_attrs: Mapping[str, Any]) -> Run | None:
    """The newest run stored in a study's system attrs, or None."""
    generations = [
        int(key[len(STATE_KEY_PREFIX) :])
        for key in system_attrs
        if key.startswith(STATE_KEY_PREFIX) and key[len(STATE_KEY_PREFIX) :].isdigit()
    ]
    for generation in sorted(generations, reverse=True):
        # Beyond about 70 params a state is stored in parts (see _internal/system_attrs.py).
        run = decode(stored_attrs.read(system_attrs, state_key(generation)))
        if run is not None:
            return run
    return None


def encode(run: Run) -> dict[str, Any]:
    """The stored form of ``run``."""
    cma = run.cma
    # C is symmetric: its upper triangle row by row, (n (n + 1) / 2,).
    cov = _floats(cma.cov if cma.separable else cma.cov[_triu(cma.cov.shape[0])])
    restart = run.restart
    stored: dict[str, Any] = {
        "v": _VERSION,
        "g": run.generation,
        "space": run.space,
        "popsize": run.popsize,
        "mean": _floats(cma.mean),
        "sigma": cma.sigma,
        "separable": cma.separable,
        "cov": cov,
        "p_sigma": _floats(cma.p_sigma),
        "p_c": _floats(cma.p_c),
        "scale": _floats(cma.scale),
        "t": cma.t,
        "restart": [
            restart.n_restarts,
            restart.n_large,
            restart.evals_small,
            restart.evals_large,
            restart.small,
            restart.evals_run,
            _floats(np.array(restart.best_history, dtype=float)),
        ],
        "lr": None,
    }
    if run.lr is not None:
        lr = run.lr
        stored["lr"] = [
            lr.eta_mean,
            lr.eta_cov,
            _floats(lr.e_mean),
            lr.v_mean,
            _floats(lr.e_cov),
            lr.v_cov,
        ]
    return stored


def decode(stored: Any) -> Run | None:
    """The run ``stored`` holds, or None when it is not a state of a version this one reads."""
    if not isinstance(stored, dict) or stored.get("v") not in _READ_VERSIONS:
        return None
    _array = _from_base64 if stored["v"] == 2 else _from_text
    try:
        mean = _array(stored["mean"])
        n = mean.size
        if stored["separable"]:
            cov = _array(stored["cov"])
        else:
            cov = np.zeros((n, n))
            cov[_triu(n)] = _array(stored["cov"])
            cov = cov + np.triu(cov, 1).T
        cma = CmaState(
            mean=mean,
            sigma=float(stored["sigma"]),
            cov=cov,
            p_sigma=_array(stored["p_sigma"]),
            p_c=_array(stored["p_c"]),
            scale=_array(stored["scale"]),
            t=int(stored["t"]),
        )
        r = stored["restart"]
        restart = RestartState(
            int(r[0]),
            int(r[1]),
            int(r[2]),
            int(r[3]),
            bool(r[4]),
            int(r[5]),
            tuple(_array(r[6]).tolist()),
        )
        lr = None
        if stored["lr"] is not None:
            eta_mean, eta_cov, e_mean, v_mean, e_cov, v_cov = stored["lr"]
            lr = LrState(
                float(eta_mean),
                float(eta_cov),
                _array(e_mean),
                float(v_mean),
                _array(e_cov),
                float(v_cov),
            )
        return Run(
            int(stored["g"]), str(stored["space"]), int(stored["popsize"]), cma, restart, lr
        )
    except (KeyError, TypeError, ValueError, IndexError):  # binascii.Error is a ValueError
        return None


def _floats(values: np.ndarray) -> str:
    """An array as one string, exact: a storage checks and copies one string at once, where
    a list costs a step per number (the state is written every generation)."""
    return base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")


def _from_base64(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text, validate=True), dtype="<f8").astype(float)


def _from_text(text: str) -> np.ndarray:
    """An array as version 1 wrote it: comma-separated float reprs."""
    return np.array([float(value) for value in text.split(",")] if text else [], dtype=float)


_TRIU: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # n -> np.triu_indices(n); a cache


def _triu(n: int) -> tuple[np.ndarray, np.ndarray]:
    indices = _TRIU.get(n)
    if indices is None:
        indices = _TRIU[n] = np.triu_indices(n)
    return indices
