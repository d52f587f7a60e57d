"""How much each modality contributes to a fusion configuration."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.inspection import permutation_importance
from sklearn.metrics import make_scorer
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import column_or_1d

from ..fusion import pools_before_reading, required_columns
from ..preprocessing import pool_table
from ._compare import _fit_and_score
from ._metrics import METRIC_TABLE, check_scoring
from ._repeats import reseeded
from ._result import ComparisonResult


def modality_importance(
    result: ComparisonResult,
    X: pd.DataFrame,
    y,
    *,
    groups,
    configurations=None,
    metric: str | None = None,
    n_permutations: int = 5,
    leave_out: bool = True,
    random_state=None,
) -> pd.DataFrame:
    """Contribution of each modality to each multimodal configuration.

    Two measures, both on the test part of every fold of ``result``:

    - ``"permutation"``: grouped permutation importance. The cells of one
      modality column are shuffled among the test rows (the whole
      utterance-level vector or frame sequence moves as one), the fold's
      fitted model predicts again, and the importance is the drop in
      ``metric``, averaged over ``n_permutations`` shuffles
      (:func:`sklearn.inspection.permutation_importance` on the column).
      It asks how much the trained model relies on the modality.
    - ``"leave_out"`` (early fusion only): the configuration is fitted again
      on each fold without the modality (its ColumnTransformer branch set to
      ``"drop"``), and the importance is the drop from the full
      configuration's score. It asks how much the modality adds when a
      model can learn without it.

    A modality that carries no signal gets an importance near zero; a
    negative value means the model did better without it.

    Parameters
    ----------
    result : ComparisonResult
        From :func:`evaluate_configurations` with ``return_estimators=True``.
    X : DataFrame
        The table the comparison ran on (all rows; the excluded ones are
        left out again).
    y : array-like of shape (n_samples,)
        The labels the comparison ran on.
    groups : array-like of shape (n_samples,)
        The groups the comparison ran on (early stopping of the refits
        validates on held-out speakers).
    configurations : list of str, default=None
        The configurations to explain; default: every one that reads two or
        more modalities.
    metric : str, default=None
        The score whose drop is measured; default ``result.scoring``.
    n_permutations : int, default=5
        Shuffles per modality and fold.
    leave_out : bool, default=True
        Also refit early fusion without each modality (one more fit per
        modality and fold).
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles.

    Returns
    -------
    importance : DataFrame
        One row per configuration, modality, method and fold:
        ``configuration``, ``modality``, ``method`` (``"permutation"`` or
        ``"leave_out"``), ``fold``, ``repeat``, ``baseline`` (the fold's
        score), ``score`` (with the modality shuffled or left out) and
        ``importance`` (``baseline - score``). ``importance.attrs["metric"]``
        names the metric.

    Raises
    ------
    ValueError
        If ``result`` kept no fitted estimators, or a named configuration
        is unknown.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...     evaluate_configurations, make_emotion_dataset)
    >>> from sklearn_mmer.evaluation import modality_importance
    >>> data = make_emotion_dataset(n_samples=80,
    ...     dims={"acoustic": 4, "lexical": 6}, random_state=0)
    >>> both = make_pipeline(ModalitySelector(["acoustic", "lexical"]),
    ...                      TemporalMeanPool(), LogisticRegression())
    >>> result = evaluate_configurations({"both": both}, data.data,
    ...     data.target, groups=data.groups, cv=2, return_estimators=True)
    >>> importance = modality_importance(result, data.data, data.target,
    ...     groups=data.groups, random_state=0)
    >>> sorted(set(importance["modality"]))
    ['acoustic', 'lexical']
    """
    if result.estimators is None:
        raise ValueError(
            "modality_importance needs the fitted models of every fold: run "
            "evaluate_configurations with return_estimators=True."
        )
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            "X must be the DataFrame of modality columns the comparison read."
        )
    metric = check_scoring(metric if metric is not None else result.scoring)
    scorer = make_scorer(METRIC_TABLE[metric].score)
    keep = np.setdiff1d(np.arange(len(X)), result.excluded["position"].to_numpy())
    X_used = _safe_indexing(X, keep)
    y_used = column_or_1d(y)[keep]
    groups_used = column_or_1d(groups)[keep]
    names = _configurations_to_explain(result, X_used, configurations)
    rng = check_random_state(random_state)
    rows = []
    for name in names:
        estimator = result.configurations[name]
        columns = required_columns(estimator, X_used.columns)
        # The models were fitted on every column; they read only ``columns``.
        X_read = X_used
        if pools_before_reading(estimator):
            X_read = pool_table(X_used, columns)
        for fold, (train, test) in enumerate(_own_splits(result, name)):
            repeat = int(result.folds["repeat"].iloc[fold])
            fitted = result.estimators[name][fold]
            X_test, y_test = _safe_indexing(X_read, test), y_used[test]
            baseline = float(scorer(fitted, X_test, y_test))
            shuffled = permutation_importance(
                fitted, X_test, y_test, scoring=scorer,
                n_repeats=n_permutations, random_state=rng,
            )  # fmt: skip
            drops = dict(zip(X_read.columns, shuffled.importances_mean, strict=True))
            for modality in columns:
                drop = drops[modality]
                rows.append(
                    _row(name, modality, "permutation", fold, repeat, baseline, drop)
                )
            if not leave_out:
                continue
            for modality, variant in _without_each_modality(estimator, columns):
                outcome = _fit_and_score(
                    reseeded(variant, repeat),
                    (X_read, y_used, groups_used),
                    (train, test),
                    name=f"{name} without {modality}",
                    fold=fold,
                    n_threads=None,
                    return_estimator=False,
                )
                score = float(METRIC_TABLE[metric].score(y_test, outcome["y_pred"]))
                drop = baseline - score
                rows.append(
                    _row(name, modality, "leave_out", fold, repeat, baseline, drop)
                )
    table = pd.DataFrame(
        rows,
        columns=["configuration", "modality", "method", "fold", "repeat",
                 "baseline", "score", "importance"],
    )  # fmt: skip
    table.attrs["metric"] = metric
    return table


def summarise_importance(importance: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over folds of each configuration's modality importances.

    Parameters
    ----------
    importance : DataFrame
        From :func:`modality_importance`, one row per configuration, method,
        modality and fold.

    Returns
    -------
    summary : DataFrame
        One row per configuration, method and modality.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...     evaluate_configurations, make_emotion_dataset)
    >>> data = make_emotion_dataset(n_samples=80,
    ...     dims={"acoustic": 4, "lexical": 6}, random_state=0)
    >>> def model(*modalities):
    ...     return make_pipeline(ModalitySelector(list(modalities)),
    ...                          TemporalMeanPool(), LogisticRegression())
    >>> result = evaluate_configurations(
    ...     {"lexical": model("lexical"), "both": model("acoustic", "lexical")},
    ...     data.data, data.target, groups=data.groups, cv=2,
    ...     return_estimators=True)
    >>> from sklearn_mmer.evaluation import modality_importance, summarise_importance
    >>> importance = modality_importance(result, data.data, data.target,
    ...     groups=data.groups, random_state=0)
    >>> summary = summarise_importance(importance)
    >>> sorted(set(summary["modality"]))
    ['acoustic', 'lexical']
    """
    grouped = importance.groupby(["configuration", "method", "modality"], sort=False)
    summary = grouped["importance"].agg(
        importance_mean="mean", importance_std=lambda s: float(np.std(s))
    )
    return summary.reset_index()


