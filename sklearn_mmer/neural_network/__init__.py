"""PyTorch classifiers with a scikit-learn interface, trained through skorch."""

from ._base import BaseTorchClassifier
from ._mlp import TorchMLPClassifier

__all__ = ["BaseTorchClassifier", "TorchMLPClassifier"]
