"""sklearn-mmer: multimodal emotion recognition with scikit-learn and PyTorch.

Estimators for unimodal, early-fusion and late-fusion models on
pre-extracted features (face and audio embeddings per frame, one sentence
embedding per utterance), built to be scored speaker-independently with
ordinary scikit-learn tools.
"""

from ._version import __version__
from .datasets import load_features, make_emotion_dataset, write_feature_set
from .evaluation import (
    ComparisonResult,
    evaluate_configurations,
    make_configurations,
)
from .fusion import make_early_fusion, make_late_fusion, make_unimodal, request_groups
from .neural_network import TorchMLPClassifier
from .preprocessing import ModalitySelector, TemporalMeanPool, TemporalStatsPool
from .report import format_summary, write_report

__all__ = [
    # data
    "load_features",
    "write_feature_set",
    "make_emotion_dataset",
    # transformers
    "ModalitySelector",
    "TemporalMeanPool",
    "TemporalStatsPool",
    # models
    "TorchMLPClassifier",
    # fusion builders
    "make_unimodal",
    "make_early_fusion",
    "make_late_fusion",
    "request_groups",
    # evaluation
    "make_configurations",
    "evaluate_configurations",
    "ComparisonResult",
    # report
    "format_summary",
    "write_report",
    "__version__",
]
