"""A PyTorch MLP classifier with the interface of sklearn's MLPClassifier."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._base import BaseTorchClassifier, check_layer_sizes
from ._module import ACTIVATIONS, MLPModule

# Below this many multiply-adds per training batch (forward pass), extra CPU
# threads cost more in synchronisation than they save, and far more when other
# processes compete for the cores (OpenMP threads spin while they wait). Batch
# 32 of the widest IEMOCAP early-fusion input is about 25 million.
_SINGLE_THREAD_WORK = 64_000_000


class TorchMLPClassifier(BaseTorchClassifier):
    """Multi-layer perceptron classifier in PyTorch, trained through skorch.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same
    parameter names where the meaning is the same, Adam solver) that trains
    on a GPU when there is one, adds dropout and class weights, and keeps its
    fitted :class:`skorch.NeuralNetClassifier` in ``net_`` so its ``history``
    and callbacks stay within reach.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(128, 64)
        Width of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Non-linearity after each hidden layer.
    dropout : float in [0, 1), default=0.3
        Dropout probability after each hidden layer.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the biases), scaled as
        in ``MLPClassifier``: ``alpha / batch_size`` is handed to Adam as
        weight decay, so the same ``alpha`` means the same penalty in both.
    batch_size : int, default=32
        Rows per mini-batch.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        An epoch counts as an improvement when the monitored loss drops by
        more than ``tol``.
    early_stopping : bool, default=True
        If True, hold out ``validation_fraction`` of the training data, stop
        when its accuracy has not improved by ``tol`` for ``n_iter_no_change``
        epochs, as ``MLPClassifier`` does, and restore the weights of the
        epoch with the best validation accuracy. The held-out part never comes
        from outside the data given to :meth:`fit`; with ``groups`` it shares
        no group (speaker) with the rest. If False, training stops when the
        training loss stalls, as in ``MLPClassifier`` (whose default is
        False; see Notes).
    validation_fraction : float in (0, 1), default=0.2
        Share of the training rows (of the groups, with ``groups``) held out
        for early stopping.
    n_iter_no_change : int, default=20
        Epochs without improvement before training stops.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the loss. ``"balanced"`` weights each class
        inversely to its frequency, as in sklearn.
    device : str or torch.device, default="auto"
        ``"auto"`` trains on CUDA when torch sees a GPU, else on the CPU;
        ``"cpu"``, ``"cuda"`` and ``"cuda:1"`` are taken as given.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation
        split. With an int, two fits on the CPU give identical models. The
        global torch random state is left untouched.
    verbose : int, default=0
        Print skorch's per-epoch table when positive.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks, e.g. ``skorch.callbacks.LRScheduler``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen in :meth:`fit`, when ``X`` has string column names.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net; ``net_.history`` holds per-epoch losses.
    module_ : torch.nn.Module
        The trained network (``net_.module_``).
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training loss at each epoch.
    validation_scores_ : list of float or None
        Validation accuracy at each epoch with ``early_stopping``, else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_``: that epoch's weights are kept.
    validation_loss_curve_ : list of float or None
        Validation loss at each epoch with ``early_stopping``, else None.
    validation_indices_ : ndarray of int or None
        Positions, in the data given to :meth:`fit`, of the rows held out for
        early stopping; None without early stopping.
    device_ : str
        The device the model was trained on.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The NumPy implementation.
    make_unimodal, make_early_fusion, make_late_fusion : Pipelines built on it.

    Notes
    -----
    Training runs with fused Adam on data that sits on the device as one
    tensor, with batches taken as views; skorch still runs the loop, so its
    callbacks (checkpointing, learning-rate schedules, progress bars) work.

    The defaults differ from ``MLPClassifier``'s where measurement on the
    demo data and on real CMU-MOSI features said so (``benchmarks/README.md``):
    early stopping on a fifth of the training speakers with a patience of 20
    epochs, and dropout 0.3. Trained to the end of its training loss instead,
    the network overfits small emotion corpora and trails a linear model by
    several points. With ``groups`` the validation speakers are new to the
    network, as the test speakers will be; give them (``request_groups``
    inside pipelines) or the held-out rows are drawn at random.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_mmer import TorchMLPClassifier
    >>> X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    >>> clf = TorchMLPClassifier(hidden_layer_sizes=(16,), max_iter=30,
    ...                          random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> bool(clf.score(X, y) > 0.8)
    True
    """

    _parameter_constraints: dict = {
        **BaseTorchClassifier._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (128, 64),
        activation: str = "relu",
        *,
        dropout: float = 0.3,
        alpha: float = 1e-4,
        batch_size: int = 32,
        learning_rate_init: float = 1e-3,
        max_iter: int = 200,
        tol: float = 1e-4,
        early_stopping: bool = True,
        validation_fraction: float = 0.2,
        n_iter_no_change: int = 20,
        class_weight: str | dict | None = None,
        device: str | torch.device = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        callbacks: list | None = None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    def _check_params(self):
        check_layer_sizes(self.hidden_layer_sizes)

    def _validate_inputs(self, X, y="no_validation", *, reset):
        return validate_data(self, X, y, reset=reset, dtype=np.float32, order="C")

    def _module_params(self, inputs):
        return MLPModule, {
            "n_features": inputs.shape[1],
            "n_classes": len(self.classes_),
            "hidden_layer_sizes": check_layer_sizes(self.hidden_layer_sizes),
            "activation": self.activation,
            "dropout": self.dropout,
        }

    def _training_threads(self, inputs):
        """One CPU thread for small batches (see _SINGLE_THREAD_WORK), else None."""
        if torch.device(self.device_).type != "cpu":
            return None
        widths = [
            inputs.shape[1],
            *check_layer_sizes(self.hidden_layer_sizes),
            len(self.classes_),
        ]
        work = self.batch_size * sum(a * b for a, b in itertools.pairwise(widths))
        return 1 if work < _SINGLE_THREAD_WORK else None
