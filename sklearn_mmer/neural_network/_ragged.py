"""Ragged frame columns as one flat frame matrix, and the dataset over it.

A table of ``(frames, dim)`` cells becomes one float32 matrix of all frames,
rows after one another, plus each row's frame count: one copy of the data,
from which :class:`~sklearn_mmer.neural_network._iterator.BucketBatchIterator`
gathers padded batches.
"""

from __future__ import annotations

import numpy as np
import torch

from ..utils import (
    cell_as_array,
    check_column_dim,
    check_table,
    describe_row,
    frame_shapes,
)


class RaggedSequences:
    """Sequences stored as one frame matrix and per-row frame counts.

    The ``X`` that the skorch net of :class:`TorchSequenceClassifier` takes
    (skorch wraps it in a :class:`skorch.dataset.Dataset` with the targets);
    :class:`~sklearn_mmer.neural_network._iterator.BucketBatchIterator`
    gathers padded batches from it.

    Parameters
    ----------
    frames : ndarray or Tensor of shape (total_frames, dim)
        Every row's frames, rows one after another.
    lengths : ndarray or Tensor of int of shape (n_rows,)
        Frames of each row; all positive.
    order : ndarray of int of shape (n_rows,), default=None
        Position of each row in the table it was read from, when the rows
        were laid out in another order (e.g. by length); None: same order.
    """

    def __init__(self, frames, lengths, order=None):
        self.frames = torch.as_tensor(frames)
        self.lengths = torch.as_tensor(lengths, dtype=torch.int64)
        self.starts = torch.cumsum(self.lengths, 0) - self.lengths
        self.order = np.arange(len(self.lengths)) if order is None else order

    def __len__(self):
        return len(self.lengths)

    def subset(self, rows) -> RaggedSequences:
        """Return the given rows, in the given order, with their own frames."""
        rows = torch.as_tensor(rows, dtype=torch.int64)
        lengths = self.lengths[rows]
        # Each selected frame: its row's start plus its position in the row.
        shift = self.starts[rows] - (lengths.cumsum(0) - lengths)
        first = torch.repeat_interleave(shift, lengths)
        index = first + torch.arange(int(lengths.sum()))
        return RaggedSequences(self.frames[index], lengths)


def table_to_sequences(X, estimator_name: str, input_dims=None, sort=False):
    """Read a table of frame cells as ``(frames, lengths, input_dims, order)``.

    Columns are concatenated per frame; in a row, every column needs the same
    number of frames. A 1-D cell is a sequence of one frame, a numeric
    column one feature per row (a sequence of one frame of dimension one).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_rows, n_columns)
        The cells.
    estimator_name : str
        Named in error messages.
    input_dims : tuple of int, default=None
        Each column's frame dimension seen in fit; None while fitting.
    sort : bool, default=False
        Lay the rows out by increasing length (stable), so that consecutive
        rows pad little; ``order`` says which input row comes where.

    Returns
    -------
    frames : ndarray of shape (total_frames, sum(input_dims)), float32
    lengths : ndarray of int64 of shape (n_rows,)
    input_dims : tuple of int
    order : ndarray of int of shape (n_rows,)
        Input position of each row of ``frames``/``lengths``.
    """
    columns, cells, index = check_table(X, estimator_name)
    names = list(columns) if columns is not None else list(range(len(cells)))
    expected = [None] * len(cells) if input_dims is None else list(input_dims)
    if len(expected) != len(cells):
        raise ValueError(
            f"X has {len(cells)} columns, but {estimator_name} was fitted on "
            f"{len(expected)}."
        )
    shapes = [
        _column_shapes(column, name, index, dim)
        for column, name, dim in zip(cells, names, expected, strict=True)
    ]
    lengths = shapes[0][0]
    for (other, _, _), name in zip(shapes[1:], names[1:], strict=True):
        _check_same_lengths(lengths, other, names[0], name, index)
    order = np.argsort(lengths, kind="stable") if sort else np.arange(len(lengths))
    lengths = lengths[order]
    dims = tuple(dim for _, dim, _ in shapes)
    frames = np.empty((int(lengths.sum()), sum(dims)), dtype=np.float32)
    offset = 0
    for (_, dim, arrays), column in zip(shapes, cells, strict=True):
        block = frames[:, offset : offset + dim]
        offset += dim
        if arrays is None:  # a numeric column
            block[:, 0] = column[order]
            continue
        # One C loop over the cells; 1-D cells become one-frame rows.
        np.concatenate(
            [arrays[i].reshape(-1, dim) for i in order], out=block, casting="unsafe"
        )
    _check_finite(frames, lengths, order, names, dims, index)
    return frames, lengths, dims, order


def _column_shapes(column, name, index, expected_dim):
    """Return ``(lengths, dim, arrays)`` of one column, checking every cell.

    ``arrays`` are the cells as numeric arrays, None for a numeric column.
    """
    if column.dtype.kind in "biuf":
        check_column_dim(np.ones(len(column), dtype=np.intp), name, index, expected_dim)
        return np.ones(len(column), dtype=np.int64), 1, None
    column = [
        cell_as_array(cell, name, index, position)
        for position, cell in enumerate(column)
    ]
    lengths, dims, _ = frame_shapes(column, name, index)
    dim = check_column_dim(dims, name, index, expected_dim)
    return lengths.astype(np.int64), dim, column


def _check_same_lengths(lengths, other, first_name, name, index):
    wrong = np.flatnonzero(lengths != other)
    if wrong.size:
        position = int(wrong[0])
        raise ValueError(
            f"{describe_row(index, position)}: column {first_name!r} has "
            f"{lengths[position]} frame(s) but column {name!r} has "
            f"{other[position]}; columns concatenated per frame need the same "
            f"number of frames in each row ({wrong.size} row(s) differ)."
        )


def _check_finite(frames, lengths, order, names, dims, index):
    # One float64 sum tells whether anything is NaN or inf.
    if np.isfinite(np.add.reduce(frames, axis=None, dtype=np.float64)):
        return
    bad_frame, bad_feature = (int(i[0]) for i in np.nonzero(~np.isfinite(frames)))
    row = int(np.searchsorted(np.cumsum(lengths), bad_frame, side="right"))
    column = int(np.searchsorted(np.cumsum(dims), bad_feature, side="right"))
    raise ValueError(
        f"{describe_row(index, int(order[row]))}, column {names[column]!r}: the "
        "features contain NaN or infinite values."
    )
