"""The gradient-boosting frameworks import where the integration tests run.

Their test modules skip themselves at import when the framework is missing (so that ``make
test``, which does not install them, can collect them): this makes a missing one fail ``make
test-integrations`` under CI instead of passing it by skipping. The other integrations' tests
import their framework in a fixture that fails under CI already.
"""

from __future__ import annotations

import pytest

from tests.integration._frameworks import require

pytestmark = pytest.mark.integrations

FRAMEWORKS = [("lightgbm", "lightgbm"), ("xgboost", "xgboost"), ("catboost", "catboost")]


@pytest.mark.parametrize(("module", "extra"), FRAMEWORKS)
def test_the_framework_is_installed(module: str, extra: str) -> None:
    assert require(module, extra).__name__ == module
