"""Load the feature sets users have, and make IEMOCAP-shaped demo data."""

from ._generator import make_emotion_dataset

__all__ = ["make_emotion_dataset"]
