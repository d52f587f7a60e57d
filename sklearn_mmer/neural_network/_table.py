"""The multimodal table as tensors: one block per modality, a presence mask.

A cell may hold a 1-D vector, a 2-D ``(frames, dim)`` sequence, a lone
number, or nothing (``None``/NaN: the modality is missing from that row).
A modality becomes either vectors (frame sequences averaged over their
frames: the masked mean of a padded batch, computed once) or, for a
sequence encoder, ragged sequences (:class:`RaggedSequences`) where a
missing cell holds one zero frame, masked out by the presence flag. Every
present cell is checked, and a bad one raises a ``ValueError`` naming its
row and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..utils import cell_as_array, describe_row, is_missing_cell, mean_of_sequences
from ._ragged import RaggedSequences


@dataclass
class ModalityBlocks:
    """Per-modality blocks (zeros where missing) and presence."""

    # One per modality: a (n_rows, dim) float32 array, or RaggedSequences
    # for a modality kept as frames.
    blocks: list
    present: np.ndarray  # (n_rows, n_modalities) bool
    has_frames: list  # per modality: whether some present cell is 2-D

    @property
    def dims(self) -> tuple:
        """Feature (or frame) dimension of each modality."""
        return tuple(
            int(b.frames.shape[1] if isinstance(b, RaggedSequences) else b.shape[1])
            for b in self.blocks
        )

    @property
    def frame_flags(self) -> tuple:
        """Per modality: whether it is kept as frames."""
        return tuple(isinstance(b, RaggedSequences) for b in self.blocks)

    @property
    def sequences(self) -> list:
        """The modalities kept as frames, in column order."""
        return [b for b in self.blocks if isinstance(b, RaggedSequences)]

    def as_matrix(self) -> np.ndarray:
        """Put the vector blocks side by side, then a 0/1 presence column each."""
        vectors = [b for b in self.blocks if not isinstance(b, RaggedSequences)]
        return np.hstack([*vectors, self.present.astype(np.float32)])

    def as_inputs(self) -> MultimodalInputs:
        """Return the matrix of :meth:`as_matrix` and the frame modalities."""
        return MultimodalInputs(torch.from_numpy(self.as_matrix()), self.sequences)


class MultimodalInputs:
    """The multimodal table when some modalities stay frame sequences.

    The ``X`` that the skorch net of :class:`TorchMultimodalClassifier` takes
    with a sequence encoder;
    :class:`~sklearn_mmer.neural_network._iterator.MultimodalBatchIterator`
    gathers padded batches from it.

    Parameters
    ----------
    matrix : Tensor of shape (n_rows, n_vector_features + n_modalities)
        The vector modalities side by side, then a presence column per
        modality (1.0 present, 0.0 missing).
    sequences : list of RaggedSequences
        One per frame modality, in column order; a missing cell is one
        zero frame.
    order : ndarray of int of shape (n_rows,), default=None
        Position of each row in the table it was read from; None: same order.
    """

    def __init__(self, matrix, sequences, order=None):
        self.matrix = torch.as_tensor(matrix)
        self.sequences = list(sequences)
        self.order = np.arange(len(self.matrix)) if order is None else order

    def __len__(self):
        return len(self.matrix)

    def longest(self) -> np.ndarray:
        """Frames of each row's longest frame modality."""
        return np.max([s.lengths.numpy() for s in self.sequences], axis=0)

    def subset(self, rows) -> MultimodalInputs:
        """Return the given rows, in the given order."""
        rows = torch.as_tensor(rows, dtype=torch.int64)
        return MultimodalInputs(
            self.matrix[rows], [sequences.subset(rows) for sequences in self.sequences]
        )


