"""PyTorch classifiers with a scikit-learn interface, trained through skorch."""

from ._mlp import TorchMLPClassifier

__all__ = ["TorchMLPClassifier"]
