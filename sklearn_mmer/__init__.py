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
    compare_pairs,
    evaluate_configurations,
    make_configurations,
    search_configuration,
)
from .features import (
    AudioFrameFeatures,
    FaceEmbeddings,
    OpenSmileFeatures,
    SentenceEmbeddings,
    extract_features,
)
from .fusion import (
    GroupedStackingClassifier,
    PresentModalityVotingClassifier,
    make_early_fusion,
    make_late_fusion,
    make_neural_fusion,
    make_seed_ensemble,
    make_stacking_fusion,
    make_unimodal,
    request_groups,
)
from .neural_network import (
    TorchMLPClassifier,
    TorchMultimodalClassifier,
    TorchSequenceClassifier,
)
from .preprocessing import (
    ModalityScaler,
    ModalitySelector,
    TemporalMeanPool,
    TemporalStatsPool,
)
from .report import format_summary, write_report

__all__ = [
    # data
    "load_features",
    "write_feature_set",
    "make_emotion_dataset",
    # feature extraction from recordings
    "extract_features",
    "AudioFrameFeatures",
    "OpenSmileFeatures",
    "SentenceEmbeddings",
    "FaceEmbeddings",
    # transformers
    "ModalitySelector",
    "ModalityScaler",
    "TemporalMeanPool",
    "TemporalStatsPool",
    # models
    "TorchMLPClassifier",
    "TorchSequenceClassifier",
    "TorchMultimodalClassifier",
    # fusion builders
    "make_unimodal",
    "make_early_fusion",
    "make_late_fusion",
    "make_neural_fusion",
    "make_seed_ensemble",
    "make_stacking_fusion",
    "GroupedStackingClassifier",
    "PresentModalityVotingClassifier",
    "request_groups",
    # evaluation
    "make_configurations",
    "evaluate_configurations",
    "compare_pairs",
    "search_configuration",
    "ComparisonResult",
    # report
    "format_summary",
    "write_report",
    "__version__",
]
