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
    """Tell whether a cell stands for a missing modality (None or a NaN scalar).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.utils import is_missing_cell
    >>> is_missing_cell(None), is_missing_cell(np.nan), is_missing_cell(np.zeros(3))
    (True, True, False)
    """
    if cell is None:
        return True
    if isinstance(cell, float | np.floating):
        return bool(np.isnan(cell))
    return False


def missing_cells(X, columns) -> np.ndarray:
    """Boolean ``(n_rows, len(columns))``: which cells of ``columns`` are missing.

    A cell is missing when it is None or NaN (:func:`is_missing_cell`); a
    float column is missing where it is NaN. Only a DataFrame has named
    columns to look at: for any other input, nothing is missing.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer.utils import missing_cells
    >>> X = pd.DataFrame({"visual": [np.zeros(2), None], "acoustic": [0.5, np.nan]})
    >>> missing_cells(X, ["visual", "acoustic"]).tolist()
    [[False, False], [True, True]]
    """
    missing = np.zeros((len(X), len(columns)), dtype=bool)
    if isinstance(X, pd.DataFrame):
        for j, column in enumerate(columns):
            cells = X[column].to_numpy()
            if cells.dtype == object:
                missing[:, j] = [is_missing_cell(cell) for cell in cells]
            elif cells.dtype.kind == "f":
                missing[:, j] = np.isnan(cells)
    return missing


