"""Which rows each configuration can use, and which are left out and why."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

from ..utils import missing_cells


def rows_with_missing_cells(X, columns, rows=None) -> pd.DataFrame:
    """List the rows of ``X`` with a missing cell in one of ``columns``.

    Parameters
    ----------
    X : DataFrame or array-like
        The multimodal table.
    columns : list
        The columns to look at.
    rows : ndarray of bool, default=None
        Only list these rows (e.g. those no configuration can use); all
        rows with a missing cell when None.

    Returns
    -------
    excluded : DataFrame
        Indexed by the row labels of ``X`` (positions for an array), with
        ``position``, ``missing`` (the missing columns, comma-separated) and
        ``reason``.
    """
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))
    missing = missing_cells(X, columns)
    listed = missing.any(axis=1)
    if rows is not None:
        listed &= rows
    positions = np.flatnonzero(listed)
    names = [
        ", ".join(str(c) for c, m in zip(columns, missing[p], strict=True) if m)
        for p in positions
    ]
    return pd.DataFrame(
        {
            "position": positions,
            "missing": names,
            "reason": [f"no features for {n}" for n in names],
        },
        index=pd.Index(index[positions], name=index.name or "row"),
    )


def tolerates_missing_cells(estimator) -> bool:
    """Whether ``estimator`` accepts rows with missing cells, by its sklearn tags.

    An estimator says so with ``input_tags.allow_nan`` (a missing cell is
    ``None`` or NaN). A :class:`~sklearn.pipeline.Pipeline` does not pass
    its steps' ``allow_nan`` on, so it tolerates missing cells when every
    step does.
    """
    if isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s not in (None, "passthrough")]
        return bool(steps) and all(map(tolerates_missing_cells, steps))
    return bool(get_tags(estimator).input_tags.allow_nan)


def usable_rows(X, columns_read: dict, tolerant: dict):
    """Which rows each configuration is scored on.

    A configuration that does not tolerate missing cells gets the rows with
    every cell that any such configuration reads (the same rows for all of
    them, so their scores stay paired, as before); one that tolerates them
    gets every row with at least one of the cells it reads.

    Parameters
    ----------
    X : DataFrame or array-like
        The multimodal table.
    columns_read : dict of str to list
        The columns each configuration reads.
    tolerant : dict of str to bool
        Whether each configuration tolerates missing cells.

    Returns
    -------
    usable : dict of str to ndarray of bool
        Per configuration, which rows of ``X`` it can use.
    needed : list
        The columns any configuration reads, in the order of ``X``.
    """
    read = {column for columns in columns_read.values() for column in columns}
    columns = list(X.columns) if isinstance(X, pd.DataFrame) else []
    needed = [column for column in columns if column in read]
    missing = missing_cells(X, needed)
    position = {column: j for j, column in enumerate(needed)}
    strict = {
        position[column]
        for name, names in columns_read.items()
        if not tolerant[name]
        for column in names
        if column in position
    }
    complete = ~missing[:, sorted(strict)].any(axis=1)
    usable = {}
    for name, names in columns_read.items():
        own = [position[column] for column in names if column in position]
        if tolerant[name] and own:
            usable[name] = ~missing[:, own].all(axis=1)
        else:
            usable[name] = complete
    return usable, needed
