"""CmaEsSampler in one process: params, restarts, warm start, stored state, bad input."""

from __future__ import annotations

import base64
import json
import math
import os
import pickle
import random
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tansaku
from tansaku.distributions import FloatDistribution, IntDistribution
from tansaku.samplers import CmaEsSampler
from tansaku.samplers._cmaes import _codec
from tansaku.samplers._cmaes._core import gauss_deviates
from tansaku.samplers._cmaes._space import UnitBox
from tansaku.trial import Trial
from tests._hypothesis import examples

tansaku.logging.set_verbosity(tansaku.logging.WARNING)


def _quiet(**kwargs: Any) -> CmaEsSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CmaEsSampler(**kwargs)


def _states(study: tansaku.Study) -> dict[int, _codec.Run]:
    attrs = study._storage.get_study_system_attrs(study._study_id)
    runs = {}
    for key, value in attrs.items():
        if key.startswith(_codec.STATE_KEY_PREFIX):
            run = _codec.decode(value)
            assert run is not None
            runs[run.generation] = run
    return runs


def _mixed(trial: Trial) -> float:
    a = trial.suggest_float("log", 1e-4, 1.0, log=True)
    b = trial.suggest_int("int", -3, 3)
    c = trial.suggest_int("int_step", 0, 12, step=3)
    d = trial.suggest_int("int_log", 1, 64, log=True)
    e = trial.suggest_float("step", 0.0, 1.0, step=0.25)
    f = trial.suggest_categorical("cat", ["x", "y"])
    return math.log(a) ** 2 + (b - 2) ** 2 + (c - 6) ** 2 + math.log(d) + e + (f == "y")


@pytest.mark.parametrize("with_margin", [False, True])
def test_params_stay_inside_every_kind_of_distribution(with_margin: bool) -> None:
    sampler = _quiet(seed=1, popsize=4, with_margin=with_margin, warn_independent_sampling=False)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_mixed, n_trials=60)
    for trial in study.trials:
        for name, value in trial.params.items():
            assert trial.distributions[name]._contains(
                trial.distributions[name].to_internal_repr(value)
            ), (name, value)
    # CMA-ES drew the numeric params of the later trials; the categorical came from the
    # independent sampler.
    assert _codec.TRIAL_KEY in study.trials[-1].system_attrs
    assert len(_states(study)) > 5


def test_minimizes_and_maximizes_a_sphere() -> None:
    for direction, sign in (("minimize", 1.0), ("maximize", -1.0)):
        study = tansaku.create_study(direction=direction, sampler=CmaEsSampler(seed=0))
        study.optimize(
            lambda t, sign=sign: (
                sign * sum((t.suggest_float(f"x{i}", -5, 5) - 1) ** 2 for i in range(3))
            ),
            n_trials=200,
        )
        assert abs(study.best_value) < 1e-3


def test_flat_objective_restarts_with_a_doubled_population_under_ipop() -> None:
    study = tansaku.create_study(sampler=CmaEsSampler(seed=0, restart_strategy="ipop"))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0 + t.suggest_float("y", 0, 1) * 0, 60)
    popsizes = [run.popsize for _, run in sorted(_states(study).items())]
    # n = 2: 4 + floor(3 ln 2) = 6, then x2 at each restart (a flat generation stagnates).
    assert popsizes[:3] == [6, 12, 24]
    assert [run.restart.n_restarts for _, run in sorted(_states(study).items())][:3] == [0, 1, 2]


def test_inc_popsize_sets_the_growth_factor_and_no_strategy_never_restarts() -> None:
    study = tansaku.create_study(
        sampler=CmaEsSampler(seed=0, restart_strategy="ipop", inc_popsize=3, popsize=4)
    )
    study.optimize(lambda t: t.suggest_float("x", 0, 1) * 0, 40)
    assert [run.popsize for _, run in sorted(_states(study).items())][:3] == [4, 12, 36]
    plain = tansaku.create_study(sampler=CmaEsSampler(seed=0, popsize=4))
    plain.optimize(lambda t: t.suggest_float("x", 0, 1) * 0, 40)
    assert {run.popsize for run in _states(plain).values()} == {4}


