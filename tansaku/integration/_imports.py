"""The one error an adapter raises when its framework is not installed."""

from __future__ import annotations


def missing_framework(module: str, requirement: str, extra: str) -> ImportError:
    """An ImportError that names the adapter, the package it needs and the tansaku extra.

    Args:
        module: The adapter's module, as users import it (``tansaku.integration.lightgbm``).
        requirement: What to install for it, as pip takes it (``lightgbm``).
        extra: tansaku's extra that installs it (``lightgbm``).

    Adapters raise it ``from`` the original ImportError, so the missing module stays visible.
    """
    return ImportError(
        f'{module} needs {requirement}: pip install "{requirement}" '
        f'(or pip install "tansaku[{extra}]")'
    )
