"""Functional ANOVA of a random forest, computed exactly from the trees' arrays.

Hutter, Hoos and Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter Importance",
ICML 2014. A regression tree is a piecewise-constant function ``f``: leaf ``l`` holds the value
``v_l`` on an axis-aligned box. Under the uniform measure on the search space (a box with side
``R_j`` in column ``j``), a leaf covers the fraction ``p_l = prod_j r_lj`` of it, where ``r_lj``
is the share of ``R_j`` spanned by the box. Then (Sec. 3)

    mean        mu  = sum_l p_l v_l
    variance    V   = sum_l p_l (v_l - mu)^2
    marginal    f_S(x_S) = sum_l (v_l - mu) p_l / prod_{j in S} r_lj * [x_S in box_l]
    importance  V_S / V with V_S = E[f_S(x_S)^2]

The marginal ``f_S`` is constant on the cells that the tree's split thresholds of the columns
in ``S`` cut the domain into, so ``V_S`` is a sum over those cells weighted by their size.
For one column this is a range update per leaf (each leaf adds its weight to the contiguous run
of cells its box spans): a difference array and one cumulative sum over every (tree, column)
at once. A categorical param spans several one-hot columns; its cells are the product of the
columns' cells, a handful per tree.

Leaf boxes are found level by level over all trees together, as integer cell indices, so no
Python loop runs per node, per sample or per grid point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Above this many cells in the product of a param's grids, its variance is computed pairwise.
_MAX_PRODUCT_CELLS = 4096


@dataclass(frozen=True)
class LeafBoxes:
    """The leaves of all trees with their boxes, in cells of each (tree, column) grid."""

    tree: np.ndarray
    """Tree of each leaf: (n_leaves,)."""
    value: np.ndarray
    """Prediction of each leaf: (n_leaves,)."""
    low: np.ndarray
    """First cell of the leaf's box in each column: (n_leaves, n_columns)."""
    high: np.ndarray
    """One past the last cell of the box in each column: (n_leaves, n_columns)."""
    edges: np.ndarray
    """Cell boundaries of every (tree, column) grid, one grid after another: (n_edges,)."""
    edge_start: np.ndarray
    """Where the boundaries of grid ``tree * n_columns + column`` start: (n_grids,)."""
    n_cells: np.ndarray
    """Cells of each grid, the number of distinct thresholds plus one: (n_grids,)."""


def leaf_boxes(estimators: Sequence[Any], bounds: np.ndarray) -> LeafBoxes:
    """The leaves and boxes of fitted scikit-learn regression trees.

    Args:
        estimators: Fitted trees (``forest.estimators_``); each has ``tree_`` arrays.
        bounds: The domain of each column, (n_columns, 2).
    """
    n_trees, n_columns = len(estimators), len(bounds)
    trees = [estimator.tree_ for estimator in estimators]
    sizes = np.array([tree.node_count for tree in trees])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])  # first node of each tree: (n_trees,)
    tree_of = np.repeat(np.arange(n_trees), sizes)  # (n_nodes,)
    feature = np.concatenate([tree.feature for tree in trees]).astype(np.intp)
    threshold = np.concatenate([tree.threshold for tree in trees])
    left = np.concatenate([tree.children_left for tree in trees]) + np.repeat(offsets, sizes)
    right = np.concatenate([tree.children_right for tree in trees]) + np.repeat(offsets, sizes)
    value = np.concatenate([tree.value.reshape(tree.node_count, -1)[:, 0] for tree in trees])

    # Each grid's cell boundaries: its column's bounds and the distinct thresholds between.
    split = np.flatnonzero(feature >= 0)
    grid = tree_of[split] * n_columns + feature[split]  # (n_splits,)
    cut = np.clip(threshold[split], bounds[feature[split], 0], bounds[feature[split], 1])
    order = np.lexsort((cut, grid))
    is_new = np.ones(len(order), dtype=bool)
    is_new[1:] = (grid[order][1:] != grid[order][:-1]) | (cut[order][1:] != cut[order][:-1])
    distinct = order[is_new]  # one split per distinct (grid, threshold), sorted
    n_grids = n_trees * n_columns
    n_thresholds = np.bincount(grid[distinct], minlength=n_grids)
    n_cells = n_thresholds + 1
    edge_start = np.concatenate([[0], np.cumsum(n_cells + 1)[:-1]])
    first_distinct = np.concatenate([[0], np.cumsum(n_thresholds)[:-1]])
    rank = np.cumsum(is_new) - 1  # index among the distinct splits, per sorted split
    split_cell = np.empty(len(split), dtype=np.intp)  # boundary index of each split, 1-based
    split_cell[order] = rank - first_distinct[grid[order]] + 1
    edges = np.empty(int(np.sum(n_cells + 1)))
    grid_column = np.tile(np.arange(n_columns), n_trees)
    edges[edge_start] = bounds[grid_column, 0]
    edges[edge_start + n_cells] = bounds[grid_column, 1]
    edges[edge_start[grid[distinct]] + split_cell[distinct]] = cut[distinct]
    cell_of_split = np.zeros(len(feature), dtype=np.intp)
    cell_of_split[split] = split_cell

    # Walk down all trees at once, one level per step, narrowing the boxes.
    nodes = offsets
    low = np.zeros((n_trees, n_columns), dtype=np.int32)
    high = n_cells.reshape(n_trees, n_columns).astype(np.int32)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    while len(nodes):
        is_leaf = feature[nodes] < 0
        found.append((nodes[is_leaf], low[is_leaf], high[is_leaf]))
        inner = ~is_leaf
        nodes, low, high = nodes[inner], low[inner], high[inner]
        rows = np.arange(len(nodes))
        column, cell = feature[nodes], cell_of_split[nodes]
        left_high, right_low = high.copy(), low.copy()
        left_high[rows, column] = cell
        right_low[rows, column] = cell
        nodes = np.concatenate([left[nodes], right[nodes]])
        low = np.concatenate([low, right_low])
        high = np.concatenate([left_high, high])
    leaves = np.concatenate([f[0] for f in found])
    return LeafBoxes(
        tree=tree_of[leaves],
        value=value[leaves],
        low=np.concatenate([f[1] for f in found]),
        high=np.concatenate([f[2] for f in found]),
        edges=edges,
        edge_start=edge_start,
        n_cells=n_cells,
    )


