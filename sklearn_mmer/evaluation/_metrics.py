"""The one table of metrics that evaluation, search, report and CLI read.

Each metric is named as sklearn's scorer of the same meaning, so a
``scoring=`` string means here what it means to
:func:`~sklearn.model_selection.cross_validate`; the field's names (WA, UA)
are accepted as aliases and shown in the tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score


@dataclass(frozen=True)
class Metric:
    """A score of predicted labels against true ones, higher is better.

    Attributes
    ----------
    name : str
        The key in every table (``<name>_mean``) and the sklearn scorer name.
    title : str
        The header shown in tables and figures.
    score : callable
        ``score(y_true, y_pred) -> float``.
    description : str
        One sentence for the report.
    """

    name: str
    title: str
    score: Callable
    description: str


_TABLE = (
    Metric(
        "f1_micro",
        "F1-micro",
        partial(f1_score, average="micro"),
        "F1 over all utterances pooled (equal to accuracy for single-label data)",
    ),
    Metric(
        "f1_macro",
        "Macro-F1",
        partial(f1_score, average="macro"),
        "unweighted mean of the per-class F1",
    ),
    Metric(
        "accuracy",
        "WA",
        accuracy_score,
        "weighted accuracy, the share of utterances classified correctly",
    ),
    Metric(
        "balanced_accuracy",
        "UA",
        balanced_accuracy_score,
        "unweighted accuracy, the mean of the per-class recalls (balanced accuracy)",
    ),
)

#: Every metric a comparison reports, by name, in display order.
METRIC_TABLE: dict[str, Metric] = {metric.name: metric for metric in _TABLE}

#: Names of the metrics, in display order.
METRICS = tuple(METRIC_TABLE)

# The field's names for two of them.
ALIASES = {
    "wa": "accuracy",
    "ua": "balanced_accuracy",
    "recall_macro": "balanced_accuracy",
}

DEFAULT_SCORING = "f1_micro"


def check_scoring(scoring: str | None) -> str:
    """Return the table name of the ranking metric ``scoring`` names.

    Parameters
    ----------
    scoring : str or None
        A metric name (``"f1_micro"``, ``"accuracy"``...) or alias (``"WA"``,
        ``"UA"``); None means ``"f1_micro"``.

    Returns
    -------
    name : str

    Raises
    ------
    ValueError
        For a name the table does not hold.

    Examples
    --------
    >>> from sklearn_mmer.evaluation._metrics import check_scoring
    >>> check_scoring("UA")
    'balanced_accuracy'
    """
    if scoring is None:
        return DEFAULT_SCORING
    if not isinstance(scoring, str):
        raise TypeError(
            f"scoring must be the name of a metric, one of {list(METRICS)}; "
            f"got {scoring!r}."
        )
    key = ALIASES.get(scoring.lower(), scoring.lower())
    if key not in METRIC_TABLE:
        raise ValueError(
            f"scoring={scoring!r} is not a metric this package reports; use one "
            f"of {list(METRICS)} (or WA, UA)."
        )
    return key


def metric_title(name: str) -> str:
    """Return the header of a metric, e.g. ``"UA"`` for ``"balanced_accuracy"``."""
    return METRIC_TABLE[name].title


def score_all(y_true, y_pred) -> dict[str, float]:
    """Every metric of the table on one set of predictions."""
    return {name: float(m.score(y_true, y_pred)) for name, m in METRIC_TABLE.items()}
