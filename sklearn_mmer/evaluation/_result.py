"""The outcome of a comparison, as tidy tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._metrics import DEFAULT_SCORING, METRICS, metric_title


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
        ``rank`` (1 is the best mean of the ``scoring`` metric; ties share a
        rank): mean and standard deviation over folds (``np.std``,
        ``ddof=0``, as in :class:`~sklearn.model_selection.GridSearchCV`) of
        each metric of :data:`METRICS` and of the fit time in seconds, as
        ``<metric>_mean`` and ``<metric>_std``. With repeats, also
        ``<metric>_fold_std`` (the spread over the folds of one repeat,
        averaged over repeats) and ``<metric>_repeat_std`` (the spread of
        the repeats' means: other splits and other seeds).
    per_fold : DataFrame
        One row per configuration and fold: ``repeat``, every metric of
        :data:`METRICS` (``f1_micro``, ``f1_macro``, ``accuracy`` (WA),
        ``balanced_accuracy`` (UA)), ``fit_time`` and ``score_time`` (seconds),
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
        The out-of-fold prediction of every configuration for every row
        (once per repeat): ``configuration``, ``fold``, ``repeat``, ``row``
        (the label of the row in ``X``), ``y_true`` and ``y_pred``.
    folds : DataFrame
        One row per fold: ``repeat``, ``n_train``, ``n_test`` and ``test_groups`` (the
        groups, e.g. speakers, held out in that fold).
    excluded : DataFrame
        Rows of ``X`` left out of every configuration, indexed by their
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
    scoring : str
        The metric that ranks the configurations.
    n_repeats : int
        How many times the cross-validation ran (folds are numbered across
        repeats).
    fits_reused : int
        How many fits were taken from a checkpoint folder instead of being
        run (``resume=True``); 0 otherwise.

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
    scoring: str = DEFAULT_SCORING
    n_repeats: int = 1
    fits_reused: int = 0

    @property
    def best_configuration(self) -> str:
        """Name of the configuration with the best mean ``scoring`` metric."""
        return str(self.summary.index[0])

    @property
    def class_names_given(self) -> bool:
        """Whether the classes have names, not just their labels shown."""
        return self.class_names != [str(label) for label in self.labels]

    def __repr__(self) -> str:
        columns = [f"{m}_mean" for m in METRICS]
        table = self.summary[columns].round(4).to_string()
        return (
            f"ComparisonResult({len(self.configurations)} configurations, "
            f"{len(self.splits)} folds, {len(self.excluded)} rows left out; "
            f"ranked by {metric_title(self.scoring)})\n{table}"
        )


def summarise(
    per_fold: pd.DataFrame, order, scoring: str = DEFAULT_SCORING
) -> pd.DataFrame:
    """Mean and std over folds per configuration, ranked by ``scoring``."""
    columns = [*METRICS, "fit_time"]
    grouped = per_fold.groupby("configuration", sort=False)[columns]
    summary = grouped.agg(["mean", lambda s: float(np.std(s))])
    summary.columns = [f"{m}_{stat}" for m in columns for stat in ("mean", "std")]
    summary = summary.reindex(list(order))
    if "repeat" in per_fold and per_fold["repeat"].max() > 0:
        by_repeat = per_fold.groupby(["configuration", "repeat"], sort=False)
        for metric in METRICS:
            within = by_repeat[metric].agg(lambda s: float(np.std(s)))
            means = by_repeat[metric].mean()
            summary[f"{metric}_fold_std"] = within.groupby(level=0).mean()
            summary[f"{metric}_repeat_std"] = means.groupby(level=0).agg(
                lambda s: float(np.std(s))
            )
    summary.insert(0, "n_folds", per_fold.groupby("configuration").size())
    summary.insert(
        0, "rank", summary[f"{scoring}_mean"].rank(ascending=False, method="min")
    )
    summary["rank"] = summary["rank"].astype(int)
    summary.index.name = "configuration"
    # A stable sort keeps the given order among ties.
    return summary.sort_values("rank", kind="stable")
