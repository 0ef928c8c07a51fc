"""TensorBoardCallback writes event files that TensorBoard reads back: the HParams plugin's
sessions and the scalars, checked with tensorboard's EventAccumulator and with the HParams
plugin's own request handlers (what the HParams tab shows), with TensorFlow kept out.

Marked ``integrations``: ``make test-integrations`` installs tensorboard
(``tansaku[tensorboard]``) and runs these; ``make test`` leaves them out. Under CI a missing
tensorboard fails instead of skipping.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

pytestmark = pytest.mark.integrations

try:
    import tensorboard
except ImportError:  # collected by `make test` too, where tensorboard need not be installed
    tensorboard = None
if tensorboard is not None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata

    from tansaku.integration.tensorboard import TensorBoardCallback, hparam_value


@pytest.fixture(scope="module", autouse=True)
def _tensorboard_installed() -> None:
    if tensorboard is None:
        if os.environ.get("CI"):
            pytest.fail("tensorboard is not installed: make test-integrations installs it")
        pytest.skip("tensorboard is not installed (pip install tansaku[tensorboard])")


@pytest.fixture(autouse=True)
def _without_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    # tensorboard uses TensorFlow when it can import it; the callback must not need it.
    monkeypatch.setitem(sys.modules, "tensorflow", None)


def _objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    layers = trial.suggest_int("layers", 1, 4)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    mixed = trial.suggest_categorical("mixed", [1, "two", None])
    if trial.number == 1:
        raise tansaku.TrialPruned()
    return x * layers + (optimizer == "adam") + (mixed is None)


def _session_and_scalars(run_dir: Path) -> tuple[Any, dict[str, list[tuple[int, float]]]]:
    events = EventAccumulator(str(run_dir))
    events.Reload()
    (content,) = events.PluginTagToContent(metadata.PLUGIN_NAME).values()
    session = metadata.parse_session_start_info_plugin_data(content)
    scalars = {
        tag: [(e.step, e.tensor_proto.float_val[0]) for e in events.Tensors(tag)]
        for tag in events.Tags()["tensors"]
        if tag != metadata.SESSION_START_INFO_TAG
    }
    return session, scalars


def test_each_completed_trial_is_an_hparams_session_with_its_scalar(tmp_path: Path) -> None:
    study = tansaku.create_study()
    study.optimize(_objective, n_trials=3, callbacks=[TensorBoardCallback(tmp_path, "score")])

    assert sorted(os.listdir(tmp_path)) == ["trial-0", "trial-2"]  # the pruned trial is left out
    for number in (0, 2):
        trial = study.trials[number]
        session, scalars = _session_and_scalars(tmp_path / f"trial-{number}")
        assert session.group_name == f"trial-{number}"
        assert session.start_time_secs == pytest.approx(trial.datetime_start.timestamp())
        hparams = {name: value.WhichOneof("kind") for name, value in session.hparams.items()}
        assert hparams == {
            "x": "number_value",
            "layers": "number_value",
            "optimizer": "string_value",
            "mixed": "string_value",  # mixed choices are written as str
        }
        assert session.hparams["x"].number_value == trial.params["x"]
        assert session.hparams["layers"].number_value == trial.params["layers"]
        assert session.hparams["optimizer"].string_value == trial.params["optimizer"]
        assert session.hparams["mixed"].string_value == str(trial.params["mixed"])
        # TensorBoard keeps scalars as float32.
        assert scalars == {"score": [(number, pytest.approx(trial.value, rel=1e-6))]}


def test_the_hparams_tab_lists_one_session_group_per_trial(tmp_path: Path) -> None:
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import (
        api_pb2,
        backend_context,
        get_experiment,
        list_session_groups,
    )

    study = tansaku.create_study()
    study.optimize(_objective, n_trials=3, callbacks=[TensorBoardCallback(tmp_path, "score")])

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(tmp_path))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(tmp_path))
    tb_context = base_plugin.TBContext(
        logdir=str(tmp_path), multiplexer=multiplexer, data_provider=provider
    )
    backend = backend_context.Context(tb_context)
    request_context = context.RequestContext()

    experiment = get_experiment.Handler(
        request_context, backend, "", api_pb2.GetExperimentRequest()
    ).run()
    assert sorted(info.name for info in experiment.hparam_infos) == [
        "layers",
        "mixed",
        "optimizer",
        "x",
    ]
    assert [info.name.tag for info in experiment.metric_infos] == ["score"]

    request = api_pb2.ListSessionGroupsRequest(
        allowed_statuses=[api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS],
        start_index=0,
        slice_size=10,
    )
    groups = list_session_groups.Handler(request_context, backend, "", request).run()
    values = {group.name: group.metric_values[0].value for group in groups.session_groups}
    assert values == {
        "trial-0": pytest.approx(study.trials[0].value, rel=1e-6),
        "trial-2": pytest.approx(study.trials[2].value, rel=1e-6),
    }


def test_several_objectives_log_one_scalar_each(tmp_path: Path) -> None:
    def objective(trial: tansaku.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        return x, 1 - x

    numbered, named = tmp_path / "numbered", tmp_path / "named"
    study = tansaku.create_study(directions=["minimize", "maximize"])
    study.optimize(
        objective,
        n_trials=2,
        callbacks=[
            TensorBoardCallback(str(numbered), "v"),
            TensorBoardCallback(named, ["loss", "gain"]),
        ],
    )
    for trial in study.trials:
        _, scalars = _session_and_scalars(numbered / f"trial-{trial.number}")
        assert sorted(scalars) == ["v_0", "v_1"]
        assert scalars["v_1"] == [(trial.number, pytest.approx(trial.values[1], rel=1e-6))]
        _, scalars = _session_and_scalars(named / f"trial-{trial.number}")
        assert sorted(scalars) == ["gain", "loss"]


def test_metric_names_that_do_not_match_the_objectives_raise(tmp_path: Path) -> None:
    callback = TensorBoardCallback(tmp_path, ["a", "b", "c"])
    study = tansaku.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match=r"metric_name=\['a', 'b', 'c'\] names 3 metrics .* 2"):
        study.optimize(lambda t: (1.0, 2.0), n_trials=1, callbacks=[callback])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"dirname": 3}, TypeError, "dirname must be a str or os.PathLike"),
        ({"dirname": ""}, ValueError, "dirname='' must name a directory"),
        ({"metric_name": None}, TypeError, "metric_name must be a str or a sequence of str"),
        ({"metric_name": ["a", "a"]}, ValueError, "must not name a metric twice"),
    ],
)
def test_bad_arguments_raise_at_construction(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    arguments = {"dirname": str(tmp_path), "metric_name": "value", **kwargs}
    with pytest.raises(error, match=f"TensorBoardCallback: .*{match}"):
        TensorBoardCallback(**arguments)


@pytest.mark.parametrize(
    ("distribution", "value", "expected"),
    [
        (FloatDistribution(0.0, 1.0), 0.5, 0.5),
        (IntDistribution(1, 9), 3, 3),
        (CategoricalDistribution([1.5, 2.5]), 2.5, 2.5),
        (CategoricalDistribution([True, False]), False, False),
        (CategoricalDistribution(["a", None]), None, "None"),
        (CategoricalDistribution([1, 2.0]), 1, "1"),
    ],
)
def test_hparam_values_keep_one_type_per_parameter(
    distribution: Any, value: Any, expected: Any
) -> None:
    converted = hparam_value(distribution, value)
    assert converted == expected
    assert type(converted) is type(expected)
