"""Compare configurations speaker-independently on the same rows and folds."""

from ._compare import evaluate_configurations
from ._configurations import BASELINES, is_baseline, make_configurations
from ._result import METRICS, ComparisonResult

__all__ = [
    "BASELINES",
    "ComparisonResult",
    "METRICS",
    "evaluate_configurations",
    "is_baseline",
    "make_configurations",
]
