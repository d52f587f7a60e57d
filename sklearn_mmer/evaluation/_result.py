"""The outcome of a comparison, as tidy tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Named as sklearn's scorers, so ``scoring=`` strings mean the same thing.
METRICS = ("f1_micro", "f1_macro", "balanced_accuracy")


@dataclass(repr=False)
class ComparisonResult:
    """Scores of several configurations on the same rows and the same folds.

    Returned by :func:`evaluate_configurations`; every table is a tidy
    :class:`pandas.DataFrame`, ready for ``groupby``, plotting or
    ``to_csv``. Scores are fractions (``0.62``, not ``62``).

    Attributes
    ----------
    summary : DataFrame
        One row per configuration, indexed by its name and sorted by
        ``rank`` (1 is the best mean F1-micro; ties share a rank):
        ``n_folds``, ``n_rows`` (rows it was scored on), then mean and
        standard deviation over folds (``np.std``, ``ddof=0``, as in
        :class:`~sklearn.model_selection.GridSearchCV`) of each metric and of
        the fit time in seconds, as ``<metric>_mean`` and ``<metric>_std``.
    per_fold : DataFrame
        One row per configuration and fold: ``f1_micro``, ``f1_macro``,
        ``balanced_accuracy``, ``fit_time`` and ``score_time`` (seconds),
        ``n_train``, ``n_test``, ``n_iter`` (most epochs run by one of the
        configuration's networks), ``converged`` (every network stopped
        before ``max_iter``) and ``device``.
    per_class : DataFrame
        One row per configuration, fold and class: ``precision``,
        ``recall``, ``f1`` and ``support``. A class absent from a test fold
        has NaN scores there.
    confusion_matrices : dict of str to ndarray of shape (n_folds, n_classes, n_classes)
        Counts per fold; rows are true classes and columns predicted ones,
        both in the order of ``labels``.
    predictions : DataFrame
        The out-of-fold prediction of every configuration for every row:
        ``configuration``, ``fold``, ``row`` (the label of the row in ``X``),
        ``y_true`` and ``y_pred``.
    folds : DataFrame
        One row per fold: ``n_train``, ``n_test`` and ``test_groups`` (the
        groups, e.g. speakers, held out in that fold).
    excluded : DataFrame
        Rows of ``X`` that no configuration could use, indexed by their
        label, with ``position``, ``missing`` (the modalities they lack)
        and ``reason``. Empty when every row was used.
    labels : ndarray
        The classes, in the order of the confusion matrices.
    class_names : list of str
        A display name for each class.
    configurations : dict of str to estimator
        The configurations as given (unfitted).
    splits : list of tuple of ndarray
        ``(train, test)`` positions of each fold in the rows used (``X``
        without the excluded rows).
    cv : cross-validation splitter
        The splitter that made the folds.
    estimators : dict of str to list of estimator or None
        The fitted estimator of each fold, with ``return_estimators=True``.
    rows_used : DataFrame or None
        One row per row of ``X`` used (not excluded), one bool column per
        configuration: whether that configuration trained or was scored on
        it. Configurations that tolerate missing cells see more rows than
        the others; compare them pairwise on the rows both saw.

    See Also
    --------
    evaluate_configurations : Computes it.
    sklearn_mmer.report.write_report : Writes it as tables, figures and JSON.
    """

    summary: pd.DataFrame
    per_fold: pd.DataFrame
    per_class: pd.DataFrame
    confusion_matrices: dict
    predictions: pd.DataFrame
    folds: pd.DataFrame
    excluded: pd.DataFrame
    labels: np.ndarray
    class_names: list
    configurations: dict
    splits: list
    cv: object
    estimators: dict | None = field(default=None)
    rows_used: pd.DataFrame | None = field(default=None)

    @property
    def best_configuration(self) -> str:
        """Name of the configuration with the best mean F1-micro."""
        return str(self.summary.index[0])

    def __repr__(self) -> str:
        columns = [f"{m}_mean" for m in METRICS]
        table = self.summary[columns].round(4).to_string()
        return (
            f"ComparisonResult({len(self.configurations)} configurations, "
            f"{len(self.splits)} folds, {len(self.excluded)} rows left out)\n{table}"
        )


def summarise(per_fold: pd.DataFrame, order) -> pd.DataFrame:
    """Mean and std over folds per configuration, ranked by F1-micro."""
    columns = [*METRICS, "fit_time"]
    grouped = per_fold.groupby("configuration", sort=False)[columns]
    summary = grouped.agg(["mean", lambda s: float(np.std(s))])
    summary.columns = [f"{m}_{stat}" for m in columns for stat in ("mean", "std")]
    summary = summary.reindex(list(order))
    summary.insert(0, "n_folds", per_fold.groupby("configuration").size())
    summary.insert(
        0, "rank", summary["f1_micro_mean"].rank(ascending=False, method="min")
    )
    summary["rank"] = summary["rank"].astype(int)
    summary.index.name = "configuration"
    # A stable sort keeps the given order among ties.
    return summary.sort_values("rank", kind="stable")
