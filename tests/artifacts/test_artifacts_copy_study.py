"""Artifacts stay reachable after copy_study, whichever storage the copy goes to."""

from __future__ import annotations

from pathlib import Path

import tansaku
from tansaku.artifacts import (
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from tansaku.storages import BaseStorage, RDBStorage
from tests.storages._contract_backends import contract_storage  # noqa: F401  (fixture)


def test_artifacts_survive_copy_study(
    storage: BaseStorage, store_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    store = FileSystemArtifactStore(store_dir)
    source = RDBStorage(f"sqlite:///{tmp_path / 'source.db'}")
    study = tansaku.create_study(storage=source, study_name="with-artifacts")
    trial = study.ask()
    upload_artifact(artifact_store=store, file_path=str(model_file), study_or_trial=trial)
    study.tell(trial, 0.5)
    upload_artifact(artifact_store=store, file_path=str(model_file), study_or_trial=study)

    tansaku.copy_study(from_study_name="with-artifacts", from_storage=source, to_storage=storage)
    copy = tansaku.load_study(study_name="with-artifacts", storage=storage)
    [study_meta] = get_all_artifact_meta(copy)
    [trial_meta] = get_all_artifact_meta(copy.trials[0], storage=storage)
    assert study_meta == get_all_artifact_meta(study)[0]
    assert trial_meta == get_all_artifact_meta(study.trials[0], storage=source)[0]
    for meta in (study_meta, trial_meta):
        target = tmp_path / meta.artifact_id
        download_artifact(
            artifact_store=store, file_path=str(target), artifact_id=meta.artifact_id
        )
        assert target.read_bytes() == model_file.read_bytes()
