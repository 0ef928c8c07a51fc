"""KerasPruningCallback on real Keras fits of a tiny MLP on the digits (CPU, torch backend).

Marked ``integrations``: ``make test-integrations`` installs Keras (``tansaku[keras]``) and
runs these; ``make test`` leaves them out. Under CI a missing Keras fails, not skips. Keras
runs on PyTorch here (the backend the integrations extra installs); the callback works on any.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

import tansaku
from tansaku.pruners import MedianPruner, ThresholdPruner
from tansaku.trial import TrialState
from tests.integration._digits import N_CLASSES, N_FEATURES, digits_split

pytestmark = pytest.mark.integrations

# Keras (with torch) and the adapter are imported by the fixture below, not at import: `make
# test` collects this module too (and deselects it), and need not pay for importing torch.
keras: Any = None
KerasPruningCallback: Any = None
EPOCHS = 4


@pytest.fixture(scope="module", autouse=True)
def _keras_imported() -> None:
    global keras, KerasPruningCallback
    # Keras reads its backend once, at its first import.
    os.environ["KERAS_BACKEND"] = "torch"
    try:
        import keras
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("keras is not installed: make test-integrations installs it")
        pytest.skip("keras is not installed (pip install tansaku[keras])")
    import torch

    torch.set_num_threads(1)
    from tansaku.integration import keras as adapter

    KerasPruningCallback = adapter.KerasPruningCallback


def _fit(trial: tansaku.Trial, monitor: str = "val_loss", interval: int = 1) -> float:
    """Train a 64-16-10 MLP with the trial's lr for EPOCHS epochs with the pruning callback."""
    keras.utils.set_random_seed(0)
    x_train, y_train, x_valid, y_valid = digits_split()
    model = keras.Sequential(
        [
            keras.Input((N_FEATURES,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(N_CLASSES, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=trial.suggest_float("lr", 0.0, 1.0)),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_valid, y_valid),
        epochs=EPOCHS,
        batch_size=100,
        verbose=0,
        callbacks=[KerasPruningCallback(trial, monitor, interval=interval)],
    )
    return float(history.history["val_loss"][-1])


def test_a_trial_that_does_not_learn_is_pruned_and_a_learning_one_completes() -> None:
    study = tansaku.create_study(pruner=MedianPruner(n_startup_trials=1, n_warmup_steps=1))
    study.enqueue_trial({"lr": 0.5})
    study.enqueue_trial({"lr": 0.0})  # the loss never moves: worse than trial 0 at epoch 1
    study.optimize(_fit, n_trials=2)

    learning, stuck = study.trials
    assert learning.state is TrialState.COMPLETE
    # One intermediate value per epoch (0-based), the last being the objective's value.
    assert sorted(learning.intermediate_values) == list(range(EPOCHS))
    assert learning.intermediate_values[EPOCHS - 1] == pytest.approx(learning.value)
    assert learning.intermediate_values[0] > learning.intermediate_values[EPOCHS - 1]

    assert stuck.state is TrialState.PRUNED
    assert sorted(stuck.intermediate_values) == [0, 1]
    assert stuck.value == stuck.intermediate_values[1]
    assert stuck.intermediate_values[1] > learning.intermediate_values[1]


def test_the_pruned_epoch_is_in_the_message() -> None:
    study = tansaku.create_study(pruner=ThresholdPruner(upper=0.0, n_warmup_steps=2))
    trial = study.ask({"lr": tansaku.distributions.FloatDistribution(0.0, 1.0)})
    with pytest.raises(tansaku.TrialPruned, match="Trial was pruned at epoch 2"):
        _fit(trial)
    assert sorted(trial.study.trials[0].intermediate_values) == [0, 1, 2]


def test_interval_reports_and_checks_every_nth_epoch_only() -> None:
    # Any value prunes, yet the trial runs to epoch 1: epoch 0 is neither reported nor checked.
    study = tansaku.create_study(pruner=ThresholdPruner(upper=0.0))
    study.enqueue_trial({"lr": 0.5})
    study.optimize(lambda trial: _fit(trial, interval=2), n_trials=1)
    (trial,) = study.trials
    assert trial.state is TrialState.PRUNED
    assert list(trial.intermediate_values) == [1]

    study = tansaku.create_study(pruner=ThresholdPruner(upper=1e9))
    study.enqueue_trial({"lr": 0.5})
    study.optimize(lambda trial: _fit(trial, interval=2), n_trials=1)
    assert sorted(study.trials[0].intermediate_values) == [1, 3]


def test_a_monitor_that_is_not_logged_warns_naming_it_and_the_trial_completes() -> None:
    study = tansaku.create_study(pruner=ThresholdPruner(upper=0.0))
    with pytest.warns(UserWarning, match=r"'val_los' is not in the evaluation logs.*'val_loss'"):
        study.optimize(lambda trial: _fit(trial, monitor="val_los"), n_trials=1)
    (trial,) = study.trials
    assert trial.state is TrialState.COMPLETE
    assert trial.intermediate_values == {}


def test_bad_arguments_are_refused_naming_them() -> None:
    trial = tansaku.create_study().ask()
    with pytest.raises(ValueError, match=r"KerasPruningCallback: interval=0 must be >= 1"):
        KerasPruningCallback(trial, "val_loss", interval=0)
    with pytest.raises(TypeError, match=r"KerasPruningCallback: interval must be an int"):
        KerasPruningCallback(trial, "val_loss", interval=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"KerasPruningCallback: monitor must be a str"):
        KerasPruningCallback(trial, None)  # type: ignore[arg-type]


def test_a_study_with_several_objectives_is_refused_when_the_callback_is_made() -> None:
    trial = tansaku.create_study(directions=["minimize", "minimize"]).ask()
    with pytest.raises(NotImplementedError, match="KerasPruningCallback.*2"):
        KerasPruningCallback(trial, "val_loss")


def test_missing_keras_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("keras", "keras.callbacks"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "tansaku.integration.keras")
    with pytest.raises(ImportError, match=r"needs keras.*tansaku\[keras\]"):
        import tansaku.integration.keras  # noqa: F401


def test_keras_without_its_backend_says_so_and_how_to_choose_another() -> None:
    # A fresh process, as Keras picks its backend once, at its first import; TensorFlow is
    # hidden there as when it is not installed (Keras' default backend).
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "try:\n"
        "    import tansaku.integration.keras\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert "Keras is installed but cannot load its backend" in result.stdout
    assert "set KERAS_BACKEND" in result.stdout