def variance_fractions(
    boxes: LeafBoxes, bounds: np.ndarray, groups: Sequence[np.ndarray], n_trees: int
) -> np.ndarray:
    """Share of each tree's variance explained by the marginal of each group of columns.

    Args:
        boxes: The leaves of the forest (:func:`leaf_boxes`).
        bounds: The domain of each column, (n_columns, 2).
        groups: The columns of each param (several for a one-hot categorical).
        n_trees: The number of trees.

    Returns:
        ``V_S / V`` per tree and group, (n_trees, n_groups); NaN for a tree of zero variance.
    """
    n_columns = len(bounds)
    span = bounds[:, 1] - bounds[:, 0]  # (n_columns,)
    grids = boxes.tree[:, None] * n_columns + np.arange(n_columns)  # (n_leaves, n_columns)
    start = boxes.edge_start[grids]
    width = (boxes.edges[start + boxes.high] - boxes.edges[start + boxes.low]) / span
    share = np.prod(width, axis=1)  # p_l: (n_leaves,)
    total_share = np.bincount(boxes.tree, share, minlength=n_trees)
    mean = np.bincount(boxes.tree, share * boxes.value, minlength=n_trees) / total_share
    centred = boxes.value - mean[boxes.tree]  # (n_leaves,)
    variance = np.bincount(boxes.tree, share * centred**2, minlength=n_trees) / total_share
    mass = (share * centred / total_share[boxes.tree])[:, None]  # (n_leaves, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(width > 0.0, mass / width, 0.0)  # (n_leaves, n_columns)

    single = _single_column_variances(boxes, weight, grids, span)  # (n_trees, n_columns)
    explained = np.empty((n_trees, len(groups)))
    for index, columns in enumerate(groups):
        if len(columns) == 1:
            explained[:, index] = single[:, columns[0]]
        else:
            explained[:, index] = _group_variances(boxes, mass[:, 0], width, columns, span)
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = np.clip(explained, 0.0, None) / variance[:, None]
    fractions[variance <= 0.0] = np.nan
    return fractions


