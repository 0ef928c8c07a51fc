"""Artifacts move between tansaku and Optuna 5.0: each reads what the other wrote on SQLite."""

from __future__ import annotations

import types
from pathlib import Path

import tansaku
from tansaku.artifacts import (
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)


def _fields(meta: object) -> tuple[str, str, str, str | None]:
    return (meta.artifact_id, meta.filename, meta.mimetype, meta.encoding)  # type: ignore[attr-defined]


def test_optuna_reads_and_downloads_the_artifacts_tansaku_wrote(
    tmp_path: Path, optuna: types.ModuleType
) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    (tmp_path / "store").mkdir()
    store = FileSystemArtifactStore(tmp_path / "store")
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"weights" * 100)

    def objective(trial: tansaku.Trial) -> float:
        upload_artifact(artifact_store=store, file_path=str(model), study_or_trial=trial)
        return trial.suggest_float("x", 0, 1)

    study = tansaku.create_study(study_name="s", storage=url)
    study.optimize(objective, n_trials=2)
    study_artifact = upload_artifact(
        artifact_store=store, file_path=str(model), study_or_trial=study, mimetype="app/x"
    )

    theirs = optuna.load_study(study_name="s", storage=url)
    their_store = optuna.artifacts.FileSystemArtifactStore(str(tmp_path / "store"))
    for ours, their_trial in zip(study.trials, theirs.trials):
        [their_meta] = optuna.artifacts.get_all_artifact_meta(their_trial, storage=theirs._storage)
        [our_meta] = get_all_artifact_meta(ours, storage=study._storage)
        assert _fields(their_meta) == _fields(our_meta)
        assert _fields(their_meta)[1:] == ("model.tar.gz", "application/x-tar", "gzip")
        target = tmp_path / f"optuna-{their_trial.number}"
        optuna.artifacts.download_artifact(
            artifact_store=their_store, file_path=str(target), artifact_id=their_meta.artifact_id
        )
        assert target.read_bytes() == model.read_bytes()
    [their_study_meta] = optuna.artifacts.get_all_artifact_meta(theirs)
    assert _fields(their_study_meta) == (study_artifact, "model.tar.gz", "app/x", "gzip")


def test_tansaku_reads_and_downloads_the_artifacts_optuna_wrote(
    tmp_path: Path, optuna: types.ModuleType
) -> None:
    url = f"sqlite:///{tmp_path / 'study.db'}"
    (tmp_path / "store").mkdir()
    their_store = optuna.artifacts.FileSystemArtifactStore(str(tmp_path / "store"))
    log = tmp_path / "train.txt"
    log.write_text("epoch 1: loss 0.5\n")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    theirs = optuna.create_study(study_name="s", storage=url)
    trial = theirs.ask()
    trial_artifact = optuna.artifacts.upload_artifact(
        artifact_store=their_store, file_path=str(log), study_or_trial=trial
    )
    theirs.tell(trial, 1.0)
    study_artifact = optuna.artifacts.upload_artifact(
        artifact_store=their_store, file_path=str(log), study_or_trial=theirs, encoding="utf-8"
    )

    study = tansaku.load_study(study_name="s", storage=url)
    [trial_meta] = get_all_artifact_meta(study.trials[0], storage=study._storage)
    [study_meta] = get_all_artifact_meta(study)
    assert _fields(trial_meta) == (trial_artifact, "train.txt", "text/plain", None)
    assert _fields(study_meta) == (study_artifact, "train.txt", "text/plain", "utf-8")
    store = FileSystemArtifactStore(tmp_path / "store")
    for artifact_id in (trial_artifact, study_artifact):
        target = tmp_path / f"tansaku-{artifact_id}"
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=artifact_id)
        assert target.read_text() == "epoch 1: loss 0.5\n"
