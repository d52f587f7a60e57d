"""Compare configurations speaker-independently on the same rows and folds."""

from ._compare import evaluate_configurations
from ._configurations import make_configurations
from ._result import METRICS, ComparisonResult
from ._store import ResumeMismatchError

__all__ = [
    "ComparisonResult",
    "METRICS",
    "ResumeMismatchError",
    "evaluate_configurations",
    "make_configurations",
]
