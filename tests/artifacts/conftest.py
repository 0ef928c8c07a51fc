"""Fixtures for the artifact tests: a real S3-compatible server on loopback, files to upload."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.storages._server_common import ServerUnavailableError, free_port, wait_for_port
from tests.storages.servers import unavailable


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of moto's standalone S3 server, run as its own process for the session.

    Skipped when moto cannot start, except under CI=true, where that is a failure.
    """
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
        unavailable("the S3 tests need moto[server] and boto3: pip install -e '.[dev]'")
    log = (tmp_path_factory.mktemp("moto") / "server.log").open("wb")
    process = None
    for _ in range(3):  # another process may take the free port first
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, process, "moto.server")
            break
        except ServerUnavailableError as error:
            process.kill()
            process.wait()
            reason = str(error)
            process = None
    if process is None:
        log.close()
        unavailable(f"moto's S3 server could not start: {reason}")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    """A boto3 S3 client of the loopback server (moto accepts any credentials)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def s3_bucket(s3_client: Any) -> str:
    """A new empty bucket on the loopback server."""
    name = f"tansaku-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """An empty directory for a FileSystemArtifactStore."""
    directory = tmp_path / "store"
    directory.mkdir()
    return directory


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """A small binary file to upload, with bytes of every value."""
    path = tmp_path / "model.bin"
    path.write_bytes(bytes(range(256)) * 40)
    return path
