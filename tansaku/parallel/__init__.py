"""Run one study on many workers: local processes, a Dask cluster or a Ray cluster.

``Study.optimize(n_jobs=...)`` runs threads, which a pure-Python objective cannot use in
parallel; :func:`optimize` runs worker processes that share the study through its storage.
"""

from tansaku.parallel._optimize import optimize

__all__ = ["optimize"]
