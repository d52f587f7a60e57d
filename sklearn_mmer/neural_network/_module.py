"""The PyTorch module behind :class:`TorchMLPClassifier`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


class MLPModule(nn.Module):
    """Fully connected network: [Linear -> activation -> Dropout] * k -> Linear.

    Outputs raw logits; the loss (cross-entropy) and the prediction
    (softmax) add the normalisation.

    Parameters
    ----------
    n_features : int
        Width of the input.
    n_classes : int
        Number of logits.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer; empty for a linear model.
    activation : {"relu", "tanh", "logistic", "identity"}
        Non-linearity after each hidden layer.
    dropout : float
        Dropout probability after each hidden layer; 0 adds no layer.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_layer_sizes: Sequence[int] = (128, 64),
        activation: str = "relu",
        dropout: float = 0.0,
    ):
        super().__init__()
        layers: list[nn.Module] = []
        width_in = n_features
        for width in hidden_layer_sizes:
            layers += [nn.Linear(width_in, width), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width_in = width
        layers.append(nn.Linear(width_in, n_classes))
        self.layers = nn.Sequential(*layers)

    def forward(self, X):
        """Return the logits of a batch."""
        return self.layers(X)


class ClassWeightedCrossEntropy(nn.Module):
    """Cross-entropy whose class weights scale each row's loss, as in sklearn.

    torch's ``CrossEntropyLoss(weight=w)`` divides by the sum of the weights
    in the batch, which undoes the weighting in any batch that lacks the
    heavy classes. sklearn treats class weights as sample weights and divides
    by the number of rows; so does this loss.

    Parameters
    ----------
    weight : torch.Tensor of shape (n_classes,) or None
        Weight of each class; None weighs all classes equally.
    """

    def __init__(self, weight: torch.Tensor | None = None):
        super().__init__()
        self.register_buffer("weight", weight)

    def forward(self, logits, target):
        """Return the mean over rows of the class-weighted loss."""
        if self.weight is None:
            return F.cross_entropy(logits, target)
        return F.cross_entropy(
            logits, target, weight=self.weight, reduction="sum"
        ) / len(target)
