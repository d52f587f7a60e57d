"""Keep some modality columns of the multimodal table."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from ..utils import check_table


class ModalitySelector(TransformerMixin, BaseEstimator):
    """Keep the named modality column(s) of a multimodal table.

    The multimodal table is a :class:`pandas.DataFrame` with one row per
    utterance and one column per modality (``visual``, ``acoustic``,
    ``lexical``, ...), each cell a NumPy array. The selector is the first step
    of a unimodal pipeline: it hands the next step only the columns it needs.
    Cells are neither copied nor checked; that is the pooling step's job.

    Parameters
    ----------
    modalities : str, int or list of str or int, default=None
        The column(s) to keep, by name (DataFrame input) or position. A single
        name keeps one column; the output is always 2-D. ``None`` keeps every
        column.

    Attributes
    ----------
    modalities_ : list of str or int
        The columns kept, in output order.
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, when ``X`` had string column names.

    See Also
    --------
    sklearn.compose.ColumnTransformer : Selects columns and transforms each
        subset; the early-fusion builder uses it.
    TemporalMeanPool : Pools the selected frame sequences into vectors.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer import ModalitySelector
    >>> X = pd.DataFrame({
    ...     "visual": [np.zeros((5, 4)), np.ones((3, 4))],
    ...     "lexical": [np.zeros(6), np.ones(6)],
    ... })
    >>> selector = ModalitySelector("lexical").fit(X)
    >>> selector.transform(X).columns.tolist()
    ['lexical']
    >>> selector.get_feature_names_out().tolist()
    ['lexical']
    """

    _parameter_constraints: dict = {
        "modalities": [str, Integral, "array-like", None],
    }

    def __init__(self, modalities: str | int | Sequence[str | int] | None = None):
        self.modalities = modalities

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check that the requested columns exist.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_modalities)
            The multimodal table.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted selector.
        """
        columns, cells, _ = check_table(X, type(self).__name__)
        validate_data(self, X, skip_check_array=True, reset=True)
        self.modalities_ = self._resolve(columns, len(cells))
        return self

    def transform(self, X):
        """Keep the selected columns.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_modalities)
            The multimodal table, with the columns seen in :meth:`fit`.

        Returns
        -------
        X_selected : DataFrame or ndarray of shape (n_samples, n_selected)
            A DataFrame (same index) for DataFrame input, else an array.
        """
        check_is_fitted(self)
        check_table(X, type(self).__name__)
        validate_data(self, X, skip_check_array=True, reset=False)
        if isinstance(X, pd.DataFrame):
            if all(isinstance(m, str) for m in self.modalities_):
                return X.loc[:, self.modalities_]
            return X.iloc[:, self.modalities_]
        return np.asarray(X)[:, self.modalities_]

    def get_feature_names_out(self, input_features=None):
        """Names of the kept columns.

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
        positions = [
            m if isinstance(m, Integral) else list(names).index(m)
            for m in self.modalities_
        ]
        return np.asarray(names, dtype=object)[positions]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Selecting columns never reads the cells: checking them (NaN, dtype,
        # shape) is the job of the step that uses them, e.g. the pooling.
        tags.input_tags.allow_nan = True
        return tags

    def _resolve(self, columns, n_columns):
        requested = self.modalities
        if requested is None:
            return list(columns) if columns is not None else list(range(n_columns))
        if isinstance(requested, str | Integral):
            requested = [requested]
        requested = list(requested)
        if not requested:
            raise ValueError("ModalitySelector needs at least one modality.")
        for name in requested:
            if isinstance(name, Integral) and not isinstance(name, bool):
                if not -n_columns <= name < n_columns:
                    raise ValueError(
                        f"Modality position {name} is out of range for a table "
                        f"with {n_columns} column(s)."
                    )
            elif isinstance(name, str):
                if columns is None:
                    raise ValueError(
                        f"Selecting modality {name!r} by name needs a pandas "
                        "DataFrame with named columns; got an array. Pass a "
                        "DataFrame or select by position."
                    )
                if name not in columns:
                    raise ValueError(
                        f"Unknown modality {name!r}. The table has the columns "
                        f"{[str(c) for c in columns]}."
                    )
            else:
                raise TypeError(
                    f"Modalities are selected by name or position; got {name!r}."
                )
        return requested
