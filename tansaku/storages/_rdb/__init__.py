"""RDBStorage: studies in SQLite, PostgreSQL or MySQL, in Optuna's table layout."""

from tansaku.storages._rdb._storage import RDBStorage

__all__ = ["RDBStorage"]