def as_2d_frame(X, estimator_name: str):
    """Return ``(columns, cells, row_index)`` of a 2-D table of cells.

    ``columns`` are the column labels (``None`` for arrays), ``cells`` a list
    with one 1-D array per column, ``row_index`` the row labels or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.utils import as_2d_frame
    >>> columns, cells, index = as_2d_frame(np.zeros((3, 2)), "MyPool")
    >>> columns is None, len(cells), index is None
    (True, 2, True)
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
    """Check that ``X`` is a non-empty 2-D table; return ``as_2d_frame(X)``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer.utils import check_table
    >>> X = pd.DataFrame({"lexical": [np.zeros(4), np.ones(4)]})
    >>> columns, cells, index = check_table(X, "MyPool")
    >>> list(columns), len(cells[0])
    (['lexical'], 2)
    """
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


# The statistics a frame sequence can be pooled to, in their standard order.
POOL_STATISTICS = ("mean", "std", "min", "max", "delta_mean")


def check_statistics(stats, what: str = "stats") -> tuple[str, ...]:
    """Check a choice of pooling statistics; return it as a tuple.

    Parameters
    ----------
    stats : str or sequence of str
        One name or several from ``POOL_STATISTICS``.
    what : str, default="stats"
        The parameter's name, for the error message.

    Returns
    -------
    stats : tuple of str

    Examples
    --------
    >>> from sklearn_mmer.utils._frames import check_statistics
    >>> check_statistics("std"), check_statistics(["mean", "max"])
    (('std',), ('mean', 'max'))
    """
    chosen = (stats,) if isinstance(stats, str) else tuple(stats)
    unknown = [s for s in chosen if s not in POOL_STATISTICS]
    if unknown or not chosen:
        raise ValueError(
            f"{what} must name one or more of {list(POOL_STATISTICS)}; got {stats!r}."
        )
    repeated = sorted({s for s in chosen if chosen.count(s) > 1})
    if repeated:
        raise ValueError(f"{what} names {repeated} more than once; got {stats!r}.")
    return chosen


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
    return _segment_sum(frames, lengths, (1.0 / lengths).astype(np.float32))


def _segment_sum(frames, lengths, scales):
    """``scales[i]`` times the sum of segment ``i``'s rows, as float32."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.intp)
    np.cumsum(lengths, out=offsets[1:])
    weights = np.repeat(scales, lengths)
    summing = csr_array(
        (weights, np.arange(offsets[-1]), offsets), shape=(len(lengths), offsets[-1])
    )
    return np.asarray(summing @ frames.astype(np.float32, copy=False))


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

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.utils import mean_of_sequences
    >>> sequences = [np.array([[0.0, 2.0], [2.0, 4.0]]), np.array([[1.0, 1.0]])]
    >>> mean_of_sequences(sequences, np.array([2, 1]))
    array([[1., 3.],
           [1., 1.]], dtype=float32)
    """
    return stats_of_sequences(sequences, lengths, ("mean",))


def stats_of_sequences(
    sequences: list, lengths: np.ndarray, stats: Sequence[str]
) -> np.ndarray:
    """Statistics over frames of each 2-D sequence, in cache-sized chunks.

    Parameters
    ----------
    sequences : list of ndarray of shape (n_frames_i, dim)
        One numeric array per row, all of the same ``dim``.
    lengths : ndarray of int of shape (n_rows,)
        ``n_frames_i`` of each sequence, all positive.
    stats : sequence of str
        Names from ``POOL_STATISTICS``: ``"mean"``, ``"std"`` (population
        standard deviation), ``"min"``, ``"max"``, ``"delta_mean"`` (mean
        absolute difference between consecutive frames). A one-frame
        sequence has a std and a delta_mean of zero.

    Returns
    -------
    pooled : ndarray of shape (n_rows, len(stats) * dim), dtype float32
        The statistics side by side, each a block of ``dim`` columns. A row
        with a NaN or infinite frame has non-finite values, whatever the
        statistics.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.utils._frames import stats_of_sequences
    >>> stats_of_sequences([np.array([[1.0], [3.0], [2.0]])], np.array([3]),
    ...                    ("mean", "std", "max", "delta_mean"))
    array([[2.       , 0.8164966, 3.       , 1.5      ]], dtype=float32)
    """
    if np.ndim(sequences[0]) != 2:
        raise ValueError("expected 2-D (frames, dim) sequences")
    dim = np.shape(sequences[0])[1]
    pooled = np.empty((len(sequences), len(stats) * dim), dtype=np.float32)
    # std and delta_mean need a second buffer of the chunk's size.
    needs_scratch = not {"std", "delta_mean"}.isdisjoint(stats)
    row_bytes = max(1.0, float(np.mean(lengths)) * dim * 4 * (1 + needs_scratch))
    rows_per_chunk = max(1, int(_CHUNK_BYTES // row_bytes))
    starts = np.arange(0, len(sequences), rows_per_chunk)
    # One buffer for every chunk: a fresh multi-megabyte array per chunk costs
    # the allocator's page faults, as much as the copy itself.
    buffer = np.empty((np.add.reduceat(lengths, starts).max(), dim), dtype=np.float32)
    scratch = np.empty_like(buffer) if needs_scratch else None
    for start in starts:
        stop = start + rows_per_chunk
        frames = buffer[: lengths[start:stop].sum()]
        # Raises for arrays of another dimension or that are not 2-D.
        np.concatenate(sequences[start:stop], out=frames, casting="same_kind")
        # inf - inf in std and delta_mean: the NaN marks the row as intended.
        with np.errstate(invalid="ignore"):
            _reduce_chunk(
                frames, lengths[start:stop], stats, pooled[start:stop], scratch
            )
    return pooled


def _reduce_chunk(frames, lengths, stats, out, scratch):
    """Write the statistics of one chunk's sequences into ``out``."""
    dim = frames.shape[1]
    blocks = {stat: out[:, k * dim : (k + 1) * dim] for k, stat in enumerate(stats)}
    # The mean, or at least a finiteness check, is needed whatever the stats:
    # min or max alone would hide an infinity of the other sign.
    mean = segment_mean(frames, lengths)
    if "mean" in blocks:
        blocks["mean"][...] = mean
    if "std" in blocks:
        work = scratch[: len(frames)]
        segment = np.repeat(np.arange(len(lengths)), lengths)
        np.take(mean, segment, axis=0, out=work)
        np.subtract(frames, work, out=work)
        np.square(work, out=work)
        np.sqrt(segment_mean(work, lengths), out=blocks["std"])
    starts = np.cumsum(lengths) - lengths
    if "min" in blocks:
        blocks["min"][...] = np.minimum.reduceat(frames, starts, axis=0)
    if "max" in blocks:
        blocks["max"][...] = np.maximum.reduceat(frames, starts, axis=0)
    if "delta_mean" in blocks:
        work = scratch[: len(frames)]
        np.subtract(frames[1:], frames[:-1], out=work[:-1])
        np.abs(work[:-1], out=work[:-1])
        # The difference across two sequences' boundary (and the row past
        # the end) counts for neither.
        work[starts[1:] - 1] = 0
        work[-1] = 0
        scales = (1.0 / np.maximum(lengths - 1, 1)).astype(np.float32)
        blocks["delta_mean"][...] = _segment_sum(work, lengths, scales)
    if "mean" not in blocks and "std" not in blocks:
        # std is non-finite wherever a frame is (inf - inf is NaN); the others
        # need not be, so a row with a bad frame is marked here.
        out[~np.isfinite(mean).all(axis=1)] = np.nan


