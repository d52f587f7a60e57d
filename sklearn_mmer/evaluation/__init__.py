"""Compare configurations speaker-independently on the same rows and folds."""

from ._compare import evaluate_configurations
from ._configurations import BASELINES, is_baseline, make_configurations
from ._importance import modality_importance, summarise_importance
from ._metrics import METRIC_TABLE, METRICS, Metric
from ._pairs import compare_pairs
from ._protocols import PROTOCOLS, describe_protocol, make_protocol
from ._result import ComparisonResult
from ._search import SearchResult, search_configuration
from ._stats import bayesian_correlated_ttest, corrected_resampled_ttest, holm
from ._store import ResumeMismatchError

__all__ = [
    "BASELINES",
    "ComparisonResult",
    "METRICS",
    "METRIC_TABLE",
    "Metric",
    "PROTOCOLS",
    "SearchResult",
    "bayesian_correlated_ttest",
    "compare_pairs",
    "corrected_resampled_ttest",
    "describe_protocol",
    "ResumeMismatchError",
    "evaluate_configurations",
    "holm",
    "is_baseline",
    "make_configurations",
    "make_protocol",
    "modality_importance",
    "search_configuration",
    "summarise_importance",
]
