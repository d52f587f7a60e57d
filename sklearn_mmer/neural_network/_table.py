"""The multimodal table as tensors: one vector block per modality, a presence mask.

A cell may hold a 1-D vector, a 2-D ``(frames, dim)`` sequence (averaged
over its frames: the masked mean of a padded batch, computed once), a lone
number, or nothing (``None``/NaN: the modality is missing from that row).
Every present cell is checked, and a bad one raises a ``ValueError`` naming
its row and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..utils import cell_as_array, describe_row, is_missing_cell, mean_of_sequences


@dataclass
class ModalityBlocks:
    """Per-modality float32 vectors (zeros where missing) and presence."""

    vectors: list  # one (n_rows, dim) float32 array per modality
    present: np.ndarray  # (n_rows, n_modalities) bool

    def as_matrix(self) -> np.ndarray:
        """Put the blocks side by side, then one 0/1 presence column per modality."""
        return np.hstack([*self.vectors, self.present.astype(np.float32)])


def read_modalities(cells_by_column, names, index, expected_dims=None):
    """Read every modality column into :class:`ModalityBlocks`.

    Parameters
    ----------
    cells_by_column : list of 1-D ndarray
        One array of cells per column (as ``check_table`` returns them).
    names : sequence
        Column names, for the messages.
    index : pandas.Index or None
        Row labels, for the messages.
    expected_dims : sequence of int, default=None
        Each column's dimension as seen in ``fit``; None while fitting.
    """
    expected_dims = expected_dims or [None] * len(cells_by_column)
    vectors, present = [], []
    for cells, name, dim in zip(cells_by_column, names, expected_dims, strict=True):
        block, here = _read_column(cells, name, index, dim)
        vectors.append(block)
        present.append(here)
    blocks = ModalityBlocks(vectors, np.column_stack(present))
    empty = np.flatnonzero(~blocks.present.any(axis=1))
    if empty.size:
        raise ValueError(
            f"{describe_row(index, int(empty[0]))} has no modality: every cell "
            f"({', '.join(map(str, names))}) is missing ({empty.size} such "
            "row(s)). A row needs at least one modality; drop it or fill a cell."
        )
    return blocks


def _read_column(cells, name, index, expected_dim):
    """Return ``(vectors, present)`` of one modality column."""
    if cells.dtype.kind in "biuf":
        # A numeric column: one number per row; NaN marks a missing cell.
        values = cells.astype(np.float32)
        present = ~np.isnan(values)
        block = np.where(present, values, 0.0).astype(np.float32).reshape(-1, 1)
        _check_dim(1, name, expected_dim, index, np.flatnonzero(present))
    else:
        present = np.fromiter(
            (not is_missing_cell(cell) for cell in cells), dtype=bool, count=len(cells)
        )
        rows = np.flatnonzero(present)
        if rows.size == 0:
            if expected_dim is None:
                raise ValueError(
                    f"Column {name!r} has no cell in any row, so its dimension "
                    "is unknown; drop the column."
                )
            return np.zeros((len(cells), expected_dim), np.float32), present
        arrays = [_as_numeric_array(cells[i], name, index, i) for i in rows]
        pooled = _pool(arrays, name, index, rows)
        _check_dim(pooled.shape[1], name, expected_dim, index, rows)
        block = np.zeros((len(cells), pooled.shape[1]), dtype=np.float32)
        block[rows] = pooled
    _check_finite(block, name, index)
    return block, present


def _as_numeric_array(cell, name, index, position):
    array = cell_as_array(cell, name, index, position)
    if array.ndim > 2:
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: expected a 2-D "
            f"(frames, dim) or 1-D (dim,) array, got shape {array.shape}."
        )
    return array


def _pool(arrays, name, index, rows):
    """Mean over frames of 2-D cells, 1-D cells as they are: one matrix."""
    shapes = [array.shape for array in arrays]
    dims = np.fromiter((s[-1] for s in shapes), dtype=np.intp, count=len(shapes))
    lengths = np.fromiter(
        (s[0] if len(s) == 2 else 1 for s in shapes), dtype=np.intp, count=len(shapes)
    )
    values, counts = np.unique(dims, return_counts=True)
    usual = values[np.argmax(counts)]
    odd = np.flatnonzero(dims != usual)
    if odd.size:
        raise ValueError(
            f"{describe_row(index, int(rows[odd[0]]))}, column {name!r}: feature "
            f"dimension {dims[odd[0]]} differs from {usual} in the other rows "
            f"({odd.size} row(s) differ)."
        )
    empty = np.flatnonzero((lengths == 0) | (dims == 0))
    if empty.size:
        raise ValueError(
            f"{describe_row(index, int(rows[empty[0]]))}, column {name!r}: the "
            f"array of shape {shapes[empty[0]]} has zero frames or zero features."
        )
    sequences = [a if a.ndim == 2 else a.reshape(1, -1) for a in arrays]
    if (lengths == 1).all():
        return np.concatenate(sequences).astype(np.float32, copy=False)
    return mean_of_sequences(sequences, lengths)


def _check_dim(dim, name, expected_dim, index, rows):
    if expected_dim is not None and dim != expected_dim and rows.size:
        raise ValueError(
            f"{describe_row(index, int(rows[0]))}, column {name!r}: feature "
            f"dimension {dim} differs from {expected_dim} in the data seen in fit."
        )


def _check_finite(block, name, index):
    if np.isfinite(np.add.reduce(block, axis=None, dtype=np.float64)):
        return
    finite = np.isfinite(block).all(axis=1)
    position = int(np.flatnonzero(~finite)[0])
    raise ValueError(
        f"{describe_row(index, position)}, column {name!r}: the features contain "
        f"NaN or infinite values ({int((~finite).sum())} row(s) affected)."
    )
