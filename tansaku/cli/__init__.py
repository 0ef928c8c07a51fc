"""The ``tansaku`` command line (``tansaku ...`` or ``python -m tansaku ...``).

Optuna's commands with the same names, options and output (``create-study``, ``studies``,
``trials``, ``ask``, ``tell``, ``storage upgrade``, ...), and tansaku's own: ``copy``
(copy or merge studies between storages), ``report`` (one HTML page) and ``dashboard``.
Run ``tansaku --help`` or ``tansaku COMMAND --help``.

``import tansaku`` does not load this package; the console script and ``python -m tansaku``
do.
"""

from __future__ import annotations

from tansaku.cli._main import main

__all__ = ["main"]
