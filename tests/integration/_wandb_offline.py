"""Read back what W&B wrote for offline runs (``WANDB_MODE=offline``), without a server.

An offline run is a directory ``<WANDB_DIR>/wandb/offline-run-<time>-<id>/`` whose
``run-<id>.wandb`` file holds the run's records (``wandb.proto.wandb_internal_pb2.Record``) in
W&B's LevelDB-style log: a 7-byte header (``:W&B``, magic, version), then 32 KiB blocks of
chunks, each with a 7-byte header (CRC32, little-endian length, kind) that says whether it holds
a whole record or its first, middle or last part. wandb 0.31 keeps no Python reader of its own.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wandb.proto import wandb_internal_pb2

_BLOCK = 32768
_CHUNK_HEADER = struct.Struct("<IHB")
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@dataclass
class OfflineRun:
    """The last state of one offline run, as its records leave it."""

    name: str = ""
    tags: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    # One dict per wandb.log call: the logged keys (W&B's own, starting with "_", left out)
    # and the step under "_step".
    history: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False


def offline_runs(wandb_dir: Path) -> list[OfflineRun]:
    """The offline runs under ``wandb_dir`` (WANDB_DIR), by start second (any order within one)."""
    files = sorted((wandb_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    return [_read_run(path) for path in files]


def _read_run(path: Path) -> OfflineRun:
    run = OfflineRun()
    for record in _records(path.read_bytes()):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.name = record.run.display_name
            run.tags = tuple(record.run.tags)
            run.config.update(_items(record.run.config.update))
        elif kind == "config":
            run.config.update(_items(record.config.update))
        elif kind == "history":
            row = {
                "/".join(item.nested_key) or item.key: json.loads(item.value_json)
                for item in record.history.item
            }
            run.history.append({k: v for k, v in row.items() if k == "_step" or k[0] != "_"})
        elif kind == "exit":
            run.finished = True
    return run


def _items(updates: Any) -> dict[str, Any]:
    return {item.key: json.loads(item.value_json) for item in updates if item.key != "_wandb"}


def _records(data: bytes) -> Iterator[wandb_internal_pb2.Record]:
    assert data[:4] == b":W&B", f"not a W&B run file: {data[:7]!r}"
    position, pending = 7, b""
    while position + _CHUNK_HEADER.size <= len(data):
        left_in_block = _BLOCK - position % _BLOCK
        if left_in_block < _CHUNK_HEADER.size:  # the block's zero padding
            position += left_in_block
            continue
        _, length, kind = _CHUNK_HEADER.unpack_from(data, position)
        start = position + _CHUNK_HEADER.size
        chunk, position = data[start : start + length], start + length
        if kind == _FULL:
            yield _parse(chunk)
        elif kind in (_FIRST, _MIDDLE):
            pending += chunk
        elif kind == _LAST:
            yield _parse(pending + chunk)
            pending = b""
        else:  # zeros up to the end of a block that the writer had not filled
            position += _BLOCK - position % _BLOCK


def _parse(raw: bytes) -> wandb_internal_pb2.Record:
    record = wandb_internal_pb2.Record()
    record.ParseFromString(raw)
    return record
