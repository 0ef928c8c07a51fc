"""GPSampler's CPU cost per trial against n, by phase, and what its caches save.

One study with ``GPSampler(seed=0)`` runs on the overhead suite's ten floats (``float10``) up
to the largest size. At each size n (the trial after n completed ones) it reports the CPU ms
(``time.process_time``, one BLAS thread) of the sampler's own ask + tell, split into phases by
making the calls the sampler makes (``samplers/_gp/_sampler.py``, ``_acquire.py``) on the
same history, with the same warm start and the same random stream:

- fit: the MAP fit of the hyperparameters (``fit_gp`` minus its final posterior setup);
- posterior setup: the Gram matrix, its Cholesky factor, ``K^-1`` and ``alpha``
  (``GaussianProcess(...)``, what every acquisition evaluation then reuses);
- acquisition: the log-EI search (``maximize``: Sobol candidates, then L-BFGS-B);
- rest: ask + tell minus the three (history read, search space, encoding, tell, storage).

The replica's point is checked to be the one the sampler chose. Then the ablations: the fit
warm-started from the fit at n - 1 (as the sampler does; at most
``_MAX_WARM_FIT_ITERATIONS`` steps) against a cold fit from the prior's mode and a warm fit
without the step cap (CPU, iterations, evaluations, log posterior reached); the other caches
(the incremental intersection search space against a fresh one, the grown Cholesky of
``condition_on`` against a new factorization, the cached ``K^-1`` against a triangular solve
per posterior evaluation, the cached BLAS thread controller against a new one); and one
Cholesky of the n x n Gram matrix alone, the O(n^3) part::

    PYTHONPATH=$PWD .venv-bench/bin/python -m benchmarks.gp_cost --out benchmarks/results/gp

Writes ``cost_curve.md`` (tables and their reading) and ``cost_curve.json`` (every number).
"""

# ruff: noqa: E402 (the thread limits are set before numpy is imported)
from __future__ import annotations

import os

from benchmarks._runner import THREAD_ENV

# One BLAS thread, set before numpy loads (as the benchmark workers run): CPU time then measures
# work, not threads spinning on a busy machine.
for _name in THREAD_ENV:
    os.environ.setdefault(_name, "1")

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import scipy
import scipy.linalg
import scipy.optimize
import threadpoolctl

import tansaku
from benchmarks import _results
from benchmarks.suites._spaces import float10
from tansaku._gp import (
    GaussianProcess,
    GPParams,
    GPSpace,
    ModelAcquisition,
    _model,
    combine,
    fit_gp,
    log_ei,
    maximize,
    power_warp,
    standardize,
)
from tansaku._gp._optimize import N_CANDIDATES
from tansaku._gp._threads import single_threaded_blas
from tansaku.samplers._gp._acquire import _N_OBSERVED_STARTS
from tansaku.samplers._gp._observations import Observations, collect
from tansaku.search_space import IntersectionSearchSpace
from tansaku.trial import TrialState

SUITE = "cost_curve"
SIZES = (50, 100, 200, 300, 500, 750, 1000)
SEED = 0
REPEATS = 3
# Running trials conditioned on in the grown-Cholesky ablation (parallel workers' trials).
N_RUNNING = 4
# Batches of the posterior ablation: the candidate scoring, and one L-BFGS-B step's starts.
POSTERIOR_BATCHES = (N_CANDIDATES, 10)
_STATES = (TrialState.COMPLETE, TrialState.RUNNING)

Timed = tuple[Any, float]


def cpu_ms(call: Callable[[], Any], repeats: int = 1) -> Timed:
    """The result of ``call`` and the median CPU ms of ``repeats`` calls."""
    times, result = [], None
    for _ in range(repeats):
        start = time.process_time()
        result = call()
        times.append(1000.0 * (time.process_time() - start))
    return result, statistics.median(times)


def _fit_trace(call: Callable[[], GaussianProcess]) -> dict[str, Any]:
    """Run a fit once, untimed, and report what its L-BFGS-B did (iterations, evaluations,
    log posterior reached)."""
    results: list[Any] = []
    minimize = scipy.optimize.minimize

    def recording(*args: Any, **kwargs: Any) -> Any:
        result = minimize(*args, **kwargs)
        results.append(result)
        return result

    with mock.patch.object(scipy.optimize, "minimize", recording):
        call()
    (result,) = results
    return {
        "iterations": int(result.nit),
        "evaluations": int(result.nfev),
        "log_posterior": float(-result.fun),
        "converged": bool(result.success),
    }


