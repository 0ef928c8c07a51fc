"""Boto3ArtifactStore against moto's S3 server, a real HTTP server on loopback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.artifacts import (
    Backoff,
    Boto3ArtifactStore,
    GCSArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)
from tansaku.artifacts.exceptions import ArtifactNotFound


@pytest.mark.parametrize("avoid_buf_copy", [False, True])
def test_round_trip_through_s3(
    s3_client: Any, s3_bucket: str, model_file: Path, tmp_path: Path, avoid_buf_copy: bool
) -> None:
    store = Boto3ArtifactStore(s3_bucket, s3_client, avoid_buf_copy=avoid_buf_copy)
    study = tansaku.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")

    def objective(trial: tansaku.Trial) -> float:
        upload_artifact(artifact_store=store, file_path=str(model_file), study_or_trial=trial)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=2)
    for trial in study.trials:
        [meta] = get_all_artifact_meta(trial, storage=study._storage)
        stored = s3_client.get_object(Bucket=s3_bucket, Key=meta.artifact_id)["Body"].read()
        assert stored == model_file.read_bytes()
        target = tmp_path / f"trial{trial.number}.bin"
        download_artifact(
            artifact_store=store, file_path=str(target), artifact_id=meta.artifact_id
        )
        assert target.read_bytes() == model_file.read_bytes()


def test_s3_unknown_id_is_artifact_not_found(
    s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    store = Boto3ArtifactStore(s3_bucket, s3_client)
    with pytest.raises(ArtifactNotFound, match=f"'nope' was not found in S3 bucket '{s3_bucket}'"):
        download_artifact(artifact_store=store, file_path=str(tmp_path / "x"), artifact_id="nope")
    assert not (tmp_path / "x").exists()
    # Backoff passes ArtifactNotFound on at once rather than retrying it.
    with pytest.raises(ArtifactNotFound):
        Backoff(store, max_retries=3, min_delay=1e-3, max_delay=2e-3).open_reader("nope")


def test_s3_remove(s3_client: Any, s3_bucket: str, model_file: Path) -> None:
    store = Boto3ArtifactStore(s3_bucket, s3_client)
    artifact_id = upload_artifact(
        artifact_store=store, file_path=str(model_file), study_or_trial=tansaku.create_study()
    )
    store.remove(artifact_id)
    with pytest.raises(ArtifactNotFound):
        store.open_reader(artifact_id)


def test_stores_name_the_missing_client_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # makes `import boto3` fail
    with pytest.raises(ImportError, match=r"Boto3ArtifactStore needs boto3: pip install"):
        Boto3ArtifactStore("bucket")
    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)
    with pytest.raises(ImportError, match=r"GCSArtifactStore needs google-cloud-storage"):
        GCSArtifactStore("bucket")
