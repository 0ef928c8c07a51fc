"""Distribution JSON of every form Optuna reads is read by tansaku to the same distribution."""

from __future__ import annotations

import types

import pytest

import tansaku

# The short form older Optuna versions wrote (old databases hold it), with optional fields left
# out or given, and the full form Optuna 5.0 writes.
TEXTS = [
    '{"type": "int", "low": 1, "high": 9}',
    '{"type": "int", "low": 1, "high": 64, "log": true}',
    '{"type": "int", "low": 1, "high": 9, "step": 2, "log": false}',
    '{"type": "int", "low": 1, "high": 9, "step": null}',
    '{"type": "float", "low": 0.1, "high": 1, "log": true}',
    '{"type": "float", "low": 0, "high": 1, "step": 0.1}',
    '{"type": "float", "low": 0.1, "high": 1, "log": true, "step": null}',
    '{"type": "categorical", "choices": ["a", 1, null, 2.5, true]}',
    '{"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0, "log": false, '
    '"step": null}}',
    '{"name": "IntDistribution", "attributes": {"low": 1, "high": 9, "log": false, "step": 2}}',
    '{"name": "CategoricalDistribution", "attributes": {"choices": ["x", null]}}',
    '{"name": "UniformDistribution", "attributes": {"low": 0.0, "high": 1.0}}',
    '{"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 4, "step": 2}}',
]


@pytest.mark.parametrize("text", TEXTS)
def test_json_is_read_as_optuna_reads_it(text: str, optuna: types.ModuleType) -> None:
    theirs = optuna.distributions.json_to_distribution(text)
    ours = tansaku.distributions.json_to_distribution(text)
    assert type(ours).__name__ == type(theirs).__name__
    assert repr(ours) == repr(theirs)
    # And tansaku writes it back in the full form Optuna reads to the same distribution.
    written = tansaku.distributions.distribution_to_json(ours)
    assert repr(optuna.distributions.json_to_distribution(written)) == repr(theirs)


@pytest.mark.parametrize(
    "text", ['{"type": "unknown", "low": 0, "high": 1}', '{"type": "float", "low": 1, "high": 0}']
)
def test_a_short_form_that_optuna_refuses_is_refused(text: str, optuna: types.ModuleType) -> None:
    with pytest.raises(ValueError):
        optuna.distributions.json_to_distribution(text)
    with pytest.raises(ValueError):
        tansaku.distributions.json_to_distribution(text)
