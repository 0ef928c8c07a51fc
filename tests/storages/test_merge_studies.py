"""Merging studies: per-GPU studies in separate SQLite files become one study, trials intact.

The way the README documents: create (or load) the merged study, then ``add_trials`` the
finished trials of each source study. Numbers are renumbered densely in the merged study;
everything else a trial holds comes along.
"""

from __future__ import annotations

from pathlib import Path

import tansaku
from tansaku.trial import FrozenTrial, TrialState

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def _run_gpu_study(path: Path, gpu: int) -> tansaku.Study:
    study = tansaku.create_study(
        study_name="search",
        storage=f"sqlite:///{path}",
        sampler=tansaku.samplers.RandomSampler(seed=gpu),
    )

    def objective(trial: tansaku.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        layers = trial.suggest_int("layers", 1, 4)
        optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
        trial.set_user_attr("gpu", gpu)
        trial.set_user_attr("notes", {"optimizer": optimizer, "tags": ["a", "b"]})
        trial.study._storage.set_trial_system_attr(
            trial._trial_id, "seed", gpu * 100 + trial.number
        )
        for step in range(3):
            trial.report(lr * layers + step, step)
        if trial.number == 2:
            raise tansaku.TrialPruned()
        if trial.number == 3:
            raise RuntimeError("out of memory")
        return lr * layers

    study.optimize(objective, n_trials=6, catch=(RuntimeError,))
    # A trial still running on that GPU when the merge happens: left out of the merge.
    study.ask().suggest_float("lr", 1e-5, 1e-1, log=True)
    return study


def _content(trial: FrozenTrial) -> tuple[object, ...]:
    return (
        trial.state,
        trial.values,
        trial.params,
        trial.distributions,
        trial.user_attrs,
        trial.system_attrs,
        trial.intermediate_values,
        trial.datetime_start,
        trial.datetime_complete,
    )


def test_two_sqlite_studies_merge_into_one_with_every_finished_trial_intact(
    tmp_path: Path,
) -> None:
    sources = [_run_gpu_study(tmp_path / f"gpu{gpu}.db", gpu) for gpu in range(2)]

    merged = tansaku.create_study(study_name="merged", storage=f"sqlite:///{tmp_path / 'all.db'}")
    for gpu in range(2):
        source = tansaku.load_study(
            study_name="search", storage=f"sqlite:///{tmp_path}/gpu{gpu}.db"
        )
        merged.add_trials(source.get_trials(deepcopy=False, states=FINISHED))

    expected = [t for s in sources for t in s.get_trials(states=FINISHED)]
    # Read back through a new storage: what is on disk, not what a cache holds.
    reread = tansaku.load_study(study_name="merged", storage=f"sqlite:///{tmp_path / 'all.db'}")
    got = reread.trials
    assert [t.number for t in got] == list(range(12))
    assert [_content(t) for t in got] == [_content(t) for t in expected]
    assert [t.state for t in got].count(TrialState.PRUNED) == 2
    assert [t.state for t in got].count(TrialState.FAIL) == 2
    assert {t.user_attrs["gpu"] for t in got} == {0, 1}
    assert all(sorted(t.intermediate_values) == [0, 1, 2] for t in got)
    assert reread.best_value == min(t.value for t in expected if t.value is not None)


def test_copy_study_then_add_trials_merges_into_a_new_file(tmp_path: Path) -> None:
    first, second = (_run_gpu_study(tmp_path / f"gpu{gpu}.db", gpu) for gpu in range(2))
    target = f"sqlite:///{tmp_path / 'all.db'}"
    tansaku.copy_study(
        from_study_name="search", from_storage=f"sqlite:///{tmp_path}/gpu0.db", to_storage=target
    )
    merged = tansaku.load_study(study_name="search", storage=target)
    merged.add_trials(second.get_trials(deepcopy=False, states=FINISHED))
    # copy_study takes every trial, the running one included; add_trials only the finished.
    assert len(merged.trials) == 7 + 6
    assert [_content(t) for t in merged.trials[7:]] == [
        _content(t) for t in second.get_trials(states=FINISHED)
    ]
    assert [_content(t) for t in merged.trials[:7]] == [_content(t) for t in first.trials]
