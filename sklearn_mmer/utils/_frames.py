"""Helpers for the data model: a DataFrame whose cells hold NumPy arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csr_array


def describe_row(index: Sequence | None, position: int) -> str:
    """Name a row for an error message: its label where it has one.

    Parameters
    ----------
    index : sequence or None
        The row labels (a DataFrame's index), or None for a plain array.
    position : int
        The row's position.

    Returns
    -------
    description : str

    Examples
    --------
    >>> from sklearn_mmer.utils import describe_row
    >>> describe_row(["Ses01F_impro01_F000", "Ses01F_impro01_F001"], 1)
    "row 'Ses01F_impro01_F001' (position 1)"
    >>> describe_row(None, 3)
    'row 3'
    """
    if index is None or isinstance(index, pd.RangeIndex):
        return f"row {position}"
    return f"row {index[position]!r} (position {position})"


def is_missing_cell(cell) -> bool:
    """Tell whether a cell stands for a missing modality (None or a NaN scalar)."""
    if cell is None:
        return True
    if isinstance(cell, float | np.floating):
        return bool(np.isnan(cell))
    return False


def as_2d_frame(X, estimator_name: str):
    """Return ``(columns, cells, row_index)`` of a 2-D table of cells.

    ``columns`` are the column labels (``None`` for arrays), ``cells`` a list
    with one 1-D array per column, ``row_index`` the row labels or ``None``.
    """
    if isinstance(X, pd.DataFrame):
        columns = list(X.columns)
        cells = [X.iloc[:, j].to_numpy() for j in range(X.shape[1])]
        return columns, cells, X.index
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            f"{estimator_name} does not accept sparse input; pass a pandas "
            "DataFrame with one column per modality, or a dense array."
        )
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(
            f"{estimator_name} expects a 2D table (rows x modality columns), "
            f"got an array of shape {array.shape}. Reshape your data either "
            "using array.reshape(-1, 1) for a single column or "
            "array.reshape(1, -1) for a single sample."
        )
    return None, [array[:, j] for j in range(array.shape[1])], None


def check_table(X, estimator_name: str):
    """Check that ``X`` is a non-empty 2-D table; return ``as_2d_frame(X)``."""
    columns, cells, index = as_2d_frame(X, estimator_name)
    n_rows = len(cells[0]) if cells else len(X)
    if n_rows == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={np.shape(X)}) while a minimum "
            f"of 1 is required by {estimator_name}."
        )
    if not cells:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={np.shape(X)}) while a minimum "
            f"of 1 is required by {estimator_name}."
        )
    return columns, cells, index


# Frames are stacked and reduced in chunks of about this many bytes (best
# between 2 and 8 MB here): small enough for the copy to stay in the CPU
# cache, so the data is read from main memory once, as a per-row loop would,
# without a Python step per row.
_CHUNK_BYTES = 4 * 2**20


def segment_mean(frames: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Mean of consecutive row segments of ``frames``, as float32.

    A sparse averaging matrix (one row per segment, weight ``1/length`` on the
    segment's frames) times the frames: one C loop over all segments. Each
    output row depends only on its own segment, so pooling a sequence alone
    (as the loader does while streaming) gives the same float32 values as
    pooling it among others.

    Parameters
    ----------
    frames : ndarray of shape (total_frames, dim)
        The frame sequences of all rows, stacked.
    lengths : ndarray of int of shape (n_rows,)
        Number of frames in each row; all positive.

    Returns
    -------
    means : ndarray of shape (n_rows, dim), dtype float32

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.utils import segment_mean
    >>> segment_mean(np.array([[1.0], [3.0], [10.0]]), np.array([2, 1]))
    array([[ 2.],
           [10.]], dtype=float32)
    """
    lengths = np.asarray(lengths, dtype=np.intp)
    offsets = np.zeros(len(lengths) + 1, dtype=np.intp)
    np.cumsum(lengths, out=offsets[1:])
    weights = np.repeat((1.0 / lengths).astype(np.float32), lengths)
    averaging = csr_array(
        (weights, np.arange(offsets[-1]), offsets), shape=(len(lengths), offsets[-1])
    )
    return np.asarray(averaging @ frames.astype(np.float32, copy=False))


def mean_of_sequences(sequences: list, lengths: np.ndarray) -> np.ndarray:
    """Mean over frames of each 2-D sequence, stacked and reduced in chunks.

    Parameters
    ----------
    sequences : list of ndarray of shape (n_frames_i, dim)
        One numeric array per row, all of the same ``dim``.
    lengths : ndarray of int of shape (n_rows,)
        ``n_frames_i`` of each sequence, all positive.

    Returns
    -------
    means : ndarray of shape (n_rows, dim), dtype float32
    """
    if np.ndim(sequences[0]) != 2:
        raise ValueError("expected 2-D (frames, dim) sequences")
    dim = np.shape(sequences[0])[1]
    means = np.empty((len(sequences), dim), dtype=np.float32)
    row_bytes = max(1.0, float(np.mean(lengths)) * dim * 4)
    rows_per_chunk = max(1, int(_CHUNK_BYTES // row_bytes))
    starts = np.arange(0, len(sequences), rows_per_chunk)
    # One buffer for every chunk: a fresh multi-megabyte array per chunk costs
    # the allocator's page faults, as much as the copy itself.
    buffer = np.empty((np.add.reduceat(lengths, starts).max(), dim), dtype=np.float32)
    for start in starts:
        stop = start + rows_per_chunk
        frames = buffer[: lengths[start:stop].sum()]
        # Raises for arrays of another dimension or that are not 2-D.
        np.concatenate(sequences[start:stop], out=frames, casting="same_kind")
        means[start:stop] = segment_mean(frames, lengths[start:stop])
    return means