def cell_as_array(cell, name: str, index: Sequence | None, position: int):
    """Read one cell as a numeric array, or raise naming its row and column.

    A missing cell, a string, ragged nested lists, complex or non-numeric
    values are errors; a lone number is an utterance-level feature of
    dimension one.

    Examples
    --------
    >>> from sklearn_mmer.utils import cell_as_array
    >>> cell_as_array(0.5, "lexical", None, 0).shape
    (1,)
    """
    if type(cell) is np.ndarray and cell.dtype.kind in "biuf":
        return cell
    where = f"{describe_row(index, position)}, column {name!r}"
    if is_missing_cell(cell):
        raise ValueError(
            f"{where}: the cell is missing (no features for this modality). "
            "Drop the row or fill the cell."
        )
    if isinstance(cell, str | bytes):
        raise ValueError(f"{where}: expected a numeric array, got the string {cell!r}.")
    try:
        array = np.asarray(cell)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{where}: cannot read the cell as an array ({exc}).") from exc
    if array.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {where} holds complex values.")
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"{where}: expected a numeric array, got dtype {array.dtype} "
            f"({type(cell).__name__})."
        )
    return array.reshape(1) if array.ndim == 0 else array


def check_column_dim(
    dims: np.ndarray, name: str, index: Sequence | None, expected_dim: int | None
) -> int:
    """Return a column's feature dimension; raise naming a row that differs.

    Without ``expected_dim`` (fitting), the most common dimension is the
    column's; otherwise every row must have the one seen in fit.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.utils import check_column_dim
    >>> check_column_dim(np.array([4, 4, 4]), "acoustic", None, None)
    4
    """
    if expected_dim is None:
        values, counts = np.unique(dims, return_counts=True)
        expected_dim, reference = int(values[np.argmax(counts)]), "the other rows"
    else:
        reference = "the data seen in fit"
    wrong = np.flatnonzero(dims != expected_dim)
    if wrong.size:
        position = int(wrong[0])
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: feature dimension "
            f"{dims[position]} differs from {expected_dim} in {reference} "
            f"({wrong.size} row(s) differ)."
        )
    return expected_dim


def frame_shapes(arrays: list, name: str, index: Sequence | None):
    """Frame counts, dimensions and ndims of numeric arrays, checked at once.

    Every array must be 2-D ``(frames, dim)`` or 1-D ``(dim,)`` (one frame),
    with at least one frame and one feature; the first that is not is named.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.utils import frame_shapes
    >>> lengths, dims, ndims = frame_shapes(
    ...     [np.zeros((3, 4)), np.zeros(4)], "acoustic", None)
    >>> lengths.tolist(), dims.tolist(), ndims.tolist()
    ([3, 1], [4, 4], [2, 1])
    """
    shapes = [array.shape for array in arrays]
    ndims = np.fromiter(map(len, shapes), dtype=np.intp, count=len(shapes))
    bad = np.flatnonzero((ndims < 1) | (ndims > 2))
    if bad.size:
        position = int(bad[0])
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: expected a 2-D "
            f"(frames, dim) or 1-D (dim,) array, got shape {shapes[position]}."
        )
    dims = np.fromiter(
        (shape[-1] for shape in shapes), dtype=np.intp, count=len(shapes)
    )
    lengths = np.fromiter(
        (shape[0] if len(shape) == 2 else 1 for shape in shapes),
        dtype=np.intp,
        count=len(shapes),
    )
    empty = np.flatnonzero((lengths == 0) | (dims == 0))
    if empty.size:
        position = int(empty[0])
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: the array of shape "
            f"{shapes[position]} has zero frames or zero features."
        )
    return lengths, dims, ndims
