"""A PyTorch MLP classifier with the interface of sklearn's MLPClassifier."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.utils import noop

from ..utils import resolve_device, torch_threads
from ._module import ACTIVATIONS, ClassWeightedCrossEntropy, MLPModule
from ._net import FastNeuralNetClassifier
from ._split import validation_split

# Prediction needs no small batches: bigger ones cost less per row.
_PREDICT_BATCH_SIZE = 4096
# Below this many multiply-adds per training batch (forward pass), extra CPU
# threads cost more in synchronisation than they save, and far more when other
# processes compete for the cores (OpenMP threads spin while they wait). Batch
# 32 of the widest IEMOCAP early-fusion input is about 25 million.
_SINGLE_THREAD_WORK = 64_000_000


class TorchMLPClassifier(ClassifierMixin, BaseEstimator):
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
    dropout : float in [0, 1), default=0.0
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
    early_stopping : bool, default=False
        If True, hold out ``validation_fraction`` of the training data, stop
        when its accuracy has not improved by ``tol`` for ``n_iter_no_change``
        epochs, as ``MLPClassifier`` does, and restore the weights of the
        epoch with the best validation accuracy. The held-out part never comes
        from outside the data given to :meth:`fit`; with ``groups`` it shares
        no group (speaker) with the rest. If False, training stops when the
        training loss stalls, as in ``MLPClassifier``.
    validation_fraction : float in (0, 1), default=0.1
        Share of the training rows (of the groups, with ``groups``) held out
        for early stopping.
    n_iter_no_change : int, default=10
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
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, None],
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (128, 64),
        activation: str = "relu",
        *,
        dropout: float = 0.0,
        alpha: float = 1e-4,
        batch_size: int = 32,
        learning_rate_init: float = 1e-3,
        max_iter: int = 200,
        tol: float = 1e-4,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float64 input is converted to float32 once.
        y : array-like of shape (n_samples,)
            Class labels, ints or strings.
        groups : array-like of shape (n_samples,), default=None
            Group (speaker) of each row. Used only with ``early_stopping``,
            to keep validation groups out of training. Reaches the
            classifier inside a pipeline through metadata routing:
            ``clf.set_fit_request(groups=True)``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        X, y = validate_data(self, X, y, dtype=np.float32, order="C")
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                "TorchMLPClassifier needs samples of at least 2 classes in the "
                f"data, but the data contains only 1 class: {self.classes_[0]!r}."
            )
        y_encoded = encoder.transform(y).astype(np.int64)
        if groups is not None:
            groups = column_or_1d(groups)
            check_consistent_length(X, y, groups)

        self.device_ = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))

        self.validation_indices_ = None
        train_split, X_train, y_train = None, X, y_encoded
        if self.early_stopping:
            train_index, valid_index = validation_split(
                y_encoded, groups, self.validation_fraction, rng
            )
            self.validation_indices_ = valid_index
            train_split = predefined_split(
                Dataset(X[valid_index], y_encoded[valid_index])
            )
            X_train, y_train = X[train_index], y_encoded[train_index]

        self.net_ = self._build_net(X.shape[1], y, train_split)
        with (
            _seeded_torch(seed, self.device_),
            torch_threads(self._training_threads(X)),
        ):
            self.net_.fit(X_train, y_train)
        self._record_training()
        return self

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's output).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Each row sums to one; columns follow ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32, order="C")
        return self.net_.predict_proba(X).astype(np.float64)

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def module_(self) -> torch.nn.Module:
        """The trained :class:`torch.nn.Module`."""
        check_is_fitted(self)
        return self.net_.module_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags

    def _build_net(self, n_features, y, train_split):
        class_weight = None
        if self.class_weight is not None:
            weights = compute_class_weight(
                self.class_weight, classes=self.classes_, y=y
            )
            class_weight = torch.as_tensor(weights, dtype=torch.float32)
        # As MLPClassifier: validation accuracy with early stopping, else the
        # training loss. The loss keeps rising once the model grows confident
        # while the accuracy still climbs, and would keep too early an epoch.
        monitor = "valid_acc" if self.early_stopping else "train_loss"
        stopper = EarlyStopping(
            monitor=monitor,
            lower_is_better=not self.early_stopping,
            patience=self.n_iter_no_change,
            threshold=self.tol,
            threshold_mode="abs",
            load_best=self.early_stopping,
            sink=print if self.verbose else noop,
        )
        device_type = torch.device(self.device_).type
        return FastNeuralNetClassifier(
            module=MLPModule,
            module__n_features=n_features,
            module__n_classes=len(self.classes_),
            module__hidden_layer_sizes=self._hidden_sizes(),
            module__activation=self.activation,
            module__dropout=self.dropout,
            criterion=ClassWeightedCrossEntropy,
            criterion__weight=class_weight,
            optimizer=torch.optim.Adam,
            lr=self.learning_rate_init,
            # MLPClassifier adds alpha * W / batch_size to the batch gradient.
            optimizer__weight_decay=self.alpha / self.batch_size,
            optimizer__param_groups=[("*.bias", {"weight_decay": 0.0})],
            optimizer__fused=True if device_type in {"cpu", "cuda"} else None,
            max_epochs=self.max_iter,
            batch_size=self.batch_size,
            iterator_valid__batch_size=max(self.batch_size, _PREDICT_BATCH_SIZE),
            train_split=train_split,
            callbacks=[("early_stopping", stopper), *(self.callbacks or [])],
            device=self.device_,
            verbose=self.verbose,
            # PrintLog formats a table every epoch even when nothing is printed.
            **({} if self.verbose else {"callbacks__print_log": None}),
            predict_nonlinearity=partial(torch.softmax, dim=-1),
        )

    def _hidden_sizes(self):
        hidden = self.hidden_layer_sizes
        return (hidden,) if isinstance(hidden, Integral) else tuple(hidden)

    def _training_threads(self, X):
        """One CPU thread for small batches (see _SINGLE_THREAD_WORK), else None."""
        if torch.device(self.device_).type != "cpu":
            return None
        widths = [X.shape[1], *self._hidden_sizes(), len(self.classes_)]
        work = self.batch_size * sum(a * b for a, b in itertools.pairwise(widths))
        return 1 if work < _SINGLE_THREAD_WORK else None

    def _record_training(self):
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = list(history[:, "train_loss"])
        self.validation_scores_ = self.validation_loss_curve_ = None
        self.best_validation_score_ = None
        if self.early_stopping:
            self.validation_scores_ = list(history[:, "valid_acc"])
            self.validation_loss_curve_ = list(history[:, "valid_loss"])
            self.best_validation_score_ = max(self.validation_scores_)
        if self.n_iter_ >= self.max_iter:
            warnings.warn(
                f"Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )


@contextmanager
def _seeded_torch(seed, device):
    """Seed torch for one fit, then give back the caller's random state."""
    device = torch.device(device)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        # torch.manual_seed would also queue a seed for every CUDA device,
        # recording a stack trace each time; seed only what this fit uses.
        torch.random.default_generator.manual_seed(seed)
        if devices:
            with torch.cuda.device(devices[0]):
                torch.cuda.manual_seed(seed)
        yield