def read_modalities(cells_by_column, names, index, expected_dims=None, as_frames=None):
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
    as_frames : sequence of {True, False, None}, default=None
        Per column: keep the frames as :class:`RaggedSequences` (True),
        average them into vectors (False), or keep them when some cell of
        the column is 2-D (None). None: average every column.
    """
    n_columns = len(cells_by_column)
    expected_dims = expected_dims or [None] * n_columns
    as_frames = [False] * n_columns if as_frames is None else as_frames
    blocks, present, has_frames = [], [], []
    for cells, name, dim, frames in zip(
        cells_by_column, names, expected_dims, as_frames, strict=True
    ):
        block, here, two_d = _read_column(cells, name, index, dim, frames)
        blocks.append(block)
        present.append(here)
        has_frames.append(two_d)
    blocks = ModalityBlocks(blocks, np.column_stack(present), has_frames)
    empty = np.flatnonzero(~blocks.present.any(axis=1))
    if empty.size:
        raise ValueError(
            f"{describe_row(index, int(empty[0]))} has no modality: every cell "
            f"({', '.join(map(str, names))}) is missing ({empty.size} such "
            "row(s)). A row needs at least one modality; drop it or fill a cell."
        )
    return blocks


def _read_column(cells, name, index, expected_dim, as_frames):
    """Return ``(block, present, has_frames)`` of one modality column."""
    if cells.dtype.kind in "biuf":
        # A numeric column: one number per row; NaN marks a missing cell.
        values = cells.astype(np.float32)
        present = ~np.isnan(values)
        block = np.where(present, values, 0.0).astype(np.float32).reshape(-1, 1)
        _check_dim(1, name, expected_dim, index, np.flatnonzero(present))
        _check_finite(block, name, index)
        return _as_block(block, as_frames), present, False
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
        block = np.zeros((len(cells), expected_dim), np.float32)
        return _as_block(block, as_frames), present, False
    arrays = [_as_numeric_array(cells[i], name, index, i) for i in rows]
    dim, lengths, two_d = _check_shapes(arrays, name, index, rows)
    _check_dim(dim, name, expected_dim, index, rows)
    has_frames = bool(two_d.any())
    if as_frames or (as_frames is None and has_frames):
        return _sequences(arrays, dim, rows, len(cells), name, index), present, True
    block = np.zeros((len(cells), dim), dtype=np.float32)
    block[rows] = _pool(arrays, lengths)
    _check_finite(block, name, index)
    return block, present, has_frames


def _as_block(vectors, as_frames):
    """Vectors as they are, or as sequences of one frame for a frame modality."""
    if not as_frames:
        return vectors
    return RaggedSequences(vectors, np.ones(len(vectors), dtype=np.int64))


def _sequences(arrays, dim, rows, n_rows, name, index):
    """Every row's frames in one matrix; one zero frame where a cell is missing."""
    parts = [np.zeros((1, dim), dtype=np.float32)] * n_rows
    for row, array in zip(rows, arrays, strict=True):
        parts[row] = array.reshape(-1, dim)
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=n_rows)
    frames = np.empty((int(lengths.sum()), dim), dtype=np.float32)
    np.concatenate(parts, out=frames, casting="unsafe")
    if not np.isfinite(np.add.reduce(frames, axis=None, dtype=np.float64)):
        bad = np.flatnonzero(~np.isfinite(frames).all(axis=1))
        row_of_frame = np.searchsorted(np.cumsum(lengths), bad, side="right")
        affected = np.unique(row_of_frame)
        raise ValueError(
            f"{describe_row(index, int(affected[0]))}, column {name!r}: the "
            f"features contain NaN or infinite values ({affected.size} row(s) "
            "affected)."
        )
    return RaggedSequences(frames, lengths)


def _as_numeric_array(cell, name, index, position):
    array = cell_as_array(cell, name, index, position)
    if array.ndim > 2:
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: expected a 2-D "
            f"(frames, dim) or 1-D (dim,) array, got shape {array.shape}."
        )
    return array


def _check_shapes(arrays, name, index, rows):
    """Return the column's dimension, each cell's frames and 2-D flags, or raise."""
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
    two_d = np.fromiter((len(s) == 2 for s in shapes), dtype=bool, count=len(shapes))
    return int(usual), lengths, two_d


def _pool(arrays, lengths):
    """Mean over frames of 2-D cells, 1-D cells as they are: one matrix."""
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
