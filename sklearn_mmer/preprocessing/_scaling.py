"""Standardise each modality of the multimodal table, keeping missing cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import cell_as_array, check_table, describe_row, is_missing_cell


class ModalityScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Standardise every modality column, frame by frame; missing cells stay missing.

    Like :class:`~sklearn.preprocessing.StandardScaler`, per modality and
    per feature dimension, but on the multimodal table itself: the mean and
    standard deviation of a frame modality are taken over all the frames of
    all its rows (every frame counts once), those of a vector modality over
    its rows. Each cell keeps its shape; a missing cell (``None``/NaN) is
    passed through as missing and takes no part in the statistics, so the
    next step (e.g. :class:`~sklearn_mmer.TorchMultimodalClassifier`) can
    decide what a missing modality means.

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract each dimension's mean.
    with_std : bool, default=True
        Divide by each dimension's standard deviation (dimensions without
        variance are left unscaled).

    Attributes
    ----------
    mean_ : list of ndarray
        Mean of each dimension, one float64 array per modality.
    scale_ : list of ndarray
        Standard deviation of each dimension (1 where it is zero), one
        float64 array per modality.
    n_samples_seen_ : ndarray of int of shape (n_modalities,)
        Frames (or vectors) each modality's statistics were taken over.
    n_features_in_ : int
        Number of modality columns.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, when ``X`` had string column names.

    See Also
    --------
    TemporalMeanPool : Pools frames into vectors (missing cells refused).
    make_neural_fusion : This scaler before a multimodal network.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer import ModalityScaler
    >>> X = pd.DataFrame({"acoustic": [np.array([[0.0], [2.0]]), None,
    ...                                np.array([[4.0]])]})
    >>> scaled = ModalityScaler().fit_transform(X)
    >>> scaled["acoustic"].tolist()
    [array([[-1.2247...],
           [ 0.    ]], dtype=float32), None, array([[1.2247...]], dtype=float32)]
    """

    _parameter_constraints: dict = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, *, with_mean: bool = True, with_std: bool = True):
        self.with_mean = with_mean
        self.with_std = with_std

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn each modality's per-dimension mean and standard deviation.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_modalities)
            Cells are 2-D ``(n_frames, dim)`` or 1-D ``(dim,)`` arrays, or
            missing (``None``/NaN).
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted scaler.
        """
        columns, cells, index = check_table(X, type(self).__name__)
        validate_data(self, X, skip_check_array=True, reset=True)
        names = columns if columns is not None else range(len(cells))
        stats = [
            _column_statistics(column_cells, name, index)
            for column_cells, name in zip(cells, names, strict=True)
        ]
        self.mean_ = [mean for mean, _, _ in stats]
        self.scale_ = [np.where(std > 0, std, 1.0) for _, std, _ in stats]
        self.n_samples_seen_ = np.array([count for _, _, count in stats])
        return self

    def transform(self, X):
        """Standardise every present cell; missing cells stay as they are.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_modalities)
            The modalities seen in :meth:`fit`, with the same dimensions.

        Returns
        -------
        X_scaled : DataFrame or ndarray, as ``X``
            Same shape, index and columns; float32 cells of the same shapes.
            A numeric table stays numeric (float64, NaN where missing).
        """
        check_is_fitted(self)
        columns, cells, index = check_table(X, type(self).__name__)
        validate_data(self, X, skip_check_array=True, reset=False)
        names = columns if columns is not None else range(len(cells))
        scaled = [
            self._scale_column(column_cells, name, index, j)
            for j, (column_cells, name) in enumerate(zip(cells, names, strict=True))
        ]
        if isinstance(X, pd.DataFrame):
            return (
                pd.DataFrame(dict(enumerate(scaled)))
                .set_axis(X.columns, axis=1)
                .set_axis(X.index, axis=0)
            )
        if all(column.dtype.kind == "f" for column in scaled):
            return np.column_stack(scaled)
        table = np.empty((len(scaled[0]), len(scaled)), dtype=object)
        for j, column in enumerate(scaled):
            table[:, j] = column
        return table

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Missing cells are passed through, so NaN in a numeric table too.
        tags.input_tags.allow_nan = True
        return tags

    def _scale_column(self, cells, name, index, j):
        mean = self.mean_[j] if self.with_mean else 0.0
        scale = self.scale_[j] if self.with_std else 1.0
        if cells.dtype.kind in "biuf":
            # A numeric column: a modality of dimension one, NaN where missing.
            _check_dim(1, len(self.mean_[j]), name, index, 0)
            values = cells.astype(np.float64)
            _check_finite(values, name, index)
            return (values - np.ravel(mean)[0]) / np.ravel(scale)[0]
        out = np.empty(len(cells), dtype=object)
        for i, cell in enumerate(cells):
            if is_missing_cell(cell):
                out[i] = cell
                continue
            array = _as_array(cell, name, index, i)
            _check_dim(array.shape[-1], len(self.mean_[j]), name, index, i)
            out[i] = ((array - mean) / scale).astype(np.float32)
        return out


def _column_statistics(cells, name, index):
    """Mean, standard deviation and count of one column's frames, per dimension.

    Per-cell means and sums of squared deviations are combined exactly
    (Chan et al.'s pairwise update), which keeps float64 precision without
    ever stacking every frame of the column in memory.
    """
    if cells.dtype.kind in "biuf":
        values = cells.astype(np.float64)
        _check_finite(values, name, index)
        present = values[~np.isnan(values)]
        if present.size == 0:
            return np.zeros(1), np.zeros(1), 0
        return np.array([present.mean()]), np.array([present.std()]), present.size
    rows = [i for i, cell in enumerate(cells) if not is_missing_cell(cell)]
    if not rows:
        raise ValueError(
            f"Column {name!r} has no cell in any row, so it cannot be scaled; drop "
            "the column."
        )
    arrays = [_as_array(cells[i], name, index, i) for i in rows]
    dims = {array.shape[-1] for array in arrays}
    if len(dims) > 1:
        usual = max(dims, key=[a.shape[-1] for a in arrays].count)
        odd = next(k for k, a in enumerate(arrays) if a.shape[-1] != usual)
        raise ValueError(
            f"{describe_row(index, rows[odd])}, column {name!r}: feature dimension "
            f"{arrays[odd].shape[-1]} differs from {usual} in the other rows."
        )
    frames = [a.reshape(-1, a.shape[-1]) for a in arrays]
    counts = np.array([len(f) for f in frames], dtype=np.float64)
    means = np.stack([f.mean(axis=0, dtype=np.float64) for f in frames])
    squares = np.stack(
        [
            np.square(f - m, dtype=np.float64).sum(axis=0)
            for f, m in zip(frames, means, strict=True)
        ]
    )
    total = counts.sum()
    mean = counts @ means / total
    spread = squares.sum(axis=0) + counts @ np.square(means - mean)
    for k, m in enumerate(means):
        if not np.isfinite(m).all():
            raise ValueError(
                f"{describe_row(index, rows[k])}, column {name!r}: the features "
                "contain NaN or infinite values."
            )
    return mean, np.sqrt(spread / total), int(total)


def _as_array(cell, name, index, position):
    """Read a present cell as a non-empty 1-D or 2-D numeric array, or raise."""
    array = cell_as_array(cell, name, index, position)
    if array.ndim > 2 or array.size == 0:
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: expected a "
            "non-empty 2-D (frames, dim) or 1-D (dim,) array, got shape "
            f"{array.shape}."
        )
    return array


def _check_dim(dim, expected, name, index, position):
    if dim != expected:
        raise ValueError(
            f"{describe_row(index, position)}, column {name!r}: feature dimension "
            f"{dim} differs from {expected} in the data seen in fit."
        )


def _check_finite(values, name, index):
    """Refuse infinite values; NaN is a missing cell."""
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        raise ValueError(
            f"{describe_row(index, int(infinite[0]))}, column {name!r}: the "
            f"features contain infinite values ({infinite.size} row(s) affected)."
        )
