"""What every sklearn-mmer torch classifier shares: fit, predict, early stopping.

:class:`BaseTorchClassifier` holds the training protocol (label encoding,
the speaker-disjoint validation split for early stopping, per-fit seeding,
the skorch net and its fast loop, the training record); a subclass says only
what differs between networks, through four hooks:

- ``_validate_inputs(X, y="no_validation", *, reset)``: check ``X`` (and
  ``y`` when given, returning both, as
  :func:`~sklearn.utils.validation.validate_data` does) and turn ``X`` into
  what the net consumes (a float32 matrix, padded sequences, a dict of
  modalities...); :func:`check_target` checks ``y``
  for inputs that ``validate_data`` cannot read;
- ``_take(inputs, index)``: the rows ``index`` of those inputs (the
  validation split);
- ``_module_params(inputs)``: the :class:`torch.nn.Module` class and its
  keyword arguments;
- ``_training_threads(inputs)``: CPU threads for training (None: torch's).

A subclass may also set ``_iterator`` to a batch iterator with the
constructor of :class:`~sklearn_mmer.neural_network._iterator.TensorBatchIterator`.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import assert_all_finite, check_random_state, compute_class_weight
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)
from skorch.callbacks import EarlyStopping
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.utils import noop

from ..utils import resolve_device, torch_threads
from ._iterator import TensorBatchIterator
from ._module import ClassWeightedCrossEntropy
from ._net import LeanNeuralNetClassifier
from ._split import validation_split

# Prediction needs no small batches: bigger ones cost less per row.
PREDICT_BATCH_SIZE = 4096


class BaseTorchClassifier(ClassifierMixin, BaseEstimator):
    """Base class of the package's torch classifiers; not for direct use.

    Holds what they share: label encoding, the speaker-disjoint validation
    split for early stopping, seeding of one fit, the skorch net with its
    lean training loop, and the training record (``n_iter_``,
    ``loss_curve_``, ``validation_scores_``...). Subclasses define
    ``__init__`` with every parameter of ``_parameter_constraints`` plus
    their own, and the hooks ``_validate_inputs``, ``_module_params`` and,
    where the defaults do not fit, ``_take``, ``_training_threads`` and
    ``_iterator`` (see the module ``sklearn_mmer.neural_network._base``).
    The composite tools (``request_groups``, the comparison engine) find
    every torch classifier through this class.

    Examples
    --------
    >>> from sklearn_mmer import TorchMLPClassifier
    >>> from sklearn_mmer.neural_network import BaseTorchClassifier
    >>> isinstance(TorchMLPClassifier(), BaseTorchClassifier)
    True
    """

    _parameter_constraints: dict = {
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

    _iterator = TensorBatchIterator

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Train the network.

        Parameters
        ----------
        X : array-like
            Training data, as the subclass documents.
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
        self._check_params()
        inputs, y = self._validate_inputs(X, y, reset=True)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in "
                "the data, but the data contains only 1 class: "
                f"{self.classes_[0]!r}."
            )
        y_encoded = encoder.transform(y).astype(np.int64)
        if groups is not None:
            groups = column_or_1d(groups)
            check_consistent_length(y, groups)

        self.device_ = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))

        self.validation_indices_ = None
        train_split, X_train, y_train = None, inputs, y_encoded
        if self.early_stopping:
            train_index, valid_index = validation_split(
                y_encoded, groups, self.validation_fraction, rng
            )
            self.validation_indices_ = valid_index
            train_split = predefined_split(
                Dataset(self._take(inputs, valid_index), y_encoded[valid_index])
            )
            X_train = self._take(inputs, train_index)
            y_train = y_encoded[train_index]

        self.net_ = self._build_net(inputs, y, train_split)
        with (
            _seeded_torch(seed, self.device_),
            torch_threads(self._training_threads(inputs)),
        ):
            self.net_.fit(X_train, y_train)
        self._record_training()
        return self

    def predict_proba(self, X):
        """Class probabilities (softmax of the network's output).

        Parameters
        ----------
        X : array-like
            Input data, as for :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Each row sums to one; columns follow ``classes_``.
        """
        check_is_fitted(self)
        inputs = self._validate_inputs(X, reset=False)
        return self._in_row_order(
            self.net_.predict_proba(inputs).astype(np.float64), inputs
        )

    def predict(self, X):
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like
            Input data, as for :meth:`fit`.

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

    # -- hooks -------------------------------------------------------------

    def _check_params(self):
        """Check what parameter constraints cannot express; nothing by default."""

    def _validate_inputs(self, X, y="no_validation", *, reset):
        raise NotImplementedError

    def _take(self, inputs, index):
        return inputs[index]

    def _module_params(self, inputs) -> tuple[type[torch.nn.Module], dict]:
        raise NotImplementedError

    def _training_threads(self, inputs):
        return None

    # -- shared machinery --------------------------------------------------

    def _in_row_order(self, outputs, inputs):
        """Put per-row ``outputs`` back in the order of the rows of ``X``.

        Ragged inputs are laid out by length for prediction, so that batches
        pad little; their ``order`` gives each row's position in ``X``.
        """
        order = getattr(inputs, "order", None)
        if order is None:
            return outputs
        in_order = np.empty_like(outputs)
        in_order[order] = outputs
        return in_order

    def _build_net(self, inputs, y, train_split):
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
        module, module_params = self._module_params(inputs)
        device_type = torch.device(self.device_).type
        return LeanNeuralNetClassifier(
            module=module,
            **{f"module__{name}": value for name, value in module_params.items()},
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
            iterator_train=self._iterator,
            iterator_valid=self._iterator,
            iterator_valid__batch_size=max(self.batch_size, PREDICT_BATCH_SIZE),
            train_split=train_split,
            callbacks=[("early_stopping", stopper), *(self.callbacks or [])],
            device=self.device_,
            verbose=self.verbose,
            # PrintLog formats a table every epoch even when nothing is printed.
            **({} if self.verbose else {"callbacks__print_log": None}),
            predict_nonlinearity=partial(torch.softmax, dim=-1),
        )

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


def check_target(estimator, y, n_samples):
    """Return ``y`` as a 1-D array of ``n_samples`` finite labels, or raise."""
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target "
            "y is None."
        )
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {len(y)}]"
        )
    if y.dtype.kind in "fc":
        assert_all_finite(y, input_name="y")
    return y


def check_layer_sizes(sizes, name="hidden_layer_sizes") -> tuple[int, ...]:
    """Return layer widths as a tuple of positive ints, or raise as sklearn does.

    ``_parameter_constraints`` can say "an int >= 1 or an array-like", not
    "an array-like of ints >= 1"; :class:`~sklearn.neural_network.MLPClassifier`
    checks the elements in ``fit`` the same way.
    """
    widths = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
    if not all(
        isinstance(w, Integral) and not isinstance(w, bool) and w > 0 for w in widths
    ):
        raise ValueError(f"{name} must be positive integers, got {sizes!r}.")
    return tuple(int(w) for w in widths)


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
