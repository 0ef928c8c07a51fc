"""Storages: where studies and trials are kept."""

from tansaku.storages._base import BaseStorage
from tansaku.storages._frozen_study import FrozenStudy
from tansaku.storages._in_memory import InMemoryStorage
from tansaku.storages._resolve import get_storage

__all__ = ["BaseStorage", "FrozenStudy", "InMemoryStorage", "get_storage"]
