"""A real small model for the PBT tests: softmax regression on scikit-learn's digits, in numpy.

Each segment records the weights it started from and ended with (as user attrs), so a test can
check by value that a child resumed from its parent's checkpoint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tansaku
from tansaku.artifacts import FileSystemArtifactStore

MUTATIONS = {
    "lr": tansaku.distributions.FloatDistribution(1e-3, 2.0, log=True),
    "batch": [16, 32, 64, 128],
}


def _data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    features, labels = load_digits(return_X_y=True)
    features = features / 16.0
    return features[:1000], labels[:1000], features[1000:], labels[1000:]


def make_objective(artifact_dir: str) -> Any:
    """The objective: suggest lr and batch, resume the parent's weights, train, save."""
    x_train, y_train, x_valid, y_valid = _data()
    store = FileSystemArtifactStore(artifact_dir)

    def objective(trial: tansaku.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-3, 2.0, log=True)
        batch = trial.suggest_categorical("batch", [16, 32, 64, 128])
        segment = tansaku.pbt.segment(trial)
        weights = tansaku.pbt.load_parent_checkpoint(trial, store)
        if weights is None:
            weights = np.zeros((65, 10))
        trial.set_user_attr("start_weights", _fingerprint(weights))
        rng = np.random.default_rng(trial.number)
        accuracy = 0.0
        for step in segment.steps:
            order = rng.permutation(len(y_train))[:256]
            for start in range(0, len(order), batch):
                rows = order[start : start + batch]
                weights -= lr * _gradient(weights, x_train[rows], y_train[rows])
            accuracy = float((_predict(weights, x_valid) == y_valid).mean())
            trial.report(accuracy, step)
        trial.set_user_attr("end_weights", _fingerprint(weights))
        tansaku.pbt.save_checkpoint(trial, weights, store)
        return accuracy

    return objective


def _with_bias(features: np.ndarray) -> np.ndarray:
    return np.hstack([features, np.ones((len(features), 1))])


def _predict(weights: np.ndarray, features: np.ndarray) -> np.ndarray:
    return (_with_bias(features) @ weights).argmax(axis=1)


def _gradient(weights: np.ndarray, features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    inputs = _with_bias(features)
    logits = inputs @ weights  # (n, 10)
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    probabilities[np.arange(len(labels)), labels] -= 1.0
    return inputs.T @ probabilities / len(labels)


def _fingerprint(weights: np.ndarray) -> list[float]:
    """A few exact numbers that identify the weights (JSON for a user attr)."""
    return [float(weights.sum()), float((weights**2).sum()), float(weights[3, 7])]
