"""The one path by which samplers and pruners write state they share across trials and processes.

Samplers and pruners hold no storage of their own. What they must remember beyond one call
(a pruner's rung values, a sampler's constraint values, an evolutionary optimizer's state, a
quasi-random sequence's position) goes into the current trial's or the study's *system attrs*,
which every storage persists and every worker of the study reads back with the trials.

Values must be JSON: numbers, strings, booleans, None, and lists and str-keyed dicts of them.
They are checked here, at the write that would store them, so a sampler can never leave
something a storage cannot read back (nothing is pickled). Third-party samplers may call these
functions too; Optuna-style samplers that write through ``study._storage`` keep working.

A value whose JSON is longer than MySQL's ``TEXT`` column holds (65,535 bytes; CMA-ES's state
beyond about 70 params, a large population's ids) is stored in parts, on every storage, so
that a study moves between storages unchanged: the JSON text is cut into pieces, each stored
under ``<key>:part:<digest>:<i>``, and ``key`` then holds ``{"tansaku.parts": n, "digest":
digest}``, written after its parts, so a reader never sees a head whose parts are not all
there. The digest (of the whole text) keeps apart the parts of two values written under one key
by two workers. A value is read back, its parts joined, with :func:`read`; parts of a value
since overwritten stay in the storage unread.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tansaku.study import Study

# Floats include NaN and the infinities, which every storage reads back as written.
_SCALARS = (str, int, float, bool, type(None))
# The longest JSON text (ASCII: non-ASCII characters are escaped) stored under one key: what a
# TEXT column holds on MySQL and MariaDB, in bytes.
MAX_STORED_CHARS = 65_535
# Characters of the JSON text per part: stored as a JSON string, a part grows by its quotes
# and at most doubles (only '"' and '\\' are escaped again), so it fits in MAX_STORED_CHARS.
PART_CHARS = 32_000
PARTS_KEY = "tansaku.parts"


def set_trial_system_attr(study: Study, trial_id: int, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` in the system attrs of the trial with ``trial_id``.

    Raises:
        TypeError: ``key`` is not a str, or ``value`` is not JSON.
        tansaku.exceptions.UpdateFinishedTrialError: the trial has finished.
    """
    _check(key, value)
    for part_key, part in _parts(key, value):
        study._storage.set_trial_system_attr(trial_id, part_key, part)


def set_study_system_attr(study: Study, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` in the system attrs of ``study``.

    Raises:
        TypeError: ``key`` is not a str, or ``value`` is not JSON.
    """
    _check(key, value)
    for part_key, part in _parts(key, value):
        study._storage.set_study_system_attr(study._study_id, part_key, part)


def read(system_attrs: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """The value stored under ``key`` in ``system_attrs`` (a study's or a trial's), its parts
    joined when it was stored in parts; ``default`` when there is none, or when its parts are
    missing or do not match their digest (e.g. only some were copied)."""
    value = system_attrs.get(key, default)
    if not (isinstance(value, dict) and PARTS_KEY in value):
        return value
    try:
        n_parts, digest = int(value[PARTS_KEY]), str(value["digest"])
        text = "".join(system_attrs[_part_key(key, digest, i)] for i in range(n_parts))
    except (KeyError, TypeError, ValueError):
        return default
    if _digest(text) != digest:
        return default
    return json.loads(text)


def _parts(key: str, value: Any) -> list[tuple[str, Any]]:
    """The (key, value) writes that store ``value`` under ``key``, in order: the value itself,
    or its parts and then the head that names them."""
    if isinstance(value, (int, float, bool, type(None))):
        return [(key, value)]
    if isinstance(value, str) and 6 * len(value) + 2 <= MAX_STORED_CHARS:
        return [(key, value)]  # even with every character escaped, short enough
    text = json.dumps(value)  # the text a storage writes (ASCII, NaN as NaN)
    if len(text) <= MAX_STORED_CHARS:
        return [(key, value)]
    digest = _digest(text)
    pieces = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)]
    writes: list[tuple[str, Any]] = [
        (_part_key(key, digest, i), piece) for i, piece in enumerate(pieces)
    ]
    writes.append((key, {PARTS_KEY: len(pieces), "digest": digest}))
    return writes


def _part_key(key: str, digest: str, index: int) -> str:
    return f"{key}:part:{digest}:{index}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("ascii"), digest_size=8).hexdigest()


def _check(key: str, value: Any) -> None:
    if not isinstance(key, str):
        raise TypeError(f"A system attr key must be a str, got {key!r} ({type(key).__name__}).")
    where = _first_non_json(value)
    if where is not None:
        path, bad = where
        raise TypeError(
            f"System attr {key!r} must be JSON (numbers, str, bool, None, lists and str-keyed "
            f"dicts); {path} is {bad!r} ({type(bad).__name__})."
        )


def _first_non_json(value: Any, path: str = "the value") -> tuple[str, Any] | None:
    """The path and value of the first part of ``value`` that JSON cannot hold, or None."""
    if isinstance(value, _SCALARS):
        return None
    # A scalar item is passed over before its path is formatted: most items are scalars,
    # and the formatting was most of the check of a sampler's state (CMA-ES's, each generation).
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if isinstance(item, _SCALARS):
                continue
            found = _first_non_json(item, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        for k, item in value.items():
            if not isinstance(k, str):
                return (f"a key of {path}", k)
            if isinstance(item, _SCALARS):
                continue
            found = _first_non_json(item, f"{path}[{k!r}]")
            if found is not None:
                return found
        return None
    return (path, value)
