"""NSGA-II's genetic operators: crossovers and mutations for the NSGA samplers.

They are passed to :class:`~tansaku.samplers.NSGAIISampler` and
:class:`~tansaku.samplers.NSGAIIISampler` as ``crossover=`` and ``mutation=``.
"""

from tansaku.samplers.nsgaii._crossovers import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from tansaku.samplers.nsgaii._mutations import BaseMutation, PolynomialMutation

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseMutation",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]
