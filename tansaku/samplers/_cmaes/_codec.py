"""The stored form of a CMA-ES run: plain JSON in the study's system attrs, never pickle.

Each generation's state is written once, under a key of its own (``tansaku.cmaes:state:<g>``),
so a worker that lags behind can never overwrite a newer generation with an older one, and two
workers closing the same generation write the same value to the same key. Arrays are written
as strings of comma-separated floats, each in its shortest exact repr, so a state read back is
bit for bit the state written, and every worker continues from the same numbers. Optuna's
``cma:*`` / ``sepcma:*`` / ``cmawm:*`` attrs (pickled optimizers) are never read.

A trial drawn by CMA-ES carries ``tansaku.cmaes:trial`` = ``"<g>:<x_1>,...,<x_n>"``: the
generation it belongs to and its point in the unit box (before rounding to the params' grids),
from which the generation's update learns. One string rather than a list: it is written for
every trial, and a storage checks and copies a string in one step (a list of floats costs
about 10% of an ask + tell at ten params).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import is_
from typing import Any

import numpy as np

from tansaku.samplers._cmaes._core import CmaState
from tansaku.samplers._cmaes._lr_adapt import LrState
from tansaku.samplers._cmaes._restarts import RestartState

STATE_KEY_PREFIX = "tansaku.cmaes:state:"
TRIAL_KEY = "tansaku.cmaes:trial"
_VERSION = 1


@dataclass(frozen=True)
class Run:
    """Everything one generation of a study's CMA-ES run needs, as stored."""

    generation: int  # counts every generation of the study, across restarts and new spaces
    space: str  # the signature of the unit box the run searches (``UnitBox.signature``)
    popsize: int
    cma: CmaState
    restart: RestartState
    lr: LrState | None


def trial_tag(generation: int, x: list[float]) -> str:
    """The tag of a trial drawn in ``generation`` at ``x``."""
    return f"{generation}:{','.join(map(repr, x))}"


def parse_tag(tag: str) -> tuple[int, list[float]] | None:
    """The generation and point of a tag, or None when it is not one."""
    generation, _, point = tag.partition(":")
    try:
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
        run = decode(system_attrs[state_key(generation)])
        if run is not None:
            return run
    return None


class Texts:
    """The text of two arrays a worker's run stores, kept from one generation to the next:
    ``scale`` (the same array all through a run) and the best values' history (shifted by one
    value per generation). Formatting a float exactly costs ~1 us, and these are ~50 of the
    ~135 floats a generation of ten params stores. Reuse goes by identity of the arrays and
    floats, never by equality (``0.0 == -0.0``), so the text is always that of the numbers."""

    def __init__(self) -> None:
        self._scale: np.ndarray | None = None
        self._scale_text = ""
        self._history: tuple[float, ...] = ()
        self._history_text = ""

    def scale(self, scale: np.ndarray) -> str:
        if scale is not self._scale:
            self._scale, self._scale_text = scale, _floats(scale)
        return self._scale_text

    def history(self, history: tuple[float, ...]) -> str:
        previous, kept = self._history, len(history) - 1
        dropped = len(previous) - kept
        if kept < 0 or dropped < 0 or not all(map(is_, history[:kept], previous[dropped:])):
            text = ",".join(map(repr, history))  # not the last history shifted: all anew
        else:
            # Drop the first ``dropped`` values' texts, add the new value's.
            tail = "" if dropped == len(previous) else self._history_text
            if tail and dropped:
                tail = tail.split(",", dropped)[dropped]
            text = f"{tail},{history[-1]!r}" if tail else repr(history[-1])
        self._history, self._history_text = history, text
        return text


def encode(run: Run, texts: Texts | None = None) -> dict[str, Any]:
    """The stored form of ``run``; ``texts`` (the same one generation after generation)
    saves formatting again what the last generation stored alike."""
    texts = texts or Texts()
    cma = run.cma
    if cma.separable:
        cov = _floats(cma.cov)
    else:
        # The upper triangle row by row (``cov[np.triu_indices(n)]``, without building the
        # index arrays every generation).
        rows = cma.cov.tolist()
        cov = ",".join(map(repr, [value for i, row in enumerate(rows) for value in row[i:]]))
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
        "scale": texts.scale(cma.scale),
        "t": cma.t,
        "restart": [
            restart.n_restarts,
            restart.n_large,
            restart.evals_small,
            restart.evals_large,
            restart.small,
            restart.evals_run,
            texts.history(restart.best_history),
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
    """The run ``stored`` holds, or None when it is not a state this version wrote."""
    if not isinstance(stored, dict) or stored.get("v") != _VERSION:
        return None
    try:
        mean = _array(stored["mean"])
        n = mean.size
        if stored["separable"]:
            cov = _array(stored["cov"])
        else:
            cov = np.zeros((n, n))
            cov[np.triu_indices(n)] = _array(stored["cov"])
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
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def _floats(values: np.ndarray) -> str:
    """An array as one string of exact float reprs: a storage checks and copies one string
    at once, where a list costs a step per number (the state is written every generation)."""
    return ",".join(map(repr, values.tolist()))


def _array(text: str) -> np.ndarray:
    return np.array([float(value) for value in text.split(",")] if text else [], dtype=float)
