"""Search spaces inferred from a study's history, for samplers that model params jointly."""

from tansaku.search_space._group_decomposed import _GroupDecomposedSearchSpace, _SearchSpaceGroup
from tansaku.search_space._intersection import IntersectionSearchSpace, intersection_search_space
from tansaku.search_space._transform import SearchSpaceTransform as _SearchSpaceTransform

__all__ = [
    "IntersectionSearchSpace",
    "_GroupDecomposedSearchSpace",
    "_SearchSpaceGroup",
    "_SearchSpaceTransform",
    "intersection_search_space",
]
