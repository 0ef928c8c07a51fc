"""CFOSampler and BlendSearchSampler: low-cost start, step adaptation, cost, seeds, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tansaku
from tansaku.samplers import BlendSearchSampler, CFOSampler
from tansaku.samplers._cfo._blend import _by_priority
from tansaku.samplers._cfo._moves import TAG_KEY, trial_cost
from tansaku.samplers._cfo._threads import SHRINK, Move, Thread, initial_step, max_failures, replay
from tansaku.trial import TrialState

tansaku.logging.set_verbosity(tansaku.logging.WARNING)


def _objective(trial: tansaku.Trial) -> float:
    n = trial.suggest_int("n", 1, 1000, log=True)
    x = trial.suggest_float("x", -5.0, 5.0)
    trial.set_user_attr("cost", n)
    return (math.log(n) - 3.0) ** 2 + x**2


@pytest.mark.parametrize("sampler_class", [CFOSampler, BlendSearchSampler])
def test_first_trial_takes_the_low_cost_values(sampler_class: type[CFOSampler]) -> None:
    sampler = sampler_class(low_cost_partial_config={"n": 1}, cost_attr="cost", seed=0)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=6)
    assert study.trials[0].params["n"] == 1
    assert study.trials[0].system_attrs[TAG_KEY]["kind"] == "start"
    # The next trials step locally from it: a small n, not a draw over the whole range.
    assert study.trials[1].params["n"] < 10


def test_a_failed_plus_step_is_mirrored_by_the_next_trial() -> None:
    study = tansaku.create_study(sampler=CFOSampler(low_cost_partial_config={"n": 1}, seed=3))
    study.optimize(_objective, n_trials=30)
    tags = {t.number: t.system_attrs[TAG_KEY] for t in study.trials}
    minus = [tag for tag in tags.values() if tag["kind"] == "minus"]
    assert minus
    for tag in minus:
        plus = tags[tag["pair"]]
        assert plus["kind"] == "plus" and plus["origin"] == tag["origin"]
        assert study.trials[tag["pair"]].value >= study.trials[tag["origin"]].value


def _thread_moves(n_failed_iterations: int, dimension: int) -> list[Move]:
    origin = np.full(dimension, 0.5)
    moves = [Move(0, 0, "start", point=origin, loss=1.0, cost=1.0)]
    direction = tuple([1.0] + [0.0] * (dimension - 1))
    for i in range(n_failed_iterations):
        plus, minus = 1 + 2 * i, 2 + 2 * i
        moves.append(
            Move(plus, 0, "plus", origin=0, direction=direction, step=0.1, point=origin, loss=2.0)
        )
        moves.append(Move(minus, 0, "minus", origin=0, pair=plus, point=origin, loss=2.0))
    return moves


def test_step_shrinks_after_max_failures_failed_iterations_in_a_row() -> None:
    dimension = 3
    limit = max_failures(dimension)
    before = replay(_thread_moves(limit - 1, dimension), dimension, step_min=1e-6)[0]
    after = replay(_thread_moves(limit, dimension), dimension, step_min=1e-6)[0]
    assert before.step == initial_step(dimension)
    assert after.step == pytest.approx(initial_step(dimension) * SHRINK)
    assert not after.converged


def test_thread_converges_when_its_step_falls_below_step_min() -> None:
    dimension = 2
    step_min = initial_step(dimension) * SHRINK * 1.01
    threads = replay(_thread_moves(max_failures(dimension), dimension), dimension, step_min)
    assert threads[0].converged


def test_an_improving_step_moves_the_incumbent_and_resets_the_failures() -> None:
    origin, better = np.array([0.5, 0.5]), np.array([0.6, 0.5])
    moves = [
        Move(0, 0, "start", point=origin, loss=1.0, cost=1.0),
        Move(1, 0, "plus", origin=0, direction=(1.0, 0.0), step=0.1, point=origin, loss=2.0),
        Move(2, 0, "minus", origin=0, pair=1, point=origin, loss=2.0),
        Move(3, 0, "plus", origin=0, direction=(1.0, 0.0), step=0.1, point=better, loss=0.5),
    ]
    thread = replay(moves, 2, step_min=1e-6)[0]
    assert thread.incumbent_number == 3 and thread.failures == 0
    assert thread.best_loss == 0.5 and thread.due_minus is None


def test_cfo_restarts_a_new_thread_once_a_thread_converges() -> None:
    sampler = CFOSampler(low_cost_partial_config={"n": 1}, seed=0, step_min=0.05)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_int("n", 1, 1000, log=True) * 0.0, n_trials=40)
    kinds = [t.system_attrs[TAG_KEY]["kind"] for t in study.trials]
    assert "restart" in kinds


def test_cost_is_read_from_the_user_attr_else_from_the_duration() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    trial.set_user_attr("cost", 12.5)
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    assert trial_cost(frozen, "cost", "CFOSampler") == 12.5
    duration = (frozen.datetime_complete - frozen.datetime_start).total_seconds()
    assert trial_cost(frozen, None, "CFOSampler") == duration


def test_a_completed_trial_without_its_cost_attr_is_a_clear_error() -> None:
    sampler = CFOSampler(cost_attr="cost", seed=0)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
    with pytest.raises(ValueError, match=r"cost_attr='cost' must name a finite number"):
        study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)


def test_a_failed_trial_without_its_cost_attr_costs_its_duration() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    study.tell(trial, state=TrialState.FAIL)
    assert trial_cost(study.trials[0], "cost", "CFOSampler") >= 0.0


def test_blendsearch_prefers_the_thread_that_improves_more_per_unit_of_cost() -> None:
    point = np.zeros(1)
    cheap = Thread(0, 0.1, point, 0, first_loss=1.0, best_loss=0.5, cost=10.0, n_finished=3)
    dear = Thread(5, 0.1, point, 5, first_loss=1.0, best_loss=0.4, cost=1000.0, n_finished=3)
    # A global thread that has not improved: its projected loss is its best, 0.9.
    moves = [Move(8, 8, "global", loss=0.9, cost=100.0), Move(9, 9, "global", loss=0.95)]
    assert _by_priority([cheap, dear], moves, moves) is cheap
    # The same threads with the costs swapped: the other one wins.
    cheap.cost, dear.cost = 1000.0, 10.0
    assert _by_priority([cheap, dear], moves, moves) is dear


def test_blendsearch_cost_attr_steers_which_thread_goes_next() -> None:
    # Identical losses; only the cost attr differs between the two runs.
    def run(cost_of_big: float) -> list[str]:
        sampler = BlendSearchSampler(
            low_cost_partial_config={"n": 1}, cost_attr="cost", seed=0, n_startup_trials=2
        )
        study = tansaku.create_study(sampler=sampler)

        def objective(trial: tansaku.Trial) -> float:
            n = trial.suggest_int("n", 1, 1000, log=True)
            trial.set_user_attr("cost", cost_of_big if n > 30 else 1.0)
            return (math.log(n) - 5.0) ** 2

        study.optimize(objective, n_trials=25)
        return [t.system_attrs[TAG_KEY]["kind"] for t in study.trials]

    assert run(1.0) != run(1e6)


@pytest.mark.parametrize("sampler_class", [CFOSampler, BlendSearchSampler])
def test_a_seed_reproduces_the_search(sampler_class: type[CFOSampler]) -> None:
    def params(seed: int) -> list[dict[str, object]]:
        sampler = sampler_class(low_cost_partial_config={"n": 1}, cost_attr="cost", seed=seed)
        study = tansaku.create_study(sampler=sampler)
        study.optimize(_objective, n_trials=25)
        return [t.params for t in study.trials]

    assert params(1) == params(1)
    assert params(1) != params(2)


def test_a_low_cost_value_outside_its_distribution_is_a_clear_error() -> None:
    study = tansaku.create_study(sampler=CFOSampler(low_cost_partial_config={"n": 0}, seed=0))
    with pytest.raises(ValueError, match=r"low_cost_partial_config\['n'\]=0 must lie in"):
        study.optimize(_objective, n_trials=1)


def test_a_low_cost_name_that_is_no_param_is_a_clear_error() -> None:
    sampler = CFOSampler(low_cost_partial_config={"n_trees": 4}, seed=0)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=1)
    with pytest.raises(ValueError, match=r"names \['n_trees'\], which no trial"):
        study.optimize(_objective, n_trials=1)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"low_cost_partial_config": ["n"]}, TypeError),
        ({"low_cost_partial_config": {1: 2}}, TypeError),
        ({"cost_attr": 3}, TypeError),
        ({"seed": -1}, ValueError),
        ({"step_min": 0.0}, ValueError),
    ],
)
def test_bad_arguments_fail_at_the_constructor(kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error, match="CFOSampler: "):
        CFOSampler(**kwargs)


def test_blendsearch_caps_the_global_proposal_near_the_tried_cost() -> None:
    sampler = BlendSearchSampler(low_cost_partial_config={"n": 1}, seed=0, n_startup_trials=2)
    study = tansaku.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=12)
    global_n = [t.params["n"] for t in study.trials if t.system_attrs[TAG_KEY]["kind"] == "global"]
    assert global_n and max(global_n) < 1000**0.5


def test_a_resumed_study_continues_the_same_search() -> None:
    # CFO only: BlendSearch's default TPE draws from its own sequential generator, which a new
    # sampler instance restarts (its threads are rebuilt all the same).
    def make() -> CFOSampler:
        return CFOSampler(low_cost_partial_config={"n": 1}, cost_attr="cost", seed=4)

    whole = tansaku.create_study(sampler=make())
    whole.optimize(_objective, n_trials=24)

    storage = tansaku.storages.InMemoryStorage()
    first = tansaku.create_study(storage=storage, study_name="s", sampler=make())
    first.optimize(_objective, n_trials=12)
    # A new sampler (a new process, say) rebuilds the threads from the stored trials.
    resumed = tansaku.load_study(storage=storage, study_name="s", sampler=make())
    resumed.optimize(_objective, n_trials=12)
    assert [t.params for t in resumed.trials] == [t.params for t in whole.trials]


def test_a_global_point_starts_a_thread_only_if_better_than_the_live_threads_median() -> None:
    # BlendSearch's rule: a global point no better than the threads already searching would
    # split the budget among more threads without a better start.
    start = Move(0, 0, "start", point=np.array([0.1, 0.1]), loss=0.5, cost=1.0)
    worse = Move(1, 1, "global", point=np.array([0.8, 0.8]), loss=0.9, cost=1.0)
    better = Move(2, 2, "global", point=np.array([0.6, 0.2]), loss=0.3, cost=1.0)
    threads = replay([start, worse, better], 2, step_min=1e-6)
    assert sorted(threads) == [0, 2]
    # With no live thread, any finite global point starts one.
    assert sorted(replay([worse], 2, step_min=1e-6)) == [1]
