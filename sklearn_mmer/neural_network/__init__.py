"""PyTorch classifiers with a scikit-learn interface, trained through skorch."""

from ._base import BaseTorchClassifier
from ._mlp import TorchMLPClassifier
from ._sequence import TorchSequenceClassifier

__all__ = ["BaseTorchClassifier", "TorchMLPClassifier", "TorchSequenceClassifier"]
