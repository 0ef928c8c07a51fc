"""Uploading and downloading artifacts through a directory store, on every storage backend."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import tansaku
from tansaku.artifacts import (
    ArtifactMeta,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from tansaku.artifacts.exceptions import ArtifactNotFound
from tansaku.exceptions import TansakuError, UpdateFinishedTrialError
from tansaku.storages import BaseStorage, InMemoryStorage
from tests.storages._contract_backends import contract_storage  # noqa: F401  (fixture)


def test_round_trip_on_every_storage(
    storage: BaseStorage, store_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    store = FileSystemArtifactStore(store_dir)
    study = tansaku.create_study(storage=storage)
    trial = study.ask()
    trial_artifact = upload_artifact(
        artifact_store=store, file_path=str(model_file), study_or_trial=trial
    )
    study.tell(trial, 1.0)
    study_artifact = upload_artifact(
        artifact_store=store, file_path=str(model_file), study_or_trial=study, mimetype="x/y"
    )

    frozen = study.trials[0]
    assert get_all_artifact_meta(frozen, storage=storage) == [
        ArtifactMeta(trial_artifact, "model.bin", "application/octet-stream", None)
    ]
    assert get_all_artifact_meta(study) == [ArtifactMeta(study_artifact, "model.bin", "x/y", None)]
    for artifact_id in (trial_artifact, study_artifact):
        target = tmp_path / f"{artifact_id}.bin"
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=artifact_id)
        assert target.read_bytes() == model_file.read_bytes()


def test_metadata_is_a_json_string_under_optunas_key(store_dir: Path, model_file: Path) -> None:
    study = tansaku.create_study()
    trial = study.ask()
    artifact_id = upload_artifact(
        artifact_store=FileSystemArtifactStore(store_dir),
        file_path=str(model_file),
        study_or_trial=trial,
        encoding="gzip",
    )
    value = study._storage.get_trial_system_attrs(trial._trial_id)[f"artifacts:{artifact_id}"]
    assert isinstance(value, str)
    assert json.loads(value) == {
        "artifact_id": artifact_id,
        "filename": "model.bin",
        "mimetype": "application/octet-stream",
        "encoding": "gzip",
    }
    assert os.listdir(store_dir) == [artifact_id]
    # The running trial's own view shows the attr without a new read.
    assert f"artifacts:{artifact_id}" in trial.system_attrs


@pytest.mark.parametrize(
    ("filename", "mimetype", "encoding"),
    [
        ("table.csv", "text/csv", None),
        ("archive.tar.gz", "application/x-tar", "gzip"),
        ("no_extension", "application/octet-stream", None),
    ],
)
def test_mimetype_and_encoding_are_guessed_from_the_file_name(
    tmp_path: Path, store_dir: Path, filename: str, mimetype: str, encoding: str | None
) -> None:
    path = tmp_path / filename
    path.write_bytes(b"x")
    study = tansaku.create_study()
    upload_artifact(
        artifact_store=FileSystemArtifactStore(store_dir),
        file_path=str(path),
        study_or_trial=study,
    )
    [meta] = get_all_artifact_meta(study)
    assert (meta.filename, meta.mimetype, meta.encoding) == (filename, mimetype, encoding)


# -- bad input: a clear error at the call, nothing written ----------------------------------------


@pytest.mark.parametrize("missing", ["does_not_exist.bin", "."])
def test_upload_of_a_path_that_is_not_a_file_writes_nothing(
    store_dir: Path, tmp_path: Path, missing: str
) -> None:
    study = tansaku.create_study()
    trial = study.ask()
    path = str(tmp_path / missing)
    with pytest.raises(FileNotFoundError, match=r"upload_artifact\(\): file_path=.*(exist|dir)"):
        upload_artifact(
            artifact_store=FileSystemArtifactStore(store_dir), file_path=path, study_or_trial=trial
        )
    assert os.listdir(store_dir) == []
    assert get_all_artifact_meta(trial) == []


def test_upload_to_a_finished_trial_writes_nothing(store_dir: Path, model_file: Path) -> None:
    study = tansaku.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    frozen = study.trials[0]
    with pytest.raises(UpdateFinishedTrialError, match="trial 0 has finished"):
        upload_artifact(
            artifact_store=FileSystemArtifactStore(store_dir),
            file_path=str(model_file),
            study_or_trial=frozen,
            storage=study._storage,
        )
    assert os.listdir(store_dir) == []
    assert get_all_artifact_meta(frozen, storage=study._storage) == []


@pytest.mark.parametrize("wrong", ["my_study", 3, None, tansaku.trial.FixedTrial({})])
def test_study_or_trial_of_the_wrong_kind_is_a_type_error(
    store_dir: Path, model_file: Path, wrong: object
) -> None:
    message = r"study_or_trial must be a Trial, FrozenTrial or Study, got"
    with pytest.raises(TypeError, match=r"upload_artifact\(\): " + message):
        upload_artifact(
            artifact_store=FileSystemArtifactStore(store_dir),
            file_path=str(model_file),
            study_or_trial=wrong,  # type: ignore[arg-type]
        )
    with pytest.raises(TypeError, match=r"get_all_artifact_meta\(\): " + message):
        get_all_artifact_meta(wrong)  # type: ignore[arg-type]
    assert os.listdir(store_dir) == []


def test_a_frozen_trial_needs_its_storage(store_dir: Path, model_file: Path) -> None:
    study = tansaku.create_study()
    study.ask()
    frozen = study.trials[0]
    with pytest.raises(ValueError, match="storage=None must be given with a FrozenTrial"):
        get_all_artifact_meta(frozen)
    with pytest.raises(ValueError, match="storage=None must be given with a FrozenTrial"):
        upload_artifact(
            artifact_store=FileSystemArtifactStore(store_dir),
            file_path=str(model_file),
            study_or_trial=frozen,
        )
    # A running trial given as a FrozenTrial, with its storage, takes the artifact.
    upload_artifact(
        artifact_store=FileSystemArtifactStore(store_dir),
        file_path=str(model_file),
        study_or_trial=frozen,
        storage=study._storage,
    )
    assert len(get_all_artifact_meta(frozen, storage=study._storage)) == 1


def test_download_of_an_unknown_id_raises_and_writes_nothing(
    store_dir: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    with pytest.raises(ArtifactNotFound, match="artifact_id='nope' was not found"):
        download_artifact(
            artifact_store=FileSystemArtifactStore(store_dir),
            file_path=str(target),
            artifact_id="nope",
        )
    assert not target.exists()
    assert sorted(os.listdir(tmp_path)) == ["store"]  # no partial file left behind
    assert issubclass(ArtifactNotFound, TansakuError)


def test_download_never_overwrites_a_file(
    store_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    store = FileSystemArtifactStore(store_dir)
    artifact_id = upload_artifact(
        artifact_store=store, file_path=str(model_file), study_or_trial=tansaku.create_study()
    )
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    with pytest.raises(FileExistsError, match="file_path=.*exists already"):
        download_artifact(artifact_store=store, file_path=str(existing), artifact_id=artifact_id)
    assert existing.read_text() == "keep me"
    with pytest.raises(FileNotFoundError, match="which does not exist"):
        download_artifact(
            artifact_store=store, file_path=str(tmp_path / "no" / "x"), artifact_id=artifact_id
        )


@pytest.mark.parametrize("artifact_id", ["../outside", "a/b", "..", ""])
def test_directory_store_rejects_ids_that_leave_its_directory(
    store_dir: Path, artifact_id: str
) -> None:
    store = FileSystemArtifactStore(store_dir)
    with pytest.raises(ValueError, match="artifact_id=.* must be a plain file name"):
        store.open_reader(artifact_id)
    with pytest.raises(ValueError, match="artifact_id=.* must be a plain file name"):
        store.remove(artifact_id)


def test_directory_store_names_a_missing_base_path(tmp_path: Path, model_file: Path) -> None:
    store = FileSystemArtifactStore(tmp_path / "absent")
    study = tansaku.create_study(storage=InMemoryStorage())
    with pytest.raises(FileNotFoundError, match="base_path=.*must be an existing directory"):
        upload_artifact(artifact_store=store, file_path=str(model_file), study_or_trial=study)
    assert get_all_artifact_meta(study) == []


def test_directory_store_remove(store_dir: Path, model_file: Path) -> None:
    store = FileSystemArtifactStore(store_dir)
    artifact_id = upload_artifact(
        artifact_store=store, file_path=str(model_file), study_or_trial=tansaku.create_study()
    )
    store.remove(artifact_id)
    assert os.listdir(store_dir) == []
    with pytest.raises(ArtifactNotFound):
        store.remove(artifact_id)
