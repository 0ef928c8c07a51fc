"""An HPO-shaped problem whose trials take microseconds: a tabulated scikit-learn pipeline.

Every configuration of a small grid (scaler, number of selected features, one of three
classifiers with its own conditional hyperparameters) was cross-validated once on scikit-learn's
bundled breast-cancer data; the errors are kept in ``benchmarks/data/hpo_breast_cancer.json``
(rebuild it with ``python -m benchmarks.suites._hpo``, about 25 s). The objective snaps a
trial's parameters to the nearest grid point and looks its error up, like tabular HPO
benchmarks do, so samplers face a real, rugged, conditional response surface at no training
cost.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCALERS = ("standard", "minmax")
N_FEATURES = (5, 10, 15, 20, 25, 30)
LOGREG_C = tuple(10.0**e for e in range(-4, 5))
SVC_C = tuple(10.0**e for e in range(-2, 4))
SVC_GAMMA = tuple(10.0**e for e in range(-4, 1))
KNN_NEIGHBORS = (1, 2, 3, 5, 8, 13, 21, 34)
KNN_WEIGHTS = ("uniform", "distance")
N_FOLDS = 3


TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "hpo_breast_cancer.json"


def _key(scaler: str, n_features: int, classifier: str, **params: Any) -> str:
    settings = ",".join(
        f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}"
        for name, value in sorted(params.items())
    )
    return f"{scaler}|{n_features}|{classifier}|{settings}"


def _classifiers() -> Iterator[tuple[str, dict[str, Any]]]:
    for c in LOGREG_C:
        yield "logreg", {"C": c}
    for c in SVC_C:
        for gamma in SVC_GAMMA:
            yield "svc", {"C": c, "gamma": gamma}
    for k in KNN_NEIGHBORS:
        for weights in KNN_WEIGHTS:
            yield "knn", {"n_neighbors": k, "weights": weights}


def _make(classifier: str, params: dict[str, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    if classifier == "logreg":
        return LogisticRegression(C=params["C"], max_iter=5000)
    if classifier == "svc":
        return SVC(C=params["C"], gamma=params["gamma"])
    return KNeighborsClassifier(n_neighbors=params["n_neighbors"], weights=params["weights"])


def build_table() -> dict[str, float]:
    """Cross-validated error of every grid configuration (a few seconds, once per machine)."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.feature_selection import SelectKBest, f_classif
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    features, labels = load_breast_cancer(return_X_y=True)
    folds = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0).split(features, labels)
    accuracy: dict[str, float] = {}
    for train, test in folds:
        for scaler_name in SCALERS:
            scaler = StandardScaler() if scaler_name == "standard" else MinMaxScaler()
            scaled_train = scaler.fit_transform(features[train])
            scaled_test = scaler.transform(features[test])
            for n_features in N_FEATURES:
                selector = SelectKBest(f_classif, k=n_features).fit(scaled_train, labels[train])
                x_train, x_test = selector.transform(scaled_train), selector.transform(scaled_test)
                for classifier, params in _classifiers():
                    model = _make(classifier, params).fit(x_train, labels[train])
                    score = float(np.mean(model.predict(x_test) == labels[test]))
                    key = _key(scaler_name, n_features, classifier, **params)
                    accuracy[key] = accuracy.get(key, 0.0) + score / N_FOLDS
    return {key: 1.0 - value for key, value in accuracy.items()}


def write_table(path: Path = TABLE_PATH) -> None:
    import sklearn

    document = {
        "dataset": "sklearn.datasets.load_breast_cancer",
        "cv": f"StratifiedKFold({N_FOLDS}, shuffle=True, random_state=0)",
        "metric": "1 - accuracy",
        "sklearn": sklearn.__version__,
        "errors": build_table(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(document, indent=0, sort_keys=True) + "\n")
    partial.replace(path)


def load_table() -> dict[str, float]:
    """The tabulated errors, built first when the data file is absent."""
    if not TABLE_PATH.exists():
        write_table()
    return json.loads(TABLE_PATH.read_text())["errors"]


def _nearest_log(value: float, grid: tuple[float, ...]) -> float:
    return min(grid, key=lambda g: abs(math.log(g) - math.log(value)))


def _nearest(value: int, grid: tuple[int, ...]) -> int:
    return min(grid, key=lambda g: abs(g - value))


def objective(trial: Any, table: dict[str, float]) -> float:
    """Cross-validated error (to minimize) of the configuration the trial suggests."""
    scaler = trial.suggest_categorical("scaler", list(SCALERS))
    n_features = trial.suggest_int("n_features", N_FEATURES[0], N_FEATURES[-1], step=5)
    classifier = trial.suggest_categorical("classifier", ["logreg", "svc", "knn"])
    if classifier == "logreg":
        c = trial.suggest_float("logreg_C", LOGREG_C[0], LOGREG_C[-1], log=True)
        params: dict[str, Any] = {"C": _nearest_log(c, LOGREG_C)}
    elif classifier == "svc":
        c = trial.suggest_float("svc_C", SVC_C[0], SVC_C[-1], log=True)
        gamma = trial.suggest_float("svc_gamma", SVC_GAMMA[0], SVC_GAMMA[-1], log=True)
        params = {"C": _nearest_log(c, SVC_C), "gamma": _nearest_log(gamma, SVC_GAMMA)}
    else:
        k = trial.suggest_int("knn_neighbors", KNN_NEIGHBORS[0], KNN_NEIGHBORS[-1], log=True)
        weights = trial.suggest_categorical("knn_weights", list(KNN_WEIGHTS))
        params = {"n_neighbors": _nearest(k, KNN_NEIGHBORS), "weights": weights}
    return table[_key(scaler, n_features, classifier, **params)]


if __name__ == "__main__":
    write_table()
    print(f"wrote {TABLE_PATH}")
