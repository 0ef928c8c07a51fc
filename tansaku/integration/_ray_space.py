"""Ray Tune search spaces as tansaku distributions, and tansaku params back as Ray configs.

A Ray ``param_space`` is a nested dict whose leaves are domains (``tune.uniform``,
``tune.randint``, ...) or constants. Each domain becomes one tansaku distribution named by its
path joined with ``/`` (``{"model": {"lr": ...}}`` -> ``"model/lr"``), the delimiter Ray uses
for flattened configs; constants are left to Ray, which merges them into every trial's config.

Bounds follow Ray's documented semantics, so a tansaku trial draws from the same set of values
Ray's own sampler would: ``randint`` and ``lograndint`` exclude ``upper``, ``qrandint`` and the
quantized floats include it and hold the multiples of ``q`` between the bounds.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from tansaku._internal.validation import invalid
from tansaku.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

DELIMITER = "/"
_WHERE = "TansakuSearch"


def distributions_from_ray_space(space: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    """Convert the domains of a Ray Tune ``param_space`` to tansaku distributions by path.

    Raises:
        ValueError: a domain has no tansaku equivalent (``tune.randn``, ``tune.sample_from``,
            ``tune.grid_search``, quantized log domains) or empty bounds; the message names
            the parameter's path.
    """
    from ray.tune.search.sample import Domain

    distributions: dict[str, BaseDistribution] = {}
    for path, value in _leaves(space, ""):
        if isinstance(value, Domain):
            distributions[path] = _convert(path, value)
        elif isinstance(value, (list, tuple)) and any(isinstance(v, Domain) for v in value):
            raise invalid(
                _WHERE,
                f"space[{path!r}]",
                value,
                "holds a Ray domain inside a list: put domains in nested dicts",
            )
    return distributions


def has_ray_domains(space: Mapping[str, Any]) -> bool:
    """Whether ``space`` holds anything Ray would have to resolve (domains or grid searches)."""
    from ray.tune.search.sample import Domain

    return any(isinstance(value, Domain) for _, value in _leaves(space, ""))


def config_from_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Nest flat ``/``-joined param names back into the dict shape of Ray's ``param_space``."""
    config: dict[str, Any] = {}
    for name, value in params.items():
        *parents, leaf = name.split(DELIMITER)
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return config


def _leaves(space: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in space.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "grid_search" in value:
            raise invalid(
                _WHERE,
                f"space[{path!r}]",
                dict(value),
                "is a grid search, which a searcher cannot suggest: use tune.choice, or "
                "tansaku's GridSampler with a define-by-run space",
            )
        if isinstance(value, Mapping):
            yield from _leaves(value, f"{path}{DELIMITER}")
        else:
            yield path, value


def _convert(path: str, domain: Any) -> BaseDistribution:
    from ray.tune.search.sample import (
        Categorical,
        Float,
        Integer,
        LogUniform,
        Quantized,
        Uniform,
    )

    where = f"{_WHERE}: space[{path!r}]"
    sampler = domain.get_sampler()
    q = None
    if isinstance(sampler, Quantized):
        q = sampler.q
        sampler = sampler.get_sampler()
    log = isinstance(sampler, LogUniform)
    if isinstance(domain, Categorical) and isinstance(sampler, Uniform):
        try:
            return CategoricalDistribution(list(domain.categories))
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: tune.choice categories are not usable: {error}") from None
    if not isinstance(domain, (Float, Integer)) or not isinstance(sampler, (Uniform, LogUniform)):
        raise ValueError(
            f"{where}: the Ray domain {domain.domain_str} with sampler {sampler} has no tansaku "
            "distribution; use uniform, loguniform, quniform, randint, lograndint, qrandint "
            "or choice, or a define-by-run space"
        )
    if log and q is not None and q != 1:
        raise ValueError(
            f"{where}: a quantized log domain (q={q!r}) has no tansaku distribution (log and "
            "step cannot be combined); use loguniform / lograndint, or a define-by-run space"
        )
    if isinstance(domain, Integer):
        low, high = int(domain.lower), int(domain.upper)
        if q is None or q == 1:
            # randint / lograndint / qrandint(q=1): the upper bound is exclusive.
            return _build(where, IntDistribution, low, high - 1, log=log)
        step = int(q)
        return _build(
            where,
            IntDistribution,
            math.ceil(low / step) * step,
            math.floor(high / step) * step,
            step=step,
        )
    if q is None:
        return _build(where, FloatDistribution, float(domain.lower), float(domain.upper), log=log)
    # Ray requires both float bounds to be multiples of q (within rounding), so they are the
    # grid's ends; dividing again here could round 0.3 / 0.1 down to 2.
    return _build(where, FloatDistribution, float(domain.lower), float(domain.upper), step=q)


def _build(where: str, cls: type[BaseDistribution], low: Any, high: Any, **kwargs: Any) -> Any:
    if low > high:
        raise ValueError(
            f"{where}: the domain holds no value (from {low!r} to {high!r} after Ray's bounds "
            "and quantization)"
        )
    try:
        return cls(low, high, **kwargs)  # type: ignore[call-arg]
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