def _row(name, modality, method, fold, repeat, baseline, drop):
    return {
        "configuration": name,
        "modality": str(modality),
        "method": method,
        "fold": fold,
        "repeat": repeat,
        "baseline": baseline,
        "score": baseline - float(drop),
        "importance": float(drop),
    }


def _own_splits(result, name):
    """Return the part of each fold that configuration ``name`` saw.

    A configuration that tolerates missing cells saw more rows than the
    others; one that does not cannot read the rows it did not see.
    """
    if result.rows_used is None:
        return result.splits
    own = result.rows_used[name].to_numpy()
    return [(train[own[train]], test[own[test]]) for train, test in result.splits]


def _configurations_to_explain(result, X, names):
    if names is None:
        return [
            name
            for name, estimator in result.configurations.items()
            if len(required_columns(estimator, X.columns)) >= 2
        ]
    unknown = [name for name in names if name not in result.configurations]
    if unknown:
        raise ValueError(
            f"Configuration(s) {unknown} are not in the result; it has "
            f"{list(result.configurations)}."
        )
    return list(names)


def _without_each_modality(estimator, columns):
    """Yield copies of an early fusion, each with one modality's branch dropped.

    Early fusion here is any estimator holding a ColumnTransformer whose
    branches each read one named modality; nothing is yielded otherwise.
    """
    for path, node in estimator.get_params(deep=True).items():
        if not isinstance(node, ColumnTransformer):
            continue
        branches = {
            spec if isinstance(spec, str) else next(iter(spec)): branch
            for branch, _, spec in node.transformers
            if isinstance(spec, str) or (len(spec) == 1 and isinstance(spec[0], str))
        }
        if len(branches) < 2:
            continue
        for modality in columns:
            if modality in branches:
                dropped = {f"{path}__{branches[modality]}": "drop"}
                yield modality, clone(estimator).set_params(**dropped)
        return
