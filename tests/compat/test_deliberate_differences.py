"""The list of deliberate differences stays complete and true: each entry has every field and
names a case that the compat suites run (which then checks the recorded observations)."""

from __future__ import annotations

from tests.compat import test_behaviour, test_behaviour_samplers, test_exception_types
from tests.compat._observe import load_differences


def test_every_deliberate_difference_names_a_case_that_runs() -> None:
    suites = [
        set(s.CASES) for s in (test_behaviour, test_behaviour_samplers, test_exception_types)
    ]
    cases = set().union(*suites)
    assert len(cases) == sum(map(len, suites)), "a case id is used by two suites"
    unknown = sorted(set(load_differences()) - cases)
    assert not unknown, f"deliberate differences without a case: {unknown}"