def test_bipop_alternates_small_runs_with_growing_large_ones() -> None:
    study = tansaku.create_study(sampler=CmaEsSampler(seed=0, restart_strategy="bipop", popsize=4))
    study.optimize(lambda t: t.suggest_int("k", 0, 3) * 0 + t.suggest_int("j", 0, 3) * 0, 150)
    runs = [run for _, run in sorted(_states(study).items())]
    starts = [run for run in runs if run.cma.t == 0][1:]  # the first generation of each restart
    assert starts[0].popsize == 8 and not starts[0].restart.small
    assert any(run.restart.small and run.popsize <= 8 for run in starts)
    assert max(run.popsize for run in starts) >= 16
    for run in starts:  # a small run only while the small budget is behind the large one
        if run.restart.small:
            assert run.restart.evals_small < run.restart.evals_large


def _rastrigin(trial: Trial, dim: int = 3) -> float:
    xs = [trial.suggest_float(f"x{i}", -5, 5) for i in range(dim)]
    return 10 * dim + sum(x * x - 10 * math.cos(2 * math.pi * x) for x in xs)


def _run_starts(study: tansaku.Study) -> list[_codec.Run]:
    """The first generation of each run of the study, in order."""
    return [run for _, run in sorted(_states(study).items()) if run.cma.t == 0]


def test_ipop_restarts_a_run_converged_to_a_local_optimum_within_the_budget() -> None:
    study = tansaku.create_study(sampler=CmaEsSampler(seed=0, restart_strategy="ipop"))
    study.optimize(_rastrigin, 1000)
    starts = _run_starts(study)
    assert len(starts) >= 2, "the converged first run never restarted"
    first, second = starts[0], starts[1]
    assert second.popsize == 2 * first.popsize  # n = 3: 7, then 14
    assert second.restart.n_restarts == 1 and not second.restart.small
    # A new distribution: the mean is drawn anew and the step size is back at its start.
    assert not np.allclose(second.cma.mean, first.cma.mean)
    assert second.cma.sigma == first.cma.sigma
    # The first run had converged: its last state is far narrower than the fresh one.
    last = _states(study)[second.generation - 1]
    assert last.cma.t > 0 and last.cma.sigma < 1e-3 * first.cma.sigma


def test_bipop_follows_a_large_restart_with_small_runs() -> None:
    study = tansaku.create_study(sampler=CmaEsSampler(seed=0, restart_strategy="bipop"))
    study.optimize(_rastrigin, 2000)
    starts = _run_starts(study)
    assert len(starts) >= 3
    assert starts[1].popsize == 2 * starts[0].popsize and not starts[1].restart.small
    # The first restart fits in 1000 trials, so it serves an HPO budget.
    assert starts[1].generation * starts[0].popsize < 1000
    assert starts[2].restart.small and starts[2].popsize <= starts[1].popsize
    assert starts[2].restart.evals_small < starts[2].restart.evals_large


def test_a_sphere_still_improving_at_300_trials_does_not_restart() -> None:
    for strategy in ("ipop", "bipop"):
        study = tansaku.create_study(sampler=CmaEsSampler(seed=0, restart_strategy=strategy))
        study.optimize(lambda t: sum(t.suggest_float(f"x{i}", -5, 5) ** 2 for i in range(5)), 300)
        assert len(_run_starts(study)) == 1
        assert {run.popsize for run in _states(study).values()} == {8}
        assert study.best_value < 1e-2


def test_restart_strategy_and_inc_popsize_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CmaEsSampler(restart_strategy="bipop", inc_popsize=3)


@pytest.mark.parametrize("name, value", [("x0", {"x": 0.5}), ("sigma0", 0.1)])
def test_x0_and_sigma0_warn_future_warning_and_are_used(name: str, value: Any) -> None:
    with pytest.warns(FutureWarning, match=name):
        sampler = CmaEsSampler(seed=0, n_startup_trials=0, **{name: value})
    study = tansaku.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 10) + t.suggest_float("y", 0, 10), 2)
    run = _states(study)[0]
    if name == "x0":
        assert run.cma.mean[0] == pytest.approx(0.05)
    else:
        assert run.cma.sigma * math.sqrt(run.cma.cov[0, 0]) == pytest.approx(0.01)


def test_warm_start_starts_near_the_source_optimum() -> None:
    source = tansaku.create_study(sampler=CmaEsSampler(seed=0))
    source.optimize(
        lambda t: (t.suggest_float("x", -5, 5) - 3) ** 2 + (t.suggest_float("y", -5, 5) + 2) ** 2,
        n_trials=100,
    )
    with pytest.warns(tansaku.exceptions.ExperimentalWarning):
        sampler = CmaEsSampler(seed=0, source_trials=source.trials, n_startup_trials=0)
    target = tansaku.create_study(sampler=sampler)
    target.optimize(lambda t: t.suggest_float("x", -5, 5) + t.suggest_float("y", -5, 5), 2)
    run = _states(target)[0]
    assert run.cma.mean == pytest.approx([0.8, 0.3], abs=0.02)  # (3, -2) in the unit box
    assert run.cma.sigma < 1 / 6