def _read(study: Any, trial: Any, space_now: IntersectionSearchSpace) -> Observations:
    """What the sampler reads before modelling: the history, the space, the encoded rows."""
    trials = study._get_trials(deepcopy=False, states=_STATES, use_cache=True)
    space = GPSpace({k: d for k, d in space_now.calculate(study).items() if not d.single()})
    return collect(study, trial, space, trials, False)


def _posterior_by_solve(model: GaussianProcess, queries: np.ndarray) -> tuple[Any, Any]:
    """The posterior without the cached ``K^-1``: a triangular solve with the factor per call."""
    cross = model.kernel(queries, model.x)  # (k, n)
    solved = scipy.linalg.solve_triangular(model.cholesky, cross.T, lower=True, check_finite=False)
    return cross @ model.alpha, model.params.kernel_scale - (solved * solved).sum(0)


def _counting(function: Callable[[np.ndarray], Any], counts: dict[str, int], key: str) -> Any:
    def counted(rows: np.ndarray) -> Any:
        counts[f"{key}_calls"] += 1
        counts[f"{key}_rows"] += len(rows)
        return function(rows)

    return counted


def measure(
    study: Any, warm: GPParams | None, incremental: IntersectionSearchSpace, repeats: int
) -> dict[str, Any]:
    """Phases and ablations of the next trial's sampling, on the study's history at n."""
    history = study.get_trials(deepcopy=False)
    n, trial = len(history), history[-1]  # no trial is running: any one serves ``collect``
    out: dict[str, Any] = {"n": n}
    fresh = IntersectionSearchSpace()
    _, out["search_space_incremental_ms"] = cpu_ms(lambda: incremental.calculate(study))
    _, out["search_space_fresh_ms"] = cpu_ms(lambda: fresh.calculate(study))
    observed, out["read_ms"] = cpu_ms(lambda: _read(study, trial, incremental), repeats)
    space = GPSpace({k: d for k, d in incremental.calculate(study).items() if not d.single()})
    rows, y = observed.rows, standardize(power_warp(observed.losses[:, 0])).y
    categorical = space.categorical

    def fit(start: GPParams | None) -> GaussianProcess:
        return fit_gp(rows, y, categorical, deterministic=False, warm_start=start)

    model, fit_total = cpu_ms(lambda: fit(warm), repeats)
    _, out["setup_ms"] = cpu_ms(
        lambda: GaussianProcess(rows, y, categorical, model.params), repeats
    )
    out["fit_ms"] = fit_total - out["setup_ms"]

    acquisition = ModelAcquisition(
        [model], combine([(partial(log_ei, best=float(y.min())), slice(0, 1))])
    )
    starts = rows[np.argsort(y, kind="stable")[:_N_OBSERVED_STARTS]]

    def search(values: Any = acquisition, with_gradient: Any = acquisition.with_gradient) -> Any:
        rng = np.random.default_rng([SEED, n])  # the sampler's stream for trial number n
        with single_threaded_blas():
            return maximize(
                values, with_gradient, space, rng, observed=starts, n_candidates=N_CANDIDATES
            )

    row, out["acquisition_ms"] = cpu_ms(search, repeats)
    counts = dict.fromkeys(("value_calls", "value_rows", "gradient_calls", "gradient_rows"), 0)
    search(
        _counting(acquisition, counts, "value"),
        _counting(acquisition.with_gradient, counts, "gradient"),
    )
    out["acquisition_evaluations"] = counts
    out["replica_params"] = space.decode(row)

    # The O(n^3) parts alone: the factor of the Gram matrix, and the inverse from it.
    gram = model.kernel(rows, rows)
    gram[np.diag_indices_from(gram)] += model.params.noise
    _, out["cholesky_ms"] = cpu_ms(
        lambda: scipy.linalg.cholesky(gram, lower=True, check_finite=False), repeats
    )
    _, out["inverse_ms"] = cpu_ms(
        lambda: scipy.linalg.lapack.dpotri(model.cholesky, lower=True), repeats
    )

    # The warm start against a cold fit from the prior's mode, and against no step cap.
    out["fit_warm"] = {"ms": fit_total, **_fit_trace(lambda: fit(warm))}
    cold_model, cold_ms = cpu_ms(lambda: fit(None), repeats)
    out["fit_cold"] = {"ms": cold_ms, **_fit_trace(lambda: fit(None))}
    with mock.patch.object(_model, "_MAX_WARM_FIT_ITERATIONS", _model._MAX_FIT_ITERATIONS):
        _, uncapped_ms = cpu_ms(lambda: fit(warm), repeats)
        out["fit_warm_uncapped"] = {"ms": uncapped_ms, **_fit_trace(lambda: fit(warm))}

    # Running trials: the grown factor (O(n^2 r)) against a new one of n + r rows (O(n^3)).
    running = np.random.default_rng(n).random((N_RUNNING, space.n_columns))
    believed = model.posterior(running)[0]
    grown, out["condition_on_ms"] = cpu_ms(lambda: model.condition_on(running, believed), repeats)
    stacked_x, stacked_y = np.vstack([rows, running]), np.concatenate([y, believed])
    refit, out["refactor_ms"] = cpu_ms(
        lambda: GaussianProcess(stacked_x, stacked_y, categorical, model.params), repeats
    )
    probe = np.random.default_rng(n + 1).random((64, space.n_columns))
    out["condition_on_max_mean_gap"] = float(
        np.max(np.abs(grown.posterior(probe)[0] - refit.posterior(probe)[0]))
    )

    # The cached K^-1 against a triangular solve with the factor, per posterior evaluation.
    out["posterior"] = {}
    for k in POSTERIOR_BATCHES:
        queries = np.random.default_rng(k).random((k, space.n_columns))
        _, cached = cpu_ms(lambda q=queries: model.posterior(q), repeats)
        _, solved = cpu_ms(lambda q=queries: _posterior_by_solve(model, q), repeats)
        out["posterior"][str(k)] = {"k_inv_ms": cached, "solve_ms": solved}

    # The BLAS thread limit: the controller made once (as the sampler keeps it) against a new one.
    def limit_with_new_controller() -> None:
        with threadpoolctl.ThreadpoolController().limit(limits=1, user_api="blas"):
            pass

    def limit_with_kept_controller() -> None:
        with single_threaded_blas():
            pass

    _, out["blas_limit_kept_ms"] = cpu_ms(limit_with_kept_controller, repeats)
    _, out["blas_limit_new_ms"] = cpu_ms(limit_with_new_controller, repeats)
    del cold_model
    return out


