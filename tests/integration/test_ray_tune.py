"""TansakuSearch in real local Ray Tune runs, and its space conversion and argument checks.

Marked ``cluster``: ``make test-cluster`` installs Ray Tune (``tansaku[cluster]``) and runs
these; ``make test`` leaves them out. Under CI a missing Ray Tune fails instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.trial import TrialState

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]


try:
    from ray import tune
except ImportError:  # collected by `make test` too, where Ray Tune need not be installed
    tune = None
if tune is not None:
    from tansaku.integration.ray_tune import TansakuSearch
    from tests.integration import _trainables


@pytest.fixture(scope="module", autouse=True)
def _ray_tune_installed() -> None:
    if tune is None:
        if os.environ.get("CI"):
            pytest.fail("ray[tune] is not installed: make test-cluster installs tansaku[cluster]")
        pytest.skip("ray[tune] is not installed (pip install tansaku[cluster])")


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    """One local Ray instance for the module; its workers import the trainables by name."""
    import ray

    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = f"{ROOT}{os.pathsep}{previous or ''}"
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        yield
    finally:
        ray.shutdown()
        if previous is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = previous


def _fit(
    trainable: Any,
    search: TansakuSearch,
    tmp_path: Path,
    num_samples: int,
    param_space: dict[str, Any] | None = None,
    **tune_config: Any,
) -> Any:
    tuner = tune.Tuner(
        trainable,
        param_space=param_space or {},
        tune_config=tune.TuneConfig(
            search_alg=search,
            num_samples=num_samples,
            reuse_actors=True,
            max_concurrent_trials=1,
            **tune_config,
        ),
        run_config=tune.RunConfig(storage_path=str(tmp_path / "ray_results"), verbose=0),
    )
    return tuner.fit()


def _results_by_ray_id(results: Any) -> dict[str, Any]:
    return {result.metrics["trial_id"]: result for result in results}


def _ray_space() -> dict[str, Any]:
    return {
        "x": tune.uniform(-4.0, 4.0),
        "n": tune.randint(0, 3),
        "model": {"width": tune.qrandint(8, 64, 8), "name": "mlp"},
    }


# -- real runs ----------------------------------------------------------------------------------


def test_tpe_run_keeps_one_trial_per_ray_trial_in_an_sqlite_study(
    ray_instance: None, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tune.db'}"
    search = TansakuSearch(
        sampler=tansaku.samplers.TPESampler(seed=0, n_startup_trials=5),
        storage=url,
        study_name="ray",
    )
    results = _fit(
        _trainables.quadratic, search, tmp_path, 14, _ray_space(), metric="loss", mode="min"
    )

    study = tansaku.load_study(study_name="ray", storage=url)
    trials = study.trials
    assert len(trials) == len(results) == 14
    assert study.direction == tansaku.study.StudyDirection.MINIMIZE
    by_ray_id = _results_by_ray_id(results)
    for trial in trials:
        assert trial.state == TrialState.COMPLETE
        result = by_ray_id[trial.user_attrs["ray_trial_id"]]
        config = result.config
        assert trial.params == {
            "x": config["x"],
            "n": config["n"],
            "model/width": config["model"]["width"],
        }
        assert config["model"]["name"] == "mlp"
        assert -4.0 <= config["x"] <= 4.0 and config["n"] in (0, 1, 2)
        assert config["model"]["width"] in range(8, 65, 8)
        assert trial.value == result.metrics["loss"]
        assert sorted(trial.intermediate_values) == [1, 2, 3]
        assert trial.intermediate_values[3] == trial.value
    best = results.get_best_result(metric="loss", mode="min")
    assert study.best_value == best.metrics["loss"]
    assert study.best_trial.user_attrs["ray_trial_id"] == best.metrics["trial_id"]
    # The seeded run is sequential, so deterministic: TPE finds a loss far under the
    # midpoint's (x=0, n=1, width=32: 4 + 1 + 0.32).
    assert study.best_value < 2.0


def test_erroring_and_nan_ending_ray_trials_become_fail(
    ray_instance: None, tmp_path: Path
) -> None:
    def space(trial: tansaku.Trial) -> dict[str, Any]:
        trial.suggest_float("x", -1.0, 1.0)
        return {"explode": trial.number == 1, "nan": trial.number == 2}

    search = TansakuSearch(space, metric="loss", mode="min")
    results = _fit(_trainables.maybe_failing, search, tmp_path, 4)

    states = [t.state for t in search.study.trials]
    assert states == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.FAIL,
        TrialState.COMPLETE,
    ]
    trials = search.study.trials
    by_ray_id = _results_by_ray_id(results)
    assert by_ray_id[trials[1].user_attrs["ray_trial_id"]].error is not None
    assert by_ray_id[trials[2].user_attrs["ray_trial_id"]].error is None
    # The intermediate values Ray reported before the error are kept.
    assert trials[1].intermediate_values == {1: trials[1].params["x"] ** 2}
    assert trials[3].value == trials[3].params["x"] ** 2


def test_define_by_run_space_with_conditional_params_and_constants(
    ray_instance: None, tmp_path: Path
) -> None:
    def space(trial: tansaku.Trial) -> dict[str, Any]:
        kind = trial.suggest_categorical("model/kind", ["linear", "tree"])
        if kind == "linear":
            trial.suggest_float("model/lr", 1e-4, 1.0, log=True)
        else:
            trial.suggest_int("model/depth", 1, 8)
        return {"tag": "run-a"}

    study = tansaku.create_study(
        direction="maximize", sampler=tansaku.samplers.TPESampler(seed=1, n_startup_trials=4)
    )
    search = TansakuSearch(space, metric="score", study=study)
    assert search.mode == "max"
    results = _fit(_trainables.conditional, search, tmp_path, 8)

    by_ray_id = _results_by_ray_id(results)
    assert len(study.trials) == 8
    for trial in study.trials:
        assert trial.state == TrialState.COMPLETE
        result = by_ray_id[trial.user_attrs["ray_trial_id"]]
        model = result.config["model"]
        assert {f"model/{key}": value for key, value in model.items()} == trial.params
        assert result.config["tag"] == "run-a" and result.metrics["tag"] == "run-a"
        assert trial.value == result.metrics["score"]
    assert study.best_value == max(r.metrics["score"] for r in results)


def test_restored_searcher_continues_the_study_in_a_new_run(
    ray_instance: None, tmp_path: Path
) -> None:
    search = TansakuSearch(
        _ray_space(), sampler=tansaku.samplers.TPESampler(seed=2), metric="loss", mode="min"
    )
    results = _fit(_trainables.quadratic, search, tmp_path / "first", 4)
    checkpoint = tmp_path / "searcher.pkl"
    search.save(str(checkpoint))

    # Ray Tune saved the searcher in the experiment directory itself, as it does at its
    # checkpoints (Tuner.restore reads it back the same way).
    from_ray = TansakuSearch()
    from_ray.restore_from_dir(results.experiment_path)
    assert [t.value for t in from_ray.study.trials] == [t.value for t in search.study.trials]

    restored = TansakuSearch()
    restored.restore(str(checkpoint))
    assert restored.metric == "loss" and restored.mode == "min"
    assert [t.params for t in restored.study.trials] == [t.params for t in search.study.trials]
    _fit(_trainables.quadratic, restored, tmp_path / "second", 3)

    trials = restored.study.trials
    assert [t.number for t in trials] == list(range(7))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert len(search.study.trials) == 4  # the saved searcher's study is a separate copy


# -- the Searcher contract without a run --------------------------------------------------------


def _int_space(trial: tansaku.Trial) -> None:
    trial.suggest_int("y", 0, 9)


def _float_space(trial: tansaku.Trial) -> None:
    trial.suggest_float("x", 0, 1)


def test_save_and_restore_keep_a_running_trial_to_tell_later(tmp_path: Path) -> None:
    search = TansakuSearch(_int_space, "loss", "max")
    config = search.suggest("ray-a")
    search.on_trial_result("ray-a", {"loss": 1.5, "training_iteration": 1})
    checkpoint = tmp_path / "searcher.pkl"
    search.save(str(checkpoint))

    restored = TansakuSearch()
    restored.restore(str(checkpoint))
    restored.on_trial_result("ray-a", {"loss": 1.0, "training_iteration": 1})  # a restart
    restored.on_trial_result("ray-a", {"loss": 2.5, "training_iteration": 2})
    restored.on_trial_complete("ray-a", {"loss": 2.5, "training_iteration": 2})

    (trial,) = restored.study.trials
    assert trial.state == TrialState.COMPLETE and trial.value == 2.5
    assert trial.params == config
    assert trial.intermediate_values == {1: 1.5, 2: 2.5}
    assert restored.study.direction == tansaku.study.StudyDirection.MAXIMIZE
    # The original is untouched: its trial still runs.
    assert search.study.trials[0].state == TrialState.RUNNING


def test_ray_domains_convert_to_tansaku_distributions_with_rays_bounds() -> None:
    from tansaku.integration._ray_space import distributions_from_ray_space

    space = {
        "u": tune.uniform(-1.0, 2.0),
        "lu": tune.loguniform(1e-4, 1e-1),
        "qu": tune.quniform(0.3, 1.2, 0.1),
        "ri": tune.randint(0, 10),
        "lri": tune.lograndint(1, 100),
        "qri": tune.qrandint(5, 50, 10),
        "qri1": tune.qrandint(0, 5, 1),
        "c": tune.choice(["a", 1, None]),
        "nested": {"deep": {"b": tune.choice([True, False])}, "const": 3},
        "const": "x",
    }
    assert distributions_from_ray_space(space) == {
        "u": FloatDistribution(-1.0, 2.0),
        "lu": FloatDistribution(1e-4, 1e-1, log=True),
        "qu": FloatDistribution(0.3, 1.2, step=0.1),
        "ri": IntDistribution(0, 9),
        "lri": IntDistribution(1, 99, log=True),
        "qri": IntDistribution(10, 50, step=10),
        "qri1": IntDistribution(0, 4),
        "c": CategoricalDistribution(["a", 1, None]),
        "nested/deep/b": CategoricalDistribution([True, False]),
    }


@pytest.mark.parametrize(
    ("make_space", "message"),
    [
        (lambda: {"r": tune.randn(0.0, 1.0)}, r"space\['r'\].*no tansaku distribution"),
        (lambda: {"f": tune.sample_from(lambda _: 1)}, r"space\['f'\].*no tansaku distribution"),
        (lambda: {"g": {"h": tune.grid_search([1, 2])}}, r"space\['g/h'\].*grid search"),
        (lambda: {"q": tune.qloguniform(1e-3, 1.0, 1e-3)}, r"space\['q'\].*quantized log"),
        (lambda: {"l": [tune.uniform(0, 1)]}, r"space\['l'\].*inside a list"),
        (lambda: {"e": tune.qrandint(1, 3, 5)}, r"space\['e'\].*holds no value"),
        (lambda: {"only": "constants"}, r"space=.*at least one Ray domain"),
    ],
)
def test_unusable_ray_spaces_are_refused_naming_the_parameter(
    make_space: Callable[[], dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        TansakuSearch(make_space())


def test_bad_arguments_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match=r"TansakuSearch: mode='minimize' must be 'min', 'max'"):
        TansakuSearch(mode="minimize")
    with pytest.raises(TypeError, match=r"TansakuSearch: metric must be a str"):
        TansakuSearch(metric=["a", "b"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"TansakuSearch: space must be a define-by-run"):
        TansakuSearch(space=3)  # type: ignore[arg-type]
    study = tansaku.create_study(direction="maximize")
    with pytest.raises(ValueError, match=r"mode='min' contradicts the study's direction MAXIMIZE"):
        TansakuSearch(mode="min", study=study)
    with pytest.raises(ValueError, match=r"sampler=.* must be None when study is given"):
        TansakuSearch(study=study, sampler=tansaku.samplers.RandomSampler())
    two = tansaku.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match=r"study=.* must have one objective"):
        TansakuSearch(study=two)


def test_search_properties_fill_what_the_searcher_lacks() -> None:
    search = TansakuSearch(_float_space)
    with pytest.raises(RuntimeError, match="metric is not set"):
        search.suggest("a")
    assert search.set_search_properties("loss", None, {})
    with pytest.raises(RuntimeError, match="mode is not set"):
        search.suggest("a")
    assert search.set_search_properties(None, "max", {"const": 1})
    assert search.metric == "loss" and search.mode == "max"
    # A param_space with domains conflicts with the searcher's own space: False, as Ray asks.
    assert not search.set_search_properties(None, None, {"x": tune.uniform(0, 1)})
    assert set(search.suggest("a")) == {"x"}

    empty = TansakuSearch(metric="loss", mode="min")
    with pytest.raises(RuntimeError, match="no search space"):
        empty.suggest("a")
    assert empty.set_search_properties(None, None, {"x": tune.uniform(0, 1)})
    assert set(empty.suggest("a")) == {"x"}


def test_a_failing_define_by_run_space_leaves_no_running_trial() -> None:
    def space(trial: tansaku.Trial) -> None:
        trial.suggest_float("x", 0, 1)
        raise KeyError("bad space")

    search = TansakuSearch(space, "loss", "min")
    with pytest.raises(KeyError, match="bad space"):
        search.suggest("a")
    assert [t.state for t in search.study.trials] == [TrialState.FAIL]
