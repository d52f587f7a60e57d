"""Pool ragged frame sequences into one vector per utterance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ..utils import (
    POOL_STATISTICS,
    cell_as_array,
    check_column_dim,
    check_statistics,
    check_table,
    describe_row,
    frame_shapes,
    is_missing_cell,
    stats_of_sequences,
)


class _TemporalPool(TransformerMixin, BaseEstimator):
    """Shared machinery of the poolings: checks, chunked reduction, names."""

    def _statistics(self) -> tuple[str, ...]:
        """Return the statistics asked for, checked, in the order given."""
        raise NotImplementedError

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn each column's frame dimension, checking every cell.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_modalities)
            Cells are 2-D ``(n_frames, dim)`` or 1-D ``(dim,)`` arrays.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._pool(X, reset=True)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and pool in one pass over the data.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_modalities)
            Cells are 2-D ``(n_frames, dim)`` or 1-D ``(dim,)`` arrays.
        y : None
            Ignored.

        Returns
        -------
        X_pooled : ndarray of shape (n_samples, n_features_out), float32
            One block per input column, as named by
            :meth:`get_feature_names_out`.
        """
        return self._pool(X, reset=True)

    def transform(self, X):
        """Pool every frame sequence to its statistics over time.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_modalities)
            The columns seen in :meth:`fit`, with the same frame dimensions.

        Returns
        -------
        X_pooled : ndarray of shape (n_samples, n_features_out), float32
            One block per input column, as named by
            :meth:`get_feature_names_out`.
        """
        check_is_fitted(self)
        return self._pool(X, reset=False)

    def get_feature_names_out(self, input_features=None):
        """Feature names ``<column>_<statistic>_<j>``, one per output column.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; defaults to ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
        """
        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)
        return np.asarray(
            [
                f"{name}_{stat}_{j}"
                for name, dim, stats in zip(
                    names, self.input_dims_, self.column_stats_, strict=True
                )
                for stat in stats
                for j in range(dim)
            ],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _pool(self, X, *, reset):
        columns, cells, index = check_table(X, type(self).__name__)
        validate_data(self, X, skip_check_array=True, reset=reset)
        names = columns if columns is not None else range(len(cells))
        if reset:
            expected_dims = [None] * len(cells)
            column_stats = [self._statistics()] * len(cells)
        else:
            expected_dims, column_stats = self.input_dims_, self.column_stats_
        pooled = [
            _pool_column(column_cells, name, index, dim, stats, fitting=reset)
            for column_cells, name, dim, stats in zip(
                cells, names, expected_dims, column_stats, strict=True
            )
        ]
        if reset:
            self.input_dims_ = tuple(dim for _, dim, _ in pooled)
            self.column_stats_ = tuple(stats for _, _, stats in pooled)
        blocks = [block for block, _, _ in pooled]
        return blocks[0] if len(blocks) == 1 else np.hstack(blocks)


class TemporalMeanPool(_TemporalPool):
    """Average each frame sequence over time: ragged cells -> one matrix.

    Each input column is a modality whose cells are 2-D arrays
    ``(n_frames, dim)`` with a frame count that varies from row to row, or
    1-D arrays ``(dim,)`` that are already utterance-level (they pass through
    unchanged). Each column becomes ``dim`` float32 features; the columns are
    concatenated in input order. A numeric column (one number per row) counts
    as a 1-D cell of length one, so an already pooled numeric matrix passes
    through as float32.

    The pooling is vectorised: each column's frames are stacked once and
    reduced with one segment sum, never a Python ``mean`` per row.

    Attributes
    ----------
    input_dims_ : tuple of int
        The frame dimension of each input column, as seen in :meth:`fit`.
    column_stats_ : tuple of tuple of str
        ``("mean",)`` for each input column.
    n_features_in_ : int
        Number of input columns (modalities).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, when ``X`` had string column names.

    See Also
    --------
    ModalitySelector : Picks the modality columns to pool.
    TemporalStatsPool : More statistics over time than the mean.

    Notes
    -----
    Every cell is checked, and a bad one raises a ``ValueError`` that names
    its row and column: a missing cell (``None``/NaN), zero frames, a
    dimension that differs from the other rows (or from :meth:`fit`), NaN or
    infinite values, or a cell that is not a numeric array.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer import TemporalMeanPool
    >>> X = pd.DataFrame({"acoustic": [np.array([[1.0, 2.0], [3.0, 4.0]]),
    ...                                np.array([[5.0, 6.0]])]})
    >>> pool = TemporalMeanPool()
    >>> pool.fit_transform(X)
    array([[2., 3.],
           [5., 6.]], dtype=float32)
    >>> pool.get_feature_names_out().tolist()
    ['acoustic_mean_0', 'acoustic_mean_1']
    """

    _parameter_constraints: dict = {}

    def __init__(self):
        pass

    def _statistics(self):
        return ("mean",)


class TemporalStatsPool(_TemporalPool):
    """Summarise each frame sequence by statistics over time.

    Like :class:`TemporalMeanPool`, with more than the mean: each frame
    column becomes ``len(stats) * dim`` float32 features, the statistics
    side by side in the order given, each a block of ``dim`` columns named
    ``<column>_<statistic>_<j>`` (``acoustic_std_3``). How a signal moves
    over an utterance (its spread, its extremes, how fast it changes) is
    lost in the mean alone.

    Parameters
    ----------
    stats : str or sequence of str, default=("mean", "std")
        Statistics over the frames of each sequence, per dimension:

        - ``"mean"``: the average frame;
        - ``"std"``: the population standard deviation (``ddof=0``);
        - ``"min"``, ``"max"``: the smallest and largest value;
        - ``"delta_mean"``: the mean absolute difference between
          consecutive frames (how much the features move from one frame to
          the next).

    Attributes
    ----------
    input_dims_ : tuple of int
        The frame dimension of each input column, as seen in :meth:`fit`.
    column_stats_ : tuple of tuple of str
        The statistics each input column is pooled to: ``stats`` for a
        column with frame sequences, ``("mean",)`` for a column whose cells
        were all utterance-level vectors in :meth:`fit` (see Notes).
    n_features_in_ : int
        Number of input columns (modalities).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, when ``X`` had string column names.

    See Also
    --------
    TemporalMeanPool : The mean alone; ``stats=("mean",)`` gives the same.

    Notes
    -----
    Utterance-level cells, 1-D ``(dim,)`` arrays: a column made of them
    alone (a sentence embedding, or an already pooled matrix) passes through
    unchanged as its ``mean`` block, since its std and delta_mean would be
    constant zeros and its min and max copies of it. A vector among frame
    sequences counts as a sequence of one frame (std and delta_mean zero).

    The reduction is vectorised as in :class:`TemporalMeanPool` (frames
    stacked into one reused buffer by cache-sized chunks; sparse products
    for the mean, std and delta_mean, ``reduceat`` for min and max), and
    every cell is checked the same way: a bad one raises a ``ValueError``
    naming its row and column.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer import TemporalStatsPool
    >>> X = pd.DataFrame({"acoustic": [np.array([[1.0, 2.0], [3.0, 6.0]]),
    ...                                np.array([[5.0, 6.0]])]})
    >>> pool = TemporalStatsPool(stats=("mean", "std"))
    >>> pool.fit_transform(X)
    array([[2., 4., 1., 2.],
           [5., 6., 0., 0.]], dtype=float32)
    >>> pool.get_feature_names_out().tolist()
    ['acoustic_mean_0', 'acoustic_mean_1', 'acoustic_std_0', 'acoustic_std_1']
    """

    _parameter_constraints: dict = {
        "stats": [StrOptions(set(POOL_STATISTICS)), "array-like"],
    }

    def __init__(self, stats: str | Sequence[str] = ("mean", "std")):
        self.stats = stats

    def _statistics(self):
        return check_statistics(self.stats)


def pool_table(X: pd.DataFrame, columns=None) -> pd.DataFrame:
    """Replace each frame sequence by its mean vector, keeping missing cells.

    The result feeds any pipeline that starts with :class:`TemporalMeanPool`
    exactly as the frames would (a 1-D cell passes through the pooling), so
    pooling once up front saves the work of pooling again at every fit.

    Parameters
    ----------
    X : DataFrame
        The multimodal table.
    columns : list of str, default=None
        The columns to pool; all of them when None.

    Returns
    -------
    pooled : DataFrame
        A new table with the same index and columns; the pooled columns hold
        float32 vectors ``(dim,)``, missing cells stay missing.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer.preprocessing import pool_table
    >>> X = pd.DataFrame({"acoustic": [np.ones((3, 2)), None]})
    >>> pool_table(X)["acoustic"].tolist()
    [array([1., 1.], dtype=float32), None]
    """
    pooled = X.copy()
    for column in X.columns if columns is None else columns:
        cells = X[column].to_numpy()
        present = np.array([not is_missing_cell(cell) for cell in cells], dtype=bool)
        if not present.any():
            continue
        block = TemporalMeanPool().fit_transform(
            pd.DataFrame({column: cells[present]}, index=X.index[present])
        )
        out = np.full(len(cells), None, dtype=object)
        out[np.flatnonzero(present)] = list(block)
        pooled[column] = out
    return pooled


def _pool_column(cells, name, index, expected_dim, stats, *, fitting):
    """Pool one modality column; return ``(block, frame_dim, stats_used)``.

    ``expected_dim`` is None while fitting. A column of utterance-level
    vectors only is its own mean while fitting (its std would be zeros);
    after that, the column is reduced with the statistics fitted.
    """
    if cells.dtype.kind in "biuf":
        # A numeric column: one number per row, an utterance-level feature.
        block, dim, vectors = cells.astype(np.float32).reshape(-1, 1), 1, True
        check_column_dim(np.ones(len(block), dtype=np.intp), name, index, expected_dim)
    else:
        block = _pool_well_formed(cells, stats)
        dim, vectors = None if block is None else block.shape[1] // len(stats), False
        if block is None:
            block, dim, vectors = _pool_checking_each_cell(cells, name, index, stats)
        check_column_dim(np.full(len(block), dim), name, index, expected_dim)
    if vectors:
        stats = ("mean",) if fitting else stats
        block = _stats_of_vectors(block, stats)
    # A NaN or inf in any frame makes that row's statistics non-finite.
    _check_finite(block, name, index)
    return block, dim, stats


def _stats_of_vectors(vectors, stats):
    """Statistics of utterance-level vectors, each taken as one frame."""
    if stats == ("mean",):
        return vectors
    one_frame = {"mean": vectors, "min": vectors, "max": vectors}
    zeros = np.zeros_like(vectors)
    return np.hstack([one_frame.get(stat, zeros) for stat in stats])


def _pool_well_formed(cells, stats):
    """Pool a column of 2-D numeric arrays of one dimension, else return None.

    The common case costs no Python step per cell: numpy's concatenation
    refuses mixed dimensions, missing cells and non-numeric values by itself,
    and any refusal sends the column to the cell-by-cell path, which names
    the offending row.
    """
    sequences = list(cells)
    try:
        lengths = np.fromiter(map(len, sequences), dtype=np.intp, count=len(sequences))
        if not lengths.all():
            return None
        return stats_of_sequences(sequences, lengths, stats)
    except (ValueError, TypeError):
        return None


def _pool_checking_each_cell(cells, name, index, stats):
    """Check each cell; return ``(block, frame_dim, whether all are vectors)``."""
    if not _all_numeric_arrays(cells):
        cells = [cell_as_array(cell, name, index, i) for i, cell in enumerate(cells)]
    lengths, dims, ndims = frame_shapes(cells, name, index)
    check_column_dim(dims, name, index, None)
    if (ndims == 1).all():
        return np.stack(cells).astype(np.float32, copy=False), int(dims[0]), True
    # A vector among sequences is a sequence of one frame.
    cells = [cell.reshape(-1, cell.shape[-1]) for cell in cells]
    return stats_of_sequences(cells, lengths, stats), int(dims[0]), False


def _all_numeric_arrays(cells):
    return all(type(cell) is np.ndarray for cell in cells) and all(
        cell.dtype.kind in "biuf" for cell in cells
    )


def _check_finite(block, name, index):
    # One float64 sum tells whether anything is NaN or inf (float32 values
    # cannot overflow it); rows are searched only when something is.
    if np.isfinite(np.add.reduce(block, axis=None, dtype=np.float64)):
        return
    finite = np.isfinite(block).all(axis=1)
    if not finite.all():
        position = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: the features "
            f"contain NaN or infinite values ({int((~finite).sum())} row(s) affected)."
        )
