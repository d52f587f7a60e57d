"""Grid search of one configuration: grouped folds, repeats, the same rows rule."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ..fusion import request_groups, required_columns, torch_classifiers
from ..neural_network import BaseTorchClassifier
from ._metrics import METRICS, check_scoring, metric_title
from ._repeats import folds_table, group_splitter, repeated_splits
from ._rows import rows_with_missing_cells, tolerates_missing_cells, usable_rows


@dataclass(repr=False)
class SearchResult:
    """The ranked candidates of :func:`search_configuration`.

    Attributes
    ----------
    candidates : DataFrame
        One row per candidate, best first: ``candidate`` (its position in
        the grid), ``rank`` (by the mean ``scoring`` metric; ties share a
        rank), one column per searched parameter (by the name given), and
        ``<metric>_mean`` / ``<metric>_std`` over all folds of every metric
        of :data:`METRICS` and of ``fit_time``.
    per_fold : DataFrame
        One row per candidate and fold: ``candidate``, ``fold``, ``repeat``
        and every metric.
    best_params : dict
        The best candidate, by the names given.
    best_params_paths : dict
        The same as ``set_params`` keys of the estimator.
    folds : DataFrame
        One row per fold: ``repeat``, ``n_train``, ``n_test``,
        ``test_groups``.
    excluded : DataFrame
        Rows left out for a missing cell the configuration reads.
    estimator : estimator
        The configuration searched (unfitted).
    name : str
        Its name.
    cv : cross-validation splitter
        The splitter of the first repeat.
    scoring : str
        The ranking metric.
    n_repeats : int
        Repeats of the cross-validation.
    cv_results : dict
        :class:`~sklearn.model_selection.GridSearchCV`'s ``cv_results_``.
    """

    candidates: pd.DataFrame
    per_fold: pd.DataFrame
    best_params: dict
    best_params_paths: dict
    folds: pd.DataFrame
    excluded: pd.DataFrame
    estimator: object
    name: str
    cv: object
    scoring: str
    n_repeats: int
    cv_results: dict = field(default_factory=dict)

    @property
    def searched(self) -> list[str]:
        """The parameters searched, by the names given."""
        fixed = {"candidate", "rank"}
        return [
            c
            for c in self.candidates.columns
            if c not in fixed and not c.endswith(("_mean", "_std"))
        ]

    def __repr__(self) -> str:
        return (
            f"SearchResult({self.name!r}, {len(self.candidates)} candidates, "
            f"{len(self.folds)} folds; best by {metric_title(self.scoring)}: "
            f"{self.best_params})"
        )


def search_configuration(
    estimator,
    param_grid: Mapping[str, Sequence] | Sequence[Mapping[str, Sequence]],
    X,
    y,
    *,
    groups,
    cv=5,
    n_repeats: int = 1,
    scoring: str | None = None,
    name: str | None = None,
    random_state=None,
    n_jobs: int | None = None,
) -> SearchResult:
    """Grid-search one configuration speaker-independently.

    The search of one configuration as :func:`evaluate_configurations` is
    the comparison of several: the same grouped folds (checked to share no
    group), the same repeats, the same rule for rows with a missing
    modality (left out and listed in ``excluded``), the same metrics, and
    ``groups`` routed to every torch classifier so that early stopping
    validates on held-out speakers. It runs
    :class:`~sklearn.model_selection.GridSearchCV` with every metric of
    :data:`METRICS` and no refit.

    Parameters
    ----------
    estimator : classifier
        The configuration, e.g. ``make_configurations(...)["early"]``.
    param_grid : dict of str to list, or list of such dicts
        Candidate values by parameter. A name that is not a parameter path
        of ``estimator`` (``"classifier__dropout"``) but is a parameter of
        its torch classifiers (``"hidden_layer_sizes"``) sets it on every
        one of them at once: late fusion's classifiers all get the same
        value in each candidate.
    X : DataFrame of shape (n_samples, n_modalities)
        The multimodal table.
    y : array-like of shape (n_samples,)
        Class labels.
    groups : array-like of shape (n_samples,)
        Speaker (or session) of each row.
    cv : int or cross-validation splitter, default=5
        As in :func:`evaluate_configurations`.
    n_repeats : int, default=1
        Repeat the cross-validation with the groups assigned to folds afresh
        (seeded by ``random_state``); every candidate sees the same folds.
    scoring : str, default=None
        The ranking metric (name or alias of :data:`METRICS`); None means
        ``"f1_micro"``.
    name : str, default=None
        A name for reports; default: the estimator's class name.
    random_state : int, RandomState instance or None, default=None
        Seeds the group assignment of the repeats after the first.
    n_jobs : int, default=None
        Fits in parallel (GridSearchCV's ``n_jobs``).

    Returns
    -------
    result : SearchResult

    Raises
    ------
    ValueError
        For an unknown parameter, a fold sharing a group, or no row left.

    See Also
    --------
    evaluate_configurations : The comparison of several configurations.
    sklearn_mmer.report.write_search_report : Writes the result.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...                           make_emotion_dataset)
    >>> from sklearn_mmer.evaluation import search_configuration
    >>> data = make_emotion_dataset(n_samples=80, dims={"lexical": 6},
    ...                             random_state=0)
    >>> pipe = make_pipeline(ModalitySelector("lexical"), TemporalMeanPool(),
    ...                      LogisticRegression())
    >>> result = search_configuration(
    ...     pipe, {"logisticregression__C": [0.1, 1.0]}, data.data, data.target,
    ...     groups=data.groups, cv=2, n_repeats=2, random_state=0)
    >>> len(result.candidates), len(result.per_fold)
    (2, 8)
    """
    if not is_classifier(estimator):
        raise TypeError(f"The configuration is not a classifier: {estimator!r}.")
    scoring = check_scoring(scoring)
    if not isinstance(n_repeats, Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer; got {n_repeats!r}.")
    name = name or type(estimator).__name__
    y = column_or_1d(y, warn=True)
    groups = column_or_1d(groups)
    check_consistent_length(X, y, groups)
    grid, user_names = expand_grid(estimator, param_grid)

    columns = (
        required_columns(estimator, X.columns) if isinstance(X, pd.DataFrame) else []
    )
    # A configuration that tolerates missing cells (by its tags) keeps the
    # rows with at least one of its modalities, as in evaluate_configurations.
    usable, _ = usable_rows(
        X, {name: columns}, {name: tolerates_missing_cells(estimator)}
    )
    excluded = rows_with_missing_cells(X, columns, rows=~usable[name])
    keep = np.flatnonzero(usable[name])
    if keep.size == 0:
        raise ValueError(f"Every row lacks a modality that {name!r} reads.")
    X, y, groups = _safe_indexing(X, keep), y[keep], groups[keep]

    cv = group_splitter(cv)
    splits, repeats = repeated_splits(cv, n_repeats, random_state, X, y, groups)

    searcher = GridSearchCV(
        estimator,
        grid,
        scoring=list(METRICS),
        refit=False,
        cv=splits,
        n_jobs=n_jobs,
        error_score="raise",
    )
    with (
        sklearn.config_context(enable_metadata_routing=True),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        # Early stopping then validates on speakers held out of training.
        # The folds are given as they are, so only the classifiers take groups.
        fit_params = {}
        if torch_classifiers(estimator):
            searcher.estimator = request_groups(clone(estimator))
            fit_params["groups"] = groups
        searcher.fit(X, y, **fit_params)

    results = searcher.cv_results_
    table = _ranked(results, user_names, scoring)
    best = int(table["candidate"].iloc[0])
    best_paths = results["params"][best]
    return SearchResult(
        candidates=table,
        per_fold=_per_fold(results, repeats),
        best_params={p: _native(table[p].iloc[0]) for p in user_names},
        best_params_paths=dict(best_paths),
        folds=folds_table(splits, repeats, groups),
        excluded=excluded,
        estimator=estimator,
        name=name,
        cv=cv,
        scoring=scoring,
        n_repeats=n_repeats,
        cv_results=results,
    )


def expand_grid(estimator, param_grid):
    """GridSearchCV's grid, and the parameter names as the user gave them.

    A user-level name (a torch classifier's parameter) sets every torch
    classifier inside at once, which a dict of lists cannot express, so
    each candidate becomes its own grid point.
    """
    grids = [param_grid] if isinstance(param_grid, Mapping) else list(param_grid)
    paths = estimator.get_params(deep=True)
    prefixes = [
        key + "__"
        for key, value in paths.items()
        if isinstance(value, BaseTorchClassifier)
    ]
    if isinstance(estimator, BaseTorchClassifier):
        prefixes = [""]
    classifier_params = set()
    for classifier in torch_classifiers(estimator):
        classifier_params |= set(classifier.get_params(deep=False))
    expanded, names = [], []
    for grid in grids:
        for key in grid:
            if key not in paths and key not in classifier_params:
                raise ValueError(
                    f"{key!r} is neither a parameter of the configuration nor of "
                    f"its torch classifiers; valid: {sorted(paths)}."
                )
            if key not in names:
                names.append(key)
        keys = list(grid)
        for values in itertools.product(*(list(grid[k]) for k in keys)):
            point = {}
            for key, value in zip(keys, values, strict=True):
                targets = [key] if key in paths else [p + key for p in prefixes]
                point.update({target: [value] for target in targets})
            expanded.append(point)
    if not expanded:
        raise ValueError("param_grid holds no candidate.")
    return expanded, names


def _ranked(results, user_names, scoring):
    rows = []
    for index, params in enumerate(results["params"]):
        row = {"candidate": index}
        for user in user_names:
            row[user] = next(
                (
                    v
                    for path, v in params.items()
                    if path == user or path.endswith("__" + user)
                ),
                None,
            )
        for metric in METRICS:
            row[f"{metric}_mean"] = results[f"mean_test_{metric}"][index]
            row[f"{metric}_std"] = results[f"std_test_{metric}"][index]
        row["fit_time_mean"] = results["mean_fit_time"][index]
        row["fit_time_std"] = results["std_fit_time"][index]
        rows.append(row)
    table = pd.DataFrame(rows)
    for name in user_names:
        # pandas reads None among strings as a missing string (NaN); a
        # parameter's None is a value, kept as it is in an object column.
        values = [row[name] for row in rows]
        table[name] = pd.Series(values, index=table.index, dtype=object)
    table.insert(
        1,
        "rank",
        table[f"{scoring}_mean"].rank(ascending=False, method="min").astype(int),
    )
    return table.sort_values(["rank", "candidate"], kind="stable").reset_index(
        drop=True
    )


def _per_fold(results, repeats):
    rows = []
    for index in range(len(results["params"])):
        for fold, repeat in enumerate(repeats):
            rows.append(
                {
                    "candidate": index,
                    "fold": fold,
                    "repeat": repeat,
                    **{m: results[f"split{fold}_test_{m}"][index] for m in METRICS},
                }
            )
    return pd.DataFrame(rows)


def _native(value):
    """Show numbers as Python writes them: 0.001, not np.float64(0.001)."""
    return value.item() if isinstance(value, np.generic) else value