def _single_column_variances(
    boxes: LeafBoxes, weight: np.ndarray, grids: np.ndarray, span: np.ndarray
) -> np.ndarray:
    """``V_{j}`` of every tree and column, by one difference array over all grids' cells.

    The array is laid out like ``boxes.edges``: position ``edge_start[g] + i`` is cell ``i``
    of grid ``g``, and each grid's last position (its upper bound) is a slot where the runs
    that end at the bound are closed, so no run leaks into the next grid.
    """
    n_grids = len(boxes.n_cells)
    n_columns = len(span)
    start = boxes.edge_start[grids]  # (n_leaves, n_columns)
    step = np.bincount((start + boxes.low).ravel(), weight.ravel(), minlength=len(boxes.edges))
    step -= np.bincount((start + boxes.high).ravel(), weight.ravel(), minlength=len(boxes.edges))
    running = np.cumsum(step)
    grid_of_cell = np.repeat(np.arange(n_grids), boxes.n_cells)
    cell = np.arange(len(grid_of_cell)) + grid_of_cell  # position of each cell: (n_cells,)
    # What rounding left in the closing slot of the previous grid.
    carried = np.concatenate([[0.0], running])[boxes.edge_start]
    marginal = running[cell] - carried[grid_of_cell]
    size = (boxes.edges[cell + 1] - boxes.edges[cell]) / span[grid_of_cell % n_columns]
    explained = np.bincount(grid_of_cell, size * marginal**2, minlength=n_grids)
    return explained.reshape(-1, n_columns)


def _group_variances(
    boxes: LeafBoxes, mass: np.ndarray, width: np.ndarray, columns: np.ndarray, span: np.ndarray
) -> np.ndarray:
    """``V_S`` of every tree for the columns ``S`` of one param.

    On the product of the columns' cells when it is small (a one-hot column has at most two
    cells per tree); otherwise, as the product can grow as ``2^|S|``, by the equal pairwise
    form ``V_S = sum_{l,l'} w_l w_l' prod_{j in S} |box_lj & box_l'j| / R_j``.
    """
    n_columns = len(span)
    n_trees = len(boxes.n_cells) // n_columns
    order = np.argsort(boxes.tree, kind="stable")
    tree_start = np.searchsorted(boxes.tree[order], np.arange(n_trees + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(
            np.all(width[:, columns] > 0.0, axis=1), mass / np.prod(width[:, columns], axis=1), 0.0
        )
    explained = np.zeros(n_trees)
    for tree in range(n_trees):
        leaves = order[tree_start[tree] : tree_start[tree + 1]]
        grids = tree * n_columns + columns
        if np.prod(boxes.n_cells[grids].astype(float)) <= _MAX_PRODUCT_CELLS:
            explained[tree] = _product_grid_variance(boxes, weight[leaves], leaves, grids, span)
        else:
            explained[tree] = _pairwise_variance(boxes, weight[leaves], leaves, grids, span)
    return explained


def _product_grid_variance(
    boxes: LeafBoxes, weight: np.ndarray, leaves: np.ndarray, grids: np.ndarray, span: np.ndarray
) -> float:
    """``V_S`` of one tree by the marginal on every cell of the product of the grids."""
    n_columns = len(span)
    covered = np.ones((len(leaves), 1))  # leaf covers cell: (n_leaves_here, n_cells)
    size = np.ones(1)
    for grid in grids:
        column = grid % n_columns
        cells = np.arange(boxes.n_cells[grid])
        inside = (boxes.low[leaves, column, None] <= cells) & (
            cells < boxes.high[leaves, column, None]
        )
        covered = (covered[:, :, None] * inside[:, None, :]).reshape(len(leaves), -1)
        start = boxes.edge_start[grid]
        cell_size = np.diff(boxes.edges[start : start + len(cells) + 1]) / span[column]
        size = np.outer(size, cell_size).ravel()
    marginal = weight @ covered
    return float(size @ marginal**2)


def _pairwise_variance(
    boxes: LeafBoxes, weight: np.ndarray, leaves: np.ndarray, grids: np.ndarray, span: np.ndarray
) -> float:
    """``V_S`` of one tree by the overlaps of every pair of leaves' boxes."""
    n_columns = len(span)
    overlap = np.ones((len(leaves), len(leaves)))  # (n_leaves_here, n_leaves_here)
    for grid in grids:
        column = grid % n_columns
        start = boxes.edge_start[grid]
        low = boxes.edges[start + boxes.low[leaves, column]]
        high = boxes.edges[start + boxes.high[leaves, column]]
        common = np.minimum(high[:, None], high[None, :]) - np.maximum(low[:, None], low[None, :])
        overlap *= np.clip(common, 0.0, None) / span[column]
    return float(weight @ overlap @ weight)
