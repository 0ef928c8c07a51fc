"""Search spaces inferred from a study's history, for samplers that model params jointly."""

from tansaku.search_space._group_decomposed import _GroupDecomposedSearchSpace, _SearchSpaceGroup
from tansaku.search_space._intersection import IntersectionSearchSpace, intersection_search_space

__all__ = [
    "IntersectionSearchSpace",
    "_GroupDecomposedSearchSpace",
    "_SearchSpaceGroup",
    "intersection_search_space",
]
