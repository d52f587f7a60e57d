"""Turn results into plain JSON data: exact numbers, readable parameters."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..evaluation import is_baseline


def jsonable(value):
    """Convert ``value`` into JSON types; NaN becomes None, objects their repr."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return [jsonable(record) for record in value.to_dict(orient="records")]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | pd.Index | pd.Series):
        return [jsonable(v) for v in value]
    return repr(value)


def configuration_record(name, estimator) -> dict:
    """Describe a configuration as ``results.json`` records it.

    Its ``repr``, its exact parameters, and whether it is one of the
    classical baselines of :func:`~sklearn_mmer.make_configurations`.
    """
    return {
        "estimator": repr(estimator),
        "params": estimator_params(estimator),
        "baseline": is_baseline(name),
    }


def estimator_params(estimator) -> dict:
    """Every parameter of ``estimator`` and its parts, nested estimators by name.

    The values are those ``get_params(deep=True)`` reports, so the record
    is enough to rebuild the configuration with ``set_params``.
    """
    params = {}
    for key, value in sorted(estimator.get_params(deep=True).items()):
        if isinstance(value, BaseEstimator):
            params[key] = type(value).__name__
        elif _holds_estimators(value):
            params[key] = [item[0] for item in value]
        else:
            params[key] = jsonable(value)
    return params


def _holds_estimators(value):
    return (
        isinstance(value, list | tuple)
        and len(value) > 0
        and all(
            isinstance(item, tuple) and len(item) >= 2 and hasattr(item[1], "fit")
            for item in value
        )
    )
