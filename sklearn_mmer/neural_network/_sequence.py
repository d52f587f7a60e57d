"""A PyTorch classifier of ragged frame sequences, trained through skorch."""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data
from torch import nn

from ..utils import check_table
from ._base import BaseTorchClassifier, check_layer_sizes, check_target
from ._encoders import (
    ENCODERS,
    POOLINGS,
    SequenceEncoder,
    encoder_params,
    encoder_work,
)
from ._iterator import BucketBatchIterator
from ._mlp import _SINGLE_THREAD_WORK
from ._module import ACTIVATIONS, MLPModule
from ._ragged import RaggedSequences, table_to_sequences

# Frames are standardised in chunks of about this many bytes: the scaler's
# float64 temporaries stay small and reuse the same memory, where one
# temporary the size of all frames would cost its page faults once more.
_SCALER_CHUNK_BYTES = 4 * 2**20


class SequenceClassifierModule(nn.Module):
    """A :class:`SequenceEncoder` followed by an MLP head, returning logits.

    Parameters
    ----------
    n_features : int
        Features per frame.
    n_classes : int
        Number of logits.
    hidden_layer_sizes : sequence of int
        Hidden layers of the head; empty for a linear head.
    activation : str
        Non-linearity of the head's hidden layers.
    dropout : float
        Dropout inside the encoder, on the sequence embedding and after each
        hidden layer of the head.
    **encoder_params
        ``encoder``, ``hidden_size``, ``pooling``, ``num_layers``,
        ``bidirectional``, ``n_heads``, ``kernel_size`` of the encoder.
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        hidden_layer_sizes: Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        **encoder_params,
    ):
        super().__init__()
        self.encoder = SequenceEncoder(n_features, dropout=dropout, **encoder_params)
        self.head = MLPModule(
            self.encoder.output_size, n_classes, hidden_layer_sizes, activation, dropout
        )
        self.dropout = dropout

    def forward(self, x, mask):
        """Return the logits of a padded batch."""
        embedding = F.dropout(self.encoder(x, mask), self.dropout, self.training)
        return self.head(embedding)


class TorchSequenceClassifier(BaseTorchClassifier):
    """Classifier of ragged frame sequences: an encoder over time, then an MLP.

    Reads the frames themselves rather than their mean: a frame encoder
    (a bidirectional GRU by default), a pooling over time (attention by
    default), then a small MLP. Sequences are padded per batch, with masks so
    that padded frames never count, and batches hold sequences of similar
    length, so a batch pads only to its own longest sequence. Training goes
    through skorch with the same fast path, parameters and behaviour as
    :class:`TorchMLPClassifier` (early stopping on held-out speakers,
    ``random_state``, ``device``, ``class_weight``, ``net_``).

    Parameters
    ----------
    encoder : {"gru", "transformer", "conv", "none"}, default="gru"
        Frame encoder: a GRU (Cho et al., 2014) over the packed sequences;
        transformer encoder layers (Vaswani et al., 2017) with a padding
        mask and sinusoidal positions; 1-D convolutions over time; or none,
        pooling the (standardised) input frames themselves.
    pooling : {"attention", "mean", "stats"}, default="attention"
        Pooling over the encoded frames: attention weights learned per frame
        (Mirsamadi et al., 2017), the mean, or mean and standard deviation.
    hidden_size : int, default=64
        Width of the encoder (per direction for the GRU).
    num_layers : int, default=1
        Stacked GRU, transformer or convolution layers.
    bidirectional : bool, default=True
        Run the GRU in both directions.
    n_heads : int, default=4
        Attention heads of the transformer; must divide ``hidden_size``.
    kernel_size : int, default=3
        Frames each convolution sees.
    hidden_layer_sizes : int or sequence of int, default=(64,)
        Hidden layers of the MLP on the pooled embedding; ``()`` for a
        linear output layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Non-linearity of the MLP.
    dropout : float in [0, 1), default=0.3
        Dropout inside the encoder, on the pooled embedding and after each
        hidden layer of the MLP.
    standardize : bool, default=True
        Standardise each frame feature with the mean and standard deviation
        over all training frames (see Notes).
    alpha : float, default=1e-4
        L2 penalty on the weights (not the biases), as in
        :class:`TorchMLPClassifier`.
    batch_size : int, default=32
        Sequences per mini-batch.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=100
        Maximum number of epochs.
    tol : float, default=1e-4
        Least improvement of the monitored score that counts.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training rows (of the groups,
        with ``groups``), stop when their accuracy stalls for
        ``n_iter_no_change`` epochs and keep the best epoch's weights.
        Otherwise stop when the training loss stalls.
    validation_fraction : float in (0, 1), default=0.2
        Share of the rows (or groups) held out for early stopping.
    n_iter_no_change : int, default=20
        Epochs without improvement before training stops.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the loss.
    device : str or torch.device, default="auto"
        ``"auto"``: CUDA when torch sees a GPU, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, batching, dropout and the validation split;
        the global torch random state is left untouched.
    verbose : int, default=0
        Print skorch's per-epoch table when positive.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of input columns; their frames are concatenated per frame.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, when ``X`` has string column names.
    input_dims_ : tuple of int
        Frame dimension of each input column.
    frame_scaler_ : StandardScaler or None
        Mean and scale of the frame features, with ``standardize``.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net.
    module_ : torch.nn.Module
        The trained network (``net_.module_``); ``module_.encoder`` is the
        :class:`~sklearn_mmer.neural_network._encoders.SequenceEncoder`.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training loss at each epoch.
    validation_scores_ : list of float or None
        Validation accuracy at each epoch with ``early_stopping``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    validation_loss_curve_ : list of float or None
        Validation loss at each epoch with ``early_stopping``.
    validation_indices_ : ndarray of int or None
        Positions of the rows held out for early stopping.
    device_ : str
        The device the model was trained on.

    See Also
    --------
    TorchMLPClassifier : An MLP over pooled (e.g. mean) frames.
    TemporalMeanPool : Pools frames for the MLP.

    Notes
    -----
    ``X`` holds one column of ``(frames, dim)`` cells, or several whose frames
    are concatenated (every column of a row with the same number of frames).
    A 1-D cell ``(dim,)`` is a sequence of one frame, so utterance-level
    features work too; a plain numeric matrix is one frame per row.

    The defaults for training are those of :class:`TorchMLPClassifier`,
    chosen by measurement (``benchmarks/README.md``): early stopping on a
    fifth of the training speakers with a patience of 20 epochs, and
    dropout 0.3. Pass ``early_stopping=False`` to train until the training
    loss stalls.

    Frames are standardised inside the classifier rather than by a
    transformer before it: sklearn's ``StandardScaler`` cannot read ragged
    cells, and the classifier already lays every frame out in one matrix, so
    it fits the mean and scale over all training frames (each frame counts
    once, as in the network) and scales that matrix in place, without a
    second copy of the frames.

    References
    ----------
    K. Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder
    for Statistical Machine Translation", EMNLP 2014.

    A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017.

    S. Mirsamadi, E. Barsoum and C. Zhang, "Automatic Speech Emotion
    Recognition Using Recurrent Neural Networks with Local Attention",
    ICASSP 2017.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_mmer import TorchSequenceClassifier
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 60)
    >>> cells = [rng.normal(label, 1, size=(rng.integers(2, 9), 3)) for label in y]
    >>> X = pd.DataFrame({"acoustic": cells})
    >>> clf = TorchSequenceClassifier(hidden_size=8, max_iter=20, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
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
        "encoder": [StrOptions(set(ENCODERS))],
        "pooling": [StrOptions(set(POOLINGS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean"],
    }

    _iterator = BucketBatchIterator

    def __init__(
        self,
        encoder: str = "gru",
        pooling: str = "attention",
        *,
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = True,
        n_heads: int = 4,
        kernel_size: int = 3,
        hidden_layer_sizes: int | Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.3,
        standardize: bool = True,
        alpha: float = 1e-4,
        batch_size: int = 32,
        learning_rate_init: float = 1e-3,
        max_iter: int = 100,
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
        self.encoder = encoder
        self.pooling = pooling
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.n_heads = n_heads
        self.kernel_size = kernel_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.standardize = standardize
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
        encoder_params(self)

    def _validate_inputs(self, X, y="no_validation", *, reset):
        """Read X's frames into :class:`RaggedSequences`, standardised.

        In :meth:`fit` the rows keep their order; otherwise they are laid out
        by length (``order`` gives each one's input position), so that
        prediction batches pad little.
        """
        if not reset:  # sklearn's messages for a wrong shape or column count
            check_table(X, type(self).__name__)
            validate_data(self, X, skip_check_array=True, reset=False)
        expected_dims = None if reset else self.input_dims_
        frames, lengths, dims, order = table_to_sequences(
            X, type(self).__name__, expected_dims, sort=not reset
        )
        if reset:
            validate_data(self, X, skip_check_array=True, reset=True)
            self.input_dims_ = dims
            self.frame_scaler_ = None
            if self.standardize:
                self.frame_scaler_ = StandardScaler()
                for chunk in _chunks(frames):
                    self.frame_scaler_.partial_fit(chunk)
        if self.frame_scaler_ is not None:
            for chunk in _chunks(frames):
                self.frame_scaler_.transform(chunk, copy=False)
        sequences = RaggedSequences(frames, lengths, order=order)
        if isinstance(y, str) and y == "no_validation":
            return sequences
        return sequences, check_target(self, y, len(sequences))

    def _take(self, inputs, index):
        return inputs.subset(index)

    def _module_params(self, inputs):
        return SequenceClassifierModule, {
            "n_features": inputs.frames.shape[1],
            "n_classes": len(self.classes_),
            "hidden_layer_sizes": check_layer_sizes(self.hidden_layer_sizes),
            "activation": self.activation,
            "dropout": self.dropout,
            **encoder_params(self),
        }

    def _training_threads(self, inputs):
        """One CPU thread for small batches, as :class:`TorchMLPClassifier`."""
        if torch.device(self.device_).type != "cpu":
            return None
        work = encoder_work(inputs.lengths, inputs.frames.shape[1], self.hidden_size)
        return 1 if self.batch_size * work < _SINGLE_THREAD_WORK else None


def _chunks(frames):
    rows = max(1, _SCALER_CHUNK_BYTES // (frames.itemsize * frames.shape[1]))
    for start in range(0, len(frames), rows):
        yield frames[start : start + rows]