def run(sizes: list[int], repeats: int) -> list[dict[str, Any]]:
    """Grow one study to the largest size; measure at each size on the way."""
    sampler = tansaku.samplers.GPSampler(seed=SEED)
    study = tansaku.create_study(sampler=sampler)
    incremental = IntersectionSearchSpace()  # folded before every trial, as the sampler's is
    records = []
    for n in range(max(sizes) + 1):
        record = None
        if n not in sizes:
            incremental.calculate(study)
        else:
            # The sampler's warm start for this trial: the fit it kept from trial n - 1.
            acquirers = list(sampler._acquirers.values())
            warm = acquirers[0]._last_fits.get(("objective", 0)) if acquirers else None
            record = measure(study, warm, incremental, repeats)
        # The params are sampled at the objective's first suggest: ask and objective together.
        start = time.process_time()
        trial = study.ask()
        value = float10(trial, 1)
        asked = time.process_time()
        study.tell(trial, value)
        told = time.process_time()
        if record is not None:
            record["ask_ms"] = 1000.0 * (asked - start)
            record["tell_ms"] = 1000.0 * (told - asked)
            record["ask_tell_ms"] = record["ask_ms"] + record["tell_ms"]
            record["rest_ms"] = record["ask_tell_ms"] - sum(
                record[key] for key in ("fit_ms", "setup_ms", "acquisition_ms")
            )
            record["replica_matches"] = all(
                np.isclose(trial.params[k], v, rtol=1e-9, atol=1e-12)
                for k, v in record.pop("replica_params").items()
            )
            records.append(record)
            print(f"n={n}: ask+tell {record['ask_tell_ms']:.1f} ms", file=sys.stderr, flush=True)
    return records


def _f(value: float) -> str:
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _trace(fit: dict[str, Any]) -> str:
    return f"{_f(fit['ms'])} ({fit['iterations']} / {fit['evaluations']})"


