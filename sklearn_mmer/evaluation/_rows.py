"""Which rows every configuration can use, and which are left out and why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..utils._frames import is_missing_cell


def rows_with_missing_cells(X, columns) -> pd.DataFrame:
    """List the rows of ``X`` with a missing cell in one of ``columns``.

    Returns
    -------
    excluded : DataFrame
        Indexed by the row labels of ``X`` (positions for an array), with
        ``position``, ``missing`` (the missing columns, comma-separated) and
        ``reason``.
    """
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))
    missing = np.zeros((len(index), len(columns)), dtype=bool)
    if isinstance(X, pd.DataFrame):
        for j, column in enumerate(columns):
            cells = X[column].to_numpy()
            if cells.dtype == object:
                missing[:, j] = [is_missing_cell(cell) for cell in cells]
            elif cells.dtype.kind == "f":
                missing[:, j] = np.isnan(cells)
    positions = np.flatnonzero(missing.any(axis=1))
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
