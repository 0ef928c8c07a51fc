"""The one way in-process caches of the study's history survive an exception mid-update.

Samplers, pruners and search spaces keep in memory what they folded from a study's trials
(a cursor over the finished trials and what was built from them), so that a call costs what is
new, not the whole history. Such an update takes many steps; an exception can land between
any two of them: a ``KeyboardInterrupt`` (Ctrl-C lands at any bytecode), an error from a
user's ``constraints_func`` or strategy, a storage error. The cache is then half updated (a
trial handed out by the cursor but never folded in, arrays of one length and counts of
another), and stays wrong for every later trial of the process.

Storage is the truth and every such cache can be rebuilt from it, so the remedy is the same
everywhere: run the update inside :class:`forget_on_escape`, which drops the cache when
anything escapes; the next call rebuilds it from the storage, as a fresh process would.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any


class forget_on_escape:  # lower case: used like a function, as contextlib.suppress
    """Run a block that updates a cache; call ``forget(*args)`` if anything escapes it.

    Any ``BaseException`` counts (an interrupt above all); it is re-raised unchanged. Cheap
    enough for every ask: one small object and two calls, nothing when nothing escapes.

    Args:
        forget: Drops the cache, e.g. ``self._states.pop`` or a ``_reset`` method.
        *args: Passed to ``forget``, e.g. ``(key, None)`` for ``dict.pop``.

    Example:
        >>> with self._lock, forget_on_escape(self._states.pop, key, None):
        ...     state = self._state(study)
        ...     state.refresh(study)
    """

    __slots__ = ("_forget", "_args")

    def __init__(self, forget: Callable[..., Any], *args: Any) -> None:
        self._forget = forget
        self._args = args

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self._forget(*self._args)