def test_every_stored_value_is_json_and_no_optuna_key_is_written() -> None:
    sampler = _quiet(seed=0, with_margin=True, restart_strategy="bipop", lr_adapt=False)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_mixed, n_trials=40)
    attrs = [study._storage.get_study_system_attrs(study._study_id)]
    attrs += [trial.system_attrs for trial in study.trials]
    for found in attrs:
        assert json.loads(json.dumps(found, allow_nan=True)) is not None
        for key in found:
            assert not key.startswith(("cma:", "sepcma:", "cmawm:")), key


class _Explodes:
    """Unpickling this creates a marker directory: the proof that something was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


def test_optuna_pickled_cma_attrs_are_ignored_and_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(_Explodes(marker)).hex()
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = tansaku.create_study(storage=storage, study_name="s")
    # What Optuna's CmaEsSampler leaves in a study: the pickled optimizer in chunks, and the
    # generation of each trial.
    study._storage.set_study_system_attr(study._study_id, "cma:optimizer:0", payload)
    study._storage.set_study_system_attr(study._study_id, "cma:n_restarts", 0)
    for _ in range(3):
        trial = study.ask()
        study._storage.set_trial_system_attr(trial._trial_id, "cma:generation", 0)
        study.tell(trial, trial.suggest_float("x", 0, 1) + trial.suggest_float("y", 0, 1))
    loaded = tansaku.load_study(study_name="s", storage=storage, sampler=CmaEsSampler(seed=0))
    loaded.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), 30)
    assert not marker.exists()
    assert len(_states(loaded)) > 2
    assert loaded._storage.get_study_system_attrs(loaded._study_id)["cma:optimizer:0"] == payload


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sigma0": 0.0}, "sigma0=0.0 must be > 0"),
        ({"sigma0": -1.0}, "sigma0=-1.0 must be > 0"),
        ({"sigma0": math.nan}, "sigma0=nan must be > 0"),
        ({"popsize": 1}, "popsize=1 must be >= 2"),
        ({"n_startup_trials": -1}, "n_startup_trials=-1 must be >= 0"),
        ({"restart_strategy": "foo"}, "restart_strategy='foo' must be None, 'ipop' or 'bipop'"),
        ({"inc_popsize": 0}, "inc_popsize=0 must be -1"),
        ({"x0": {"x": math.inf}}, "must be finite"),
        ({"use_separable_cma": True, "with_margin": True}, "cannot be combined"),
        ({"lr_adapt": True, "use_separable_cma": True}, "cannot be combined"),
        ({"source_trials": [], "sigma0": 1.0}, "cannot be combined"),
        ({"source_trials": [], "use_separable_cma": True}, "cannot be combined"),
    ],
)
def test_bad_arguments_raise_at_the_constructor(kwargs: dict[str, Any], match: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            CmaEsSampler(**kwargs)


@pytest.mark.parametrize(
    "x0, match",
    [
        ({"x": 0.5, "z": 1.0}, r"\['z'\] are not among them"),
        ({"x": 2.0}, r"x0\['x'\]=2.0 must lie in \[0.0, 1.0\]"),
    ],
)
def test_bad_x0_fails_the_first_cma_trial_and_keeps_what_is_stored(
    x0: dict[str, float], match: str
) -> None:
    study = tansaku.create_study(sampler=_quiet(x0=x0, seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), 1)
    with pytest.raises(ValueError, match=match):
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), 1)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL"]
    assert study.trials[0].value is not None


def test_categorical_only_space_warns_once_and_samples_independently() -> None:
    study = tansaku.create_study(sampler=CmaEsSampler(seed=0))
    with pytest.warns(UserWarning, match="no float or int param") as caught:
        study.optimize(lambda t: float(t.suggest_categorical("c", ["a", "b"]) == "a"), 10)
    assert len([w for w in caught if "no float or int param" in str(w.message)]) == 1
    assert {t.state.name for t in study.trials} == {"COMPLETE"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = tansaku.create_study(sampler=CmaEsSampler(warn_independent_sampling=False))
        quiet.optimize(lambda t: float(t.suggest_categorical("c", ["a", "b"]) == "a"), 5)


def test_multi_objective_is_refused_naming_it() -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=CmaEsSampler())
    with pytest.raises(ValueError, match="multi-objective"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), 1)


def test_single_value_ranges_are_not_modelled() -> None:
    space = {"x": FloatDistribution(0, 1), "k": IntDistribution(2, 2)}
    study = tansaku.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 2, 2), 5)
    relative = study.sampler.infer_relative_search_space(study, study.trials[-1])
    assert relative == {"x": space["x"]}


def test_same_seed_same_points_and_codec_round_trips_exactly() -> None:
    def run() -> tuple[list[dict[str, Any]], tansaku.Study]:
        study = tansaku.create_study(sampler=_quiet(seed=3, lr_adapt=True))
        study.optimize(lambda t: sum(t.suggest_float(f"x{i}", -2, 2) ** 2 for i in range(3)), 40)
        return [t.params for t in study.trials], study

    first, study = run()
    assert run()[0] == first
    for stored in _states(study).values():
        again = _codec.decode(_codec.encode(stored))
        assert again is not None
        assert np.array_equal(again.cma.cov, stored.cma.cov) and again == again


def test_plain_float_decoding_matches_the_array_path_bit_for_bit() -> None:
    # decode() takes a scalar shortcut for plain float spaces; it must agree with values()
    # to the bit, also on the box's edges, -0.0, NaN and infinities.
    box = UnitBox(
        {
            "a": FloatDistribution(-5, 5),
            "b": FloatDistribution(0.0, 1e-3),
            "c": FloatDistribution(-1.0, 0.0),
        }
    )
    specials = [0.0, -0.0, 1.0, -1e-300, 1 + 1e-16, math.nan, math.inf, -math.inf, 0.5]
    rng = np.random.default_rng(0)
    for _ in range(500):
        x = rng.uniform(-0.2, 1.2, 3)
        for i in range(3):
            if rng.random() < 0.3:
                x[i] = specials[rng.integers(len(specials))]
        decoded = list(box.decode(x).values())
        expected = box.values(x).tolist()
        assert [struct.pack("<d", v) for v in decoded] == [struct.pack("<d", v) for v in expected]


def test_mixed_space_decoding_matches_the_array_path_bit_for_bit() -> None:
    # decode() runs values() step by step in Python floats for log, stepped and int params.
    box = UnitBox(
        {
            "a": FloatDistribution(1e-5, 1e-1, log=True),
            "b": FloatDistribution(0.0, 0.3, step=0.01),
            "c": FloatDistribution(0.5, 2.0, step=0.25),
            "d": IntDistribution(16, 1024, log=True),
            "e": IntDistribution(16, 256, step=16),
            "f": FloatDistribution(-1.0, 0.0),
        }
    )
    floats = [0, 1, 2, 5]
    specials = [0.0, -0.0, 1.0, -1e-300, 1 + 1e-16, math.inf, -math.inf, 0.5, 0.03125]
    rng = np.random.default_rng(0)
    for _ in range(2000):
        x = rng.uniform(-0.2, 1.2, 6)
        for i in range(6):
            if rng.random() < 0.3:
                x[i] = specials[rng.integers(len(specials))]
            if i in floats and rng.random() < 0.05:
                x[i] = math.nan
        decoded = list(box.decode(x).values())
        expected = box.values(x).tolist()
        for i in range(6):
            if i in floats:
                assert struct.pack("<d", decoded[i]) == struct.pack("<d", expected[i])
            else:
                assert type(decoded[i]) is int and decoded[i] == int(round(expected[i]))


@pytest.mark.parametrize(
    ("distribution", "grid"),
    [
        (IntDistribution(16, 256, step=16), [16 + 16 * k for k in range(16)]),
        (IntDistribution(-7, 8, step=3), [-7 + 3 * k for k in range(6)]),
        (FloatDistribution(0.5, 2.0, step=0.25), [0.5 + 0.25 * k for k in range(7)]),
    ],
)
def test_every_value_of_a_grid_not_starting_at_zero_decodes_to_itself(
    distribution: IntDistribution | FloatDistribution, grid: list[float]
) -> None:
    box = UnitBox({"p": distribution, "z": FloatDistribution(0, 1)})
    for value in grid:
        x = box.encode({"p": value, "z": 0.5})
        assert box.decode(x)["p"] == pytest.approx(value, abs=1e-12)
        assert box.values(x)[0] == pytest.approx(value, abs=1e-12)


def test_a_stepped_int_not_starting_at_zero_is_searched_over_its_range() -> None:
    study = tansaku.create_study(sampler=_quiet(seed=0, warn_independent_sampling=False))
    study.optimize(lambda t: (t.suggest_int("batch", 16, 256, step=16) - 64) ** 2, 60)
    values = [t.params["batch"] for t in study.trials[1:]]
    assert len(set(values)) >= 5
    assert study.best_value < (128 - 64) ** 2


def test_stored_covariance_is_its_upper_triangle_row_by_row() -> None:
    study = tansaku.create_study(sampler=_quiet(seed=1))
    study.optimize(lambda t: sum(t.suggest_float(f"x{i}", -2, 2) ** 2 for i in range(4)), 30)
    for run in _states(study).values():
        cov = run.cma.cov
        expected = cov[np.triu_indices(cov.shape[0])]
        stored = np.frombuffer(base64.b64decode(_codec.encode(run)["cov"]), dtype="<f8")
        assert stored.tobytes() == expected.astype("<f8").tobytes()


def _version_1(run: _codec.Run) -> dict[str, Any]:
    """``run`` as version 1 of the codec stored it: floats as comma-separated reprs."""

    def text(values: Any) -> str:
        return ",".join(map(repr, np.asarray(values, dtype=float).ravel().tolist()))

    stored = _codec.encode(run)
    cma = run.cma
    cov = cma.cov if cma.separable else cma.cov[np.triu_indices(cma.cov.shape[0])]
    stored.update(
        v=1,
        mean=text(cma.mean),
        cov=text(cov),
        p_sigma=text(cma.p_sigma),
        p_c=text(cma.p_c),
        scale=text(cma.scale),
    )
    stored["restart"][6] = text(run.restart.best_history)
    if run.lr is not None:
        stored["lr"][2], stored["lr"][4] = text(run.lr.e_mean), text(run.lr.e_cov)
    return stored


@pytest.mark.parametrize("kwargs", [{}, {"lr_adapt": True}, {"use_separable_cma": True}])
def test_states_and_tags_of_codec_version_1_are_read_bit_for_bit(kwargs: dict[str, Any]) -> None:
    study = tansaku.create_study(sampler=_quiet(seed=2, **kwargs))
    study.optimize(lambda t: sum(t.suggest_float(f"x{i}", -2, 2) ** 2 for i in range(3)), 30)
    for run in _states(study).values():
        again = _codec.decode(json.loads(json.dumps(_version_1(run))))
        assert again is not None
        assert _codec.encode(again) == _codec.encode(run)
    for trial in study.trials[1:]:
        generation, x = _codec.parse_tag(trial.system_attrs[_codec.TRIAL_KEY])
        old_tag = f"{generation}:{','.join(map(repr, x))}"
        assert _codec.parse_tag(old_tag) == (generation, x)
        assert [struct.pack("<d", v) for v in x] == [
            struct.pack("<d", v) for v in _codec.parse_tag(old_tag)[1]
        ]


def test_a_study_stored_by_codec_version_1_continues_its_run() -> None:
    sampler = _quiet(seed=4)
    study = tansaku.create_study(sampler=sampler)

    def objective(trial: Trial) -> float:
        return sum(trial.suggest_float(f"x{i}", -2, 2) ** 2 for i in range(3))

    study.optimize(objective, 30)
    storage, study_id = study._storage, study._study_id
    # Rewrite every state and tag in the version 1 form, then let a fresh sampler go on.
    newest = max(_states(study))
    for generation, run in _states(study).items():
        storage.set_study_system_attr(study_id, _codec.state_key(generation), _version_1(run))
    resumed = tansaku.load_study(
        study_name=study.study_name, storage=storage, sampler=_quiet(seed=4)
    )
    resumed.optimize(objective, 12)
    assert min(_states(resumed)) == 0 and max(_states(resumed)) > newest
    assert _states(resumed)[newest + 1].cma.t > 1  # continued, not started over


@settings(max_examples=examples(200), deadline=None)
@given(
    seed=st.integers(0, 2**80),
    sizes=st.lists(st.integers(1, 13), min_size=1, max_size=4),
)
def test_gauss_deviates_are_those_of_random_gauss_bit_for_bit(seed: int, sizes: list[int]) -> None:
    # Several extensions of one list, as a draw that falls outside the box asks for more (an
    # odd size leaves the pair's sine deviate for the next draw, as gauss keeps it).
    reference = random.Random(seed)
    rng = random.Random(seed)
    deviates: list[float] = []
    total = 0
    for size in sizes:
        total += size
        gauss_deviates(rng, deviates, total)
        assert total <= len(deviates) <= total + 1
    expected = [reference.gauss(0.0, 1.0) for _ in range(total)]
    assert [struct.pack("<d", v) for v in deviates[:total]] == [
        struct.pack("<d", v) for v in expected
    ]
