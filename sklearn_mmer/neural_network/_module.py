"""The PyTorch module behind :class:`TorchMLPClassifier`."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def _identity(X):
    return X


# sklearn's activation names, as functions: calling them directly, rather
# than as submodules, spares the module-call overhead at every layer of every
# step, which matters for small networks.
ACTIVATIONS = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "logistic": torch.sigmoid,
    "identity": _identity,
}


class MLPModule(nn.Module):
    """Fully connected network: [Linear -> activation -> dropout] * k -> Linear.

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
        Dropout probability after each hidden layer.
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
        widths = [n_features, *hidden_layer_sizes]
        self.hidden = nn.ModuleList(
            nn.Linear(width_in, width_out)
            for width_in, width_out in itertools.pairwise(widths)
        )
        self.output = nn.Linear(widths[-1], n_classes)
        self.activation = activation
        self.dropout = dropout

    def forward(self, X):
        """Return the logits of a batch."""
        activate = ACTIVATIONS[self.activation]
        for layer in self.hidden:
            X = activate(F.linear(X, layer.weight, layer.bias))
            if self.dropout:
                X = F.dropout(X, self.dropout, self.training)
        return F.linear(X, self.output.weight, self.output.bias)

    def extra_repr(self):
        return f"activation={self.activation!r}, dropout={self.dropout}"


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
