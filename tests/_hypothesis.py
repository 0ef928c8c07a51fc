"""How hypothesis runs in this suite.

``make test`` is a gate, so its searches are derandomized: every run draws the same examples and
passes or fails for a reason, never by luck, and no example database carries state between runs.
``make test-search`` sets ``TANSAKU_HYPOTHESIS=search`` to run the same properties as a long random
search (``SEARCH_FACTOR`` times the examples, a fresh seed each run, failures kept in the local
example database). Every failure a search finds is added to the gate as an explicit test.
"""

from __future__ import annotations

import os

from hypothesis import settings

PROFILE = os.environ.get("TANSAKU_HYPOTHESIS", "gate")
SEARCH_FACTOR = 20

settings.register_profile("gate", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("search", derandomize=False, deadline=None, print_blob=True)
if PROFILE not in ("gate", "search"):
    raise ValueError(f"TANSAKU_HYPOTHESIS must be 'gate' or 'search', got {PROFILE!r}.")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """The number of examples for a property that runs ``n`` in the gate."""
    return n * SEARCH_FACTOR if PROFILE == "search" else n
