"""Backoff retries a store whose operations fail the first times, and stops when they succeed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import pytest

import tansaku
from tansaku.artifacts import (
    Backoff,
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)


class FlakyStore:
    """A directory store whose every operation fails ``failures`` times before it runs.

    A write that fails has read part of its input first, as an upload cut off midway does.
    """

    def __init__(self, base_path: Path, failures: int) -> None:
        self.inner = FileSystemArtifactStore(base_path)
        self.failures = failures
        self.calls: list[str] = []

    def _fail_first(self, action: str) -> None:
        self.calls.append(action)
        if self.calls.count(action) <= self.failures:
            raise ConnectionError(f"{action} failed (call {len(self.calls)})")

    def open_reader(self, artifact_id: str) -> BinaryIO:
        self._fail_first("open_reader")
        return self.inner.open_reader(artifact_id)

    def write(self, artifact_id: str, content_body: BinaryIO) -> None:
        if self.calls.count("write") < self.failures:
            content_body.read(10)
        self._fail_first("write")
        self.inner.write(artifact_id, content_body)

    def remove(self, artifact_id: str) -> None:
        self._fail_first("remove")
        self.inner.remove(artifact_id)


def _backoff(store: FlakyStore, max_retries: int = 5) -> Backoff:
    return Backoff(store, max_retries=max_retries, min_delay=1e-4, max_delay=1e-3)


def test_each_operation_is_retried_until_it_succeeds(
    store_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    flaky = FlakyStore(store_dir, failures=2)
    store = _backoff(flaky)
    study = tansaku.create_study()
    artifact_id = upload_artifact(
        artifact_store=store, file_path=str(model_file), study_or_trial=study
    )
    target = tmp_path / "out.bin"
    download_artifact(artifact_store=store, file_path=str(target), artifact_id=artifact_id)
    # The retried write started from the beginning of the file, not where the failure left it.
    assert target.read_bytes() == model_file.read_bytes()
    store.remove(artifact_id)
    assert list(store_dir.iterdir()) == []
    # Three attempts each, the third succeeding; remove is not run again after it succeeded.
    assert flaky.calls == ["write"] * 3 + ["open_reader"] * 3 + ["remove"] * 3
    assert [m.artifact_id for m in get_all_artifact_meta(study)] == [artifact_id]


def test_the_last_failure_is_raised_after_max_retries(store_dir: Path) -> None:
    flaky = FlakyStore(store_dir, failures=10)
    with pytest.raises(ConnectionError, match="write failed"):
        _backoff(flaky, max_retries=3).write("a", io.BytesIO(b"x" * 20))
    assert flaky.calls == ["write"] * 3


def test_pauses_grow_exponentially_up_to_max_delay(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr("tansaku.artifacts._backoff.time.sleep", pauses.append)
    flaky = FlakyStore(store_dir, failures=10)
    store = Backoff(flaky, max_retries=6, multiplier=3, min_delay=0.5, max_delay=10)
    with pytest.raises(ConnectionError):
        store.remove("a")
    assert pauses == [0.5, 1.5, 4.5, 10, 10]


@pytest.mark.parametrize(
    ("argument", "value"),
    [("max_retries", 0), ("multiplier", 0), ("min_delay", 0), ("max_delay", 0.05)],
)
def test_backoff_arguments_are_checked(store_dir: Path, argument: str, value: float) -> None:
    with pytest.raises(ValueError, match=rf"Backoff\(\): {argument}={value!r} must be"):
        Backoff(FileSystemArtifactStore(store_dir), **{argument: value})  # type: ignore[arg-type]
