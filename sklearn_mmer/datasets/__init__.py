"""Load the feature sets users have, and make IEMOCAP-shaped demo data."""

from ._generator import make_emotion_dataset
from ._loader import PROBLEMS, FeatureSetError, LoadReport, load_features
from ._writer import write_feature_set

__all__ = [
    "load_features",
    "write_feature_set",
    "make_emotion_dataset",
    "FeatureSetError",
    "LoadReport",
    "PROBLEMS",
]
