"""PyTorch classifiers with a scikit-learn interface, trained through skorch."""

from ._base import BaseTorchClassifier
from ._mlp import TorchMLPClassifier
from ._multimodal import TorchMultimodalClassifier

__all__ = ["BaseTorchClassifier", "TorchMLPClassifier", "TorchMultimodalClassifier"]
