"""A study tansaku wrote with tuple choices is read and continued by Optuna 5.0, and back."""

from __future__ import annotations

import types
import warnings
from pathlib import Path

import tansaku


def test_optuna_reads_a_sqlite_study_tansaku_wrote_with_tuple_choices(
    tmp_path: Path, optuna: types.ModuleType
) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    study = tansaku.create_study(
        study_name="s", storage=url, sampler=tansaku.samplers.RandomSampler(seed=0)
    )
    study.optimize(lambda t: len(t.suggest_categorical("layers", [(32,), (64, 32)])), n_trials=4)
    assert all(type(t.params["layers"]) is tuple for t in study.trials)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Optuna warns about the list choices
        theirs = optuna.load_study(study_name="s", storage=url)
        assert [t.params["layers"] for t in theirs.trials] == [
            list(t.params["layers"]) for t in study.trials
        ]
        theirs.optimize(
            lambda t: len(t.suggest_categorical("layers", [[32], [64, 32]])), n_trials=1
        )
    # tansaku reads Optuna's trial back as Optuna wrote it: lists, without the marker.
    again = tansaku.load_study(study_name="s", storage=url).trials
    assert len(again) == 5
    assert type(again[4].params["layers"]) is list