def render(doc: dict[str, Any]) -> str:
    records = doc["runs"]
    before, after = doc["load_average"]["start"], doc["load_average"]["end"]
    lines = [
        "## GPSampler: CPU ms of one trial against n, by phase",
        "",
        f"One study, `GPSampler(seed={SEED})` on ten floats (`float10`), {doc['created']}, "
        f"{doc['env']['cpu_count']} CPUs, Python {doc['env']['python']}, numpy "
        f"{doc['env']['numpy']}, scipy {doc['env']['scipy']}, one BLAS thread. CPU ms "
        "(`time.process_time`) of the trial after n completed ones; the phases are the "
        "sampler's own calls replayed on that history (median of "
        f"{doc['config']['repeats']}), and ask + tell is the sampler's real trial (one "
        "measurement). Load average (1, 5, 15 min): "
        + ", ".join(f"{v:.2f}" for v in before)
        + " at the start, "
        + ", ".join(f"{v:.2f}" for v in after)
        + " at the end.",
        "",
        "| n | ask + tell | fit | posterior setup | acquisition | rest (residual) | read "
        "| tell | one Cholesky | one inverse |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        lines.append(
            f"| {r['n']} | {_f(r['ask_tell_ms'])} | {_f(r['fit_ms'])} | {_f(r['setup_ms'])} "
            f"| {_f(r['acquisition_ms'])} | {_f(r['rest_ms'])} | {_f(r['read_ms'])} "
            f"| {_f(r['tell_ms'])} | {_f(r['cholesky_ms'])} | {_f(r['inverse_ms'])} |"
        )
    lines += [
        "",
        "Fit: `fit_gp` minus the posterior setup it ends with. Posterior setup: Gram matrix, "
        "Cholesky factor, `K^-1` (LAPACK potri) and `alpha`. Rest: ask + tell minus the three, "
        "so it also carries the difference between one real trial and the medians of the "
        "replayed phases (the machine's timing noise; it can be negative); read (history, "
        "search space, encoding) and tell, measured on their own, are its real content. "
        "Replica's point equal to the sampler's at every n: "
        + ("yes." if all(r["replica_matches"] for r in records) else "**no**."),
        "",
        "### The warm start of the fit",
        "",
        "CPU ms (L-BFGS-B iterations / log-posterior evaluations, each one Cholesky and one "
        "inverse of n x n). Warm: from the fit at n - 1, at most "
        f"{doc['config']['max_warm_fit_iterations']} iterations (the sampler's fit); uncapped: "
        f"the same start, up to {doc['config']['max_fit_iterations']}; cold: from the prior's "
        "mode, up to the same. Log posterior reached, relative to the cold fit's.",
        "",
        "| n | warm | warm uncapped | cold | warm - cold log post. | uncapped - cold log post. |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        warm, uncapped, cold = r["fit_warm"], r["fit_warm_uncapped"], r["fit_cold"]
        lines.append(
            f"| {r['n']} | {_trace(warm)} | {_trace(uncapped)} | {_trace(cold)} "
            f"| {warm['log_posterior'] - cold['log_posterior']:+.3f} "
            f"| {uncapped['log_posterior'] - cold['log_posterior']:+.3f} |"
        )
    big, small = POSTERIOR_BATCHES
    lines += [
        "",
        "### The other caches",
        "",
        "Search space: the sampler's intersection search space, folded one trial at a time, "
        f"against one folded from scratch. Running trials: {N_RUNNING} pseudo-observations "
        "added by the grown factor (`condition_on`, O(n^2 r)) against a new GP of n + "
        f"{N_RUNNING} rows (O(n^3)); they agree to the max gap shown. Posterior of {big} and "
        f"{small} rows (the candidate scoring, one L-BFGS-B step of the starts) with the cached "
        "`K^-1` against a triangular solve with the factor. BLAS limit: entering the one-thread "
        "limit with the kept controller against a new `ThreadpoolController`.",
        "",
        "| n | search space kept / fresh | running: grown / new factor (gap) "
        f"| posterior {big}: K^-1 / solve | posterior {small}: K^-1 / solve "
        "| BLAS limit kept / new | acquisition evaluations (rows) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in records:
        post, counts = r["posterior"], r["acquisition_evaluations"]
        lines.append(
            f"| {r['n']} | {_f(r['search_space_incremental_ms'])} / "
            f"{_f(r['search_space_fresh_ms'])} | {_f(r['condition_on_ms'])} / "
            f"{_f(r['refactor_ms'])} ({r['condition_on_max_mean_gap']:.1e}) "
            f"| {_f(post[str(big)]['k_inv_ms'])} / {_f(post[str(big)]['solve_ms'])} "
            f"| {_f(post[str(small)]['k_inv_ms'])} / {_f(post[str(small)]['solve_ms'])} "
            f"| {_f(r['blas_limit_kept_ms'])} / {_f(r['blas_limit_new_ms'])} "
            f"| {counts['value_calls'] + counts['gradient_calls']} "
            f"({counts['value_rows'] + counts['gradient_rows']}) |"
        )
    lines += ["", "### Reading", "", *reading(records)]
    return "\n".join(lines)


def reading(records: list[dict[str, Any]]) -> list[str]:
    """A few sentences drawn from the numbers: what dominates, what the caches save."""
    phases = {"fit": "fit_ms", "setup": "setup_ms", "acquisition": "acquisition_ms"}
    phases["rest"] = "rest_ms"

    def top(r: dict[str, Any]) -> str:
        name = max(phases, key=lambda p: r[phases[p]])
        return f"{name} ({100 * r[phases[name]] / r['ask_tell_ms']:.0f}% at n = {r['n']})"

    first, last = records[0], records[-1]
    saving = [f"{r['n']}: {r['fit_cold']['ms'] / r['fit_warm']['ms']:.1f}x" for r in records]
    gaps = [r["fit_warm"]["log_posterior"] - r["fit_cold"]["log_posterior"] for r in records]

    def cubic(r: dict[str, Any]) -> float:
        # Each log-posterior evaluation of the fit and the final setup factor and invert once.
        per = r["cholesky_ms"] + r["inverse_ms"]
        return (r["fit_warm"]["evaluations"] + 1) * per / r["ask_tell_ms"]

    big = str(POSTERIOR_BATCHES[0])
    scoring = last["posterior"][big]["k_inv_ms"] / last["acquisition_ms"]
    grown = ", ".join(f"{r['n']}: {r['refactor_ms'] / r['condition_on_ms']:.1f}x" for r in records)
    capped = [
        f"n = {r['n']}"
        for r in records
        if r["fit_warm_uncapped"]["iterations"] > r["fit_warm"]["iterations"]
    ]
    blas = statistics.median(r["blas_limit_new_ms"] - r["blas_limit_kept_ms"] for r in records)
    shares = ", ".join(f"{r['n']}: {100 * cubic(r):.0f}%" for r in records)
    chol = ", ".join(f"{r['n']}: {_f(r['cholesky_ms'])}" for r in records)
    return [
        f"- The largest phase goes from {top(first)} to {top(last)}.",
        "- The warm start makes the fit cheaper than a cold fit from the prior's mode by "
        + ", ".join(saving)
        + f" (cold / warm CPU); its log posterior is within {min(gaps):+.3f} to "
        f"{max(gaps):+.3f} of the cold fit's (positive: the warm fit is higher).",
        f"- One Cholesky of the Gram matrix costs (ms) {chol}. Counting one Cholesky and one "
        "inverse per log-posterior evaluation of the warm fit plus the final setup, the "
        f"O(n^3) work is about this share of the trial: {shares}.",
        f"- At n = {last['n']} one posterior of the {big} Sobol candidates is "
        f"{100 * scoring:.0f}% of the acquisition's CPU. A triangular solve per evaluation "
        "instead of the cached `K^-1` costs, for those rows (solve / K^-1), "
        + ", ".join(
            f"{r['n']}: {r['posterior'][big]['solve_ms'] / r['posterior'][big]['k_inv_ms']:.2f}x"
            for r in records
        )
        + ".",
        f"- The cap of {_model._MAX_WARM_FIT_ITERATIONS} warm iterations binds at "
        + (", ".join(capped) if capped else "no size")
        + "; elsewhere the warm fit stops on its tolerance, and without the cap it reaches "
        "the same log posterior.",
        "- With running trials, the grown factor beats a new factorization by "
        f"{grown} (new / grown); the kept BLAS controller saves {blas:.1f} ms per trial.",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gp_cost", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="directory for cost_curve.*")
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="comma-separated n, e.g. 10,20"
    )
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    sizes = sorted({int(size) for size in args.sizes.split(",")})
    if sizes[0] < 10:
        parser.error(f"--sizes must be >= 10 (GPSampler's startup trials); got {sizes[0]}")
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    warnings.simplefilter("ignore")
    config = {
        "sizes": sizes,
        "repeats": args.repeats,
        "seed": SEED,
        "space": "float10",
        "max_warm_fit_iterations": _model._MAX_WARM_FIT_ITERATIONS,
        "max_fit_iterations": _model._MAX_FIT_ITERATIONS,
        "n_candidates": N_CANDIDATES,
        "n_running": N_RUNNING,
    }
    doc = _results.new_document(SUITE, "custom", ["tansaku"], config)
    doc["env"].update(
        numpy=np.__version__,
        scipy=scipy.__version__,
        blas=[
            {key: info.get(key) for key in ("internal_api", "version", "num_threads")}
            for info in threadpoolctl.threadpool_info()
        ],
    )
    doc["load_average"] = {"start": list(os.getloadavg())}
    doc["runs"] = run(sizes, args.repeats)
    doc["load_average"]["end"] = list(os.getloadavg())
    markdown = render(doc)
    print(markdown)
    if args.out is not None:
        _results.write(doc, markdown, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
