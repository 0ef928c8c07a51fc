"""MLflowCallback against a real MLflow file store in tmp_path, read back with MlflowClient.

Marked ``integrations``: ``make test-integrations`` installs MLflow (``tansaku[mlflow]``) and
runs these; ``make test`` leaves them out. Under CI a missing MLflow fails instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.exceptions import ExperimentalWarning

pytestmark = pytest.mark.integrations

try:
    import mlflow
except ImportError:  # collected by `make test` too, where MLflow need not be installed
    mlflow = None
if mlflow is not None:
    from mlflow.tracking import MlflowClient
    from mlflow.utils.validation import MAX_TAG_VAL_LENGTH

    from tansaku.integration.mlflow import RUN_ID_ATTRIBUTE_KEY, MLflowCallback
else:
    MAX_TAG_VAL_LENGTH = 0


@pytest.fixture(scope="module", autouse=True)
def _mlflow_installed() -> None:
    if mlflow is None:
        if os.environ.get("CI"):
            pytest.fail("mlflow is not installed: make test-integrations installs it")
        pytest.skip("mlflow is not installed (pip install tansaku[mlflow])")


@pytest.fixture
def tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # MLflow 3 keeps its file store only on request; it needs no server, which is the point.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    previous = mlflow.get_tracking_uri()
    yield (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(previous)  # the callback sets it process-wide


def _runs_by_name(uri: str, experiment: str) -> dict[str, Any]:
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    assert found is not None, f"no MLflow experiment {experiment!r}"
    return {run.info.run_name: run for run in client.search_runs([found.experiment_id])}


def _objective(trial: tansaku.Trial) -> tuple[float, float]:
    x = trial.suggest_float("x", -1.0, 1.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    trial.set_user_attr("note", f"trial {trial.number}")
    trial.set_user_attr("long", "z" * (MAX_TAG_VAL_LENGTH + 10))
    return x**2, x + (kind == "a")


def test_each_trial_is_one_run_with_params_numbered_metrics_and_tags(tracking_uri: str) -> None:
    callback = MLflowCallback(tracking_uri=tracking_uri, tag_study_user_attrs=True)
    study = tansaku.create_study(study_name="two-goals", directions=["minimize", "maximize"])
    study.set_user_attr("owner", "lab")
    study.optimize(_objective, n_trials=3, callbacks=[callback])

    runs = _runs_by_name(tracking_uri, "two-goals")
    assert sorted(runs) == ["0", "1", "2"]
    for trial in study.trials:
        data = runs[str(trial.number)].data
        assert data.metrics == {"value_0": trial.values[0], "value_1": trial.values[1]}
        assert data.params == {"x": str(trial.params["x"]), "kind": trial.params["kind"]}
        tags = data.tags
        assert tags["number"] == str(trial.number)
        assert tags["state"] == "COMPLETE"
        assert tags["direction"] == "['MINIMIZE', 'MAXIMIZE']"
        assert tags["datetime_start"] == str(trial.datetime_start)
        assert tags["x_distribution"] == str(trial.distributions["x"])
        assert tags["note"] == f"trial {trial.number}"
        assert tags["owner"] == "lab"
        assert len(tags["long"]) == MAX_TAG_VAL_LENGTH
        assert tags["long"].endswith("z...")


def test_named_metric_pruned_trial_and_an_existing_experiment(tracking_uri: str) -> None:
    mlflow.set_tracking_uri(tracking_uri)
    experiment_id = mlflow.create_experiment("kept")
    callback = MLflowCallback(
        metric_name="loss",
        create_experiment=False,
        mlflow_kwargs={"experiment_id": experiment_id, "tags": {"team": "a"}},
        tag_trial_user_attrs=False,
    )

    def objective(trial: tansaku.Trial) -> float:
        trial.set_user_attr("note", "hidden")
        x = trial.suggest_int("x", 0, 10)
        if trial.number == 1:
            raise tansaku.TrialPruned()
        return float(x)

    study = tansaku.create_study(study_name="not-an-experiment")
    study.optimize(objective, n_trials=2, callbacks=[callback])

    runs = _runs_by_name(tracking_uri, "kept")
    assert MlflowClient(tracking_uri).get_experiment_by_name("not-an-experiment") is None
    assert runs["0"].data.metrics == {"loss": study.trials[0].value}
    assert runs["1"].data.metrics == {}
    assert runs["1"].data.tags["state"] == "PRUNED"
    assert runs["0"].data.tags["direction"] == "MINIMIZE"
    assert runs["0"].data.tags["team"] == "a"
    assert "note" not in runs["0"].data.tags


# With n_jobs=2 the objectives run side by side, each in its own thread's MLflow run.
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_track_in_mlflow_puts_the_objectives_logs_in_the_trials_run(
    tracking_uri: str, n_jobs: int
) -> None:
    callback = MLflowCallback(tracking_uri=tracking_uri, metric_name=["loss", "score"])
    with pytest.warns(ExperimentalWarning, match="track_in_mlflow"):
        decorate = callback.track_in_mlflow()

    @decorate
    def objective(trial: tansaku.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        mlflow.log_metric("inner", 10.0 + trial.number)
        return x, 1 - x

    study = tansaku.create_study(study_name="tracked", directions=["minimize", "maximize"])
    study.optimize(objective, n_trials=4, n_jobs=n_jobs, callbacks=[callback])

    runs = _runs_by_name(tracking_uri, "tracked")
    assert sorted(runs) == ["0", "1", "2", "3"]  # one run per trial, not one from each side
    for trial in study.trials:
        run = runs[str(trial.number)]
        assert trial.system_attrs[RUN_ID_ATTRIBUTE_KEY] == run.info.run_id
        assert run.data.metrics == {
            "inner": 10.0 + trial.number,
            "loss": trial.values[0],
            "score": trial.values[1],
        }
        assert run.info.status == "FINISHED"


def test_metric_names_that_do_not_match_the_objectives_raise_and_log_nothing(
    tracking_uri: str,
) -> None:
    callback = MLflowCallback(tracking_uri=tracking_uri, metric_name=["a", "b", "c"])
    study = tansaku.create_study(study_name="mismatch", directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match=r"metric_name=\['a', 'b', 'c'\] names 3 metrics .* 2"):
        study.optimize(lambda t: (1.0, 2.0), n_trials=1, callbacks=[callback])
    assert MlflowClient(tracking_uri).get_experiment_by_name("mismatch") is None


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"tracking_uri": 3}, TypeError, "tracking_uri must be a str or None"),
        ({"metric_name": 3}, TypeError, "metric_name must be a str or a sequence of str"),
        ({"metric_name": ["a", 1]}, TypeError, "metric_name must be a str or a sequence"),
        ({"metric_name": []}, ValueError, "metric_name=.* must name at least one metric"),
        (
            {"metric_name": ("a", "a")},
            ValueError,
            r"metric_name=\('a', 'a'\) must not name a metric twice",
        ),
        ({"create_experiment": "no"}, TypeError, "create_experiment must be a bool"),
        ({"tag_study_user_attrs": 1}, TypeError, "tag_study_user_attrs must be a bool"),
        ({"tag_trial_user_attrs": None}, TypeError, "tag_trial_user_attrs must be a bool"),
        ({"mlflow_kwargs": ["nested"]}, TypeError, "mlflow_kwargs must be a dict or None"),
        # Optuna 3 moved nest_trials into mlflow_kwargs={"nested": True}.
        ({"mlflow_kwargs": {"nest_trials": True}}, TypeError, "mlflow_kwargs holds 'nest_trials'"),
        ({"mlflow_kwargs": {"run_id": "r"}}, TypeError, "mlflow_kwargs must not hold 'run_id'"),
    ],
)
def test_bad_arguments_raise_at_construction(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=f"MLflowCallback: {match}"):
        MLflowCallback(**kwargs)
