"""One network over the whole multimodal table, rows with missing modalities kept."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from ..utils import check_table
from ._base import BaseTorchClassifier, check_layer_sizes, check_target
from ._encoders import ENCODERS, POOLINGS, encoder_params, encoder_work
from ._fusion_layers import FUSIONS, MultimodalModule
from ._iterator import MultimodalBatchIterator, TensorBatchIterator
from ._module import ACTIVATIONS
from ._table import MultimodalInputs, read_modalities

# As for TorchMLPClassifier: below this many multiply-adds per training
# batch, extra CPU threads cost more than they save.
_SINGLE_THREAD_WORK = 64_000_000


class TorchMultimodalClassifier(BaseTorchClassifier):
    """One network over all modalities: an encoder each, a learned fusion.

    Each column of the multimodal table is a modality. Its cells go through
    their own encoder (an MLP on vectors; on frame sequences, their average
    or a sequence encoder, see ``encoder``), the embeddings meet in a fusion
    layer, and an MLP head classifies; everything is trained together, end
    to end.

    **A row with a missing modality is kept.** A missing cell (``None`` or
    NaN) masks that modality's embedding, so the fusion works from the
    modalities the row has, in training and in prediction alike.
    ``modality_dropout`` hides present modalities at random while training,
    so the model learns not to lean on any one of them. Only a row with no
    modality at all is refused.

    Parameters
    ----------
    fusion : {"gated", "concat", "tensor", "low_rank", "attention"}, default="gated"
        How the modality embeddings are combined:

        - ``"gated"``: gated multimodal units (Arevalo et al., 2017), a
          learned per-feature mix of the modalities present;
        - ``"concat"``: concatenation (zeros for missing modalities) and the
          presence mask;
        - ``"tensor"``: Tensor Fusion Network (Zadeh et al., 2017), the
          outer product of the embeddings, each extended with a 1;
        - ``"low_rank"``: Low-rank Multimodal Fusion (Liu et al., 2018),
          the tensor fusion with a rank-``rank`` weight;
        - ``"attention"``: self-attention over the modality embeddings
          (Vaswani et al., 2017; as across modalities in Tsai et al., 2019),
          then their mean over the modalities present.
    encoder_layer_sizes : int or sequence of int, default=(64,)
        Layers of each modality's encoder; the last is the embedding size.
        With ``fusion="tensor"`` the fused width is ``(size + 1) ** n_modalities``:
        keep the last layer small.
    hidden_layer_sizes : int or sequence of int, default=(64,)
        Layers of the head after the fusion; ``()`` for a linear head.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Non-linearity of the encoders and the head.
    encoder : {"mean", "gru", "transformer", "conv", "none"}, default="mean"
        How a modality given as frame sequences (2-D cells) becomes a
        vector before its MLP encoder. ``"mean"`` averages its frames once
        per fit (exactly the masked mean over a padded batch), the fastest.
        The others read the frames in every batch, as
        :class:`TorchSequenceClassifier` does: a bidirectional GRU (Cho et
        al., 2014) over the packed sequences, transformer encoder layers
        (Vaswani et al., 2017) with a padding mask, 1-D convolutions over
        time, or none, then ``pooling`` over time. Each frame modality is
        padded to its own longest sequence in the batch, with its own mask,
        so padding never changes a prediction. Vector modalities (1-D
        cells) always take their MLP encoder.
    pooling : {"attention", "mean", "stats"}, default="attention"
        Pooling over the encoded frames with a sequence encoder: learned
        attention weights (Mirsamadi et al., 2017), the mean, or mean and
        standard deviation. Ignored with ``encoder="mean"``.
    hidden_size : int, default=64
        Width of the sequence encoder (per direction for the GRU).
    num_layers : int, default=1
        Stacked GRU, transformer or convolution layers.
    bidirectional : bool, default=True
        Run the GRU in both directions.
    n_heads : int, default=4
        Attention heads of the transformer; must divide ``hidden_size``.
    kernel_size : int, default=3
        Frames each convolution sees.
    modality_dropout : float in [0, 1), default=0.1
        Probability, per training row and modality, of hiding a modality
        that is present. A row never loses all its modalities: when every
        one would be hidden, one of them (at random) stays.
    rank : int, default=4
        Rank of the low-rank fusion; ignored by the others.
    dropout : float in [0, 1), default=0.3
        Dropout after each encoder and head layer; with a sequence encoder,
        also inside it and on its pooled output.
    alpha : float, default=1e-4
        L2 penalty on the weights, scaled as in ``MLPClassifier``.
    batch_size : int, default=32
        Rows per mini-batch.
    learning_rate_init : float, default=1e-3
        Adam's learning rate.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Smallest change of the monitored quantity that counts as progress.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the training data (whole groups
        when ``groups`` are given to :meth:`fit`), stop when its accuracy
        stalls for ``n_iter_no_change`` epochs and keep the best epoch, as
        :class:`TorchMLPClassifier` does.
    validation_fraction : float in (0, 1), default=0.2
        Share of the training rows (of the groups, with ``groups``) held out.
    n_iter_no_change : int, default=20
        Epochs without improvement before training stops.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the loss.
    device : str or torch.device, default="auto"
        ``"auto"`` trains on CUDA when torch sees a GPU, else on the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout, modality dropout and the
        validation split; the global torch random state is left untouched.
    verbose : int, default=0
        Print skorch's per-epoch table when positive.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of modality columns seen in :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in :meth:`fit`, when ``X`` has string column names.
    modality_dims_ : tuple of int
        Feature dimension of each modality (of its frames, for frames).
    frame_modalities_ : tuple of bool
        Which modalities the network reads as frame sequences: those with
        2-D cells, with a sequence ``encoder``; none with ``"mean"``.
    net_ : skorch.NeuralNetClassifier
        The fitted skorch net; ``net_.history`` holds per-epoch losses.
    module_ : torch.nn.Module
        The trained network (``net_.module_``).
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training loss at each epoch.
    validation_scores_, validation_loss_curve_ : list of float or None
        Validation accuracy and loss per epoch with ``early_stopping``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    validation_indices_ : ndarray of int or None
        Positions of the rows held out for early stopping.
    device_ : str
        The device the model was trained on.

    See Also
    --------
    make_neural_fusion : This classifier after a per-modality scaler.
    TorchMLPClassifier : One MLP over one matrix.
    make_early_fusion, make_late_fusion : Classical fusion pipelines.

    Notes
    -----
    The table becomes one float32 matrix, the modalities' vectors side by
    side and a presence column per modality, so training takes batches as
    views of one device tensor, the fast path of :class:`TorchMLPClassifier`.
    With a sequence encoder, each frame modality is kept as one matrix of
    all its frames (a missing cell holds one zero frame, masked out by the
    presence column), and batches are gathered from it as for
    :class:`TorchSequenceClassifier`, rows of similar length together.

    The defaults for training are those of :class:`TorchMLPClassifier`,
    chosen by measurement (``benchmarks/README.md``): early stopping on a
    fifth of the training speakers with a patience of 20 epochs, and
    dropout 0.3. Modality dropout stays at 0.1: 0.3 did no better, with
    or without missing cells.

    The sklearn tag ``input_tags.allow_nan`` is True: missing cells are
    input this classifier handles, which
    :func:`~sklearn_mmer.evaluate_configurations` reads to score it on rows
    that lack a modality.

    References
    ----------
    .. [1] A. Zadeh, M. Chen, S. Poria, E. Cambria and L.-P. Morency, "Tensor
       Fusion Network for Multimodal Sentiment Analysis", EMNLP 2017.
    .. [2] Z. Liu, Y. Shen, V. B. Lakshminarasimhan, P. P. Liang, A. Zadeh
       and L.-P. Morency, "Efficient Low-rank Multimodal Fusion with
       Modality-Specific Factors", ACL 2018.
    .. [3] J. Arevalo, T. Solorio, M. Montes-y-Gómez and F. A. González,
       "Gated Multimodal Units for Information Fusion", ICLR workshop 2017.
    .. [4] A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017;
       Y.-H. H. Tsai et al., "Multimodal Transformer for Unaligned
       Multimodal Language Sequences", ACL 2019.
    .. [5] K. Cho et al., "Learning Phrase Representations using RNN
       Encoder-Decoder for Statistical Machine Translation", EMNLP 2014.
    .. [6] S. Mirsamadi, E. Barsoum and C. Zhang, "Automatic Speech Emotion
       Recognition Using Recurrent Neural Networks with Local Attention",
       ICASSP 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer import TorchMultimodalClassifier, make_emotion_dataset
    >>> data = make_emotion_dataset(
    ...     n_samples=120, dims={"visual": 8, "acoustic": 8, "lexical": 8},
    ...     missing_rate=0.3, random_state=0)
    >>> int(data.data["visual"].isna().sum()) > 0
    True
    >>> clf = TorchMultimodalClassifier(max_iter=20, random_state=0)
    >>> clf.fit(data.data, data.target).predict(data.data).shape
    (120,)

    A GRU over the frames of visual and acoustic, lexical vectors as they are:

    >>> clf = TorchMultimodalClassifier(encoder="gru", hidden_size=8,
    ...                                 max_iter=5, random_state=0)
    >>> clf.fit(data.data, data.target).frame_modalities_
    (True, True, False)
    """

    _parameter_constraints: dict = {
        **BaseTorchClassifier._parameter_constraints,
        "fusion": [StrOptions(set(FUSIONS))],
        "encoder_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "encoder": [StrOptions({"mean", *ENCODERS})],
        "pooling": [StrOptions(set(POOLINGS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "modality_dropout": [Interval(Real, 0, 1, closed="left")],
        "rank": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        fusion: str = "gated",
        encoder_layer_sizes: int | Sequence[int] = (64,),
        hidden_layer_sizes: int | Sequence[int] = (64,),
        activation: str = "relu",
        *,
        encoder: str = "mean",
        pooling: str = "attention",
        hidden_size: int = 64,
        num_layers: int = 1,
        bidirectional: bool = True,
        n_heads: int = 4,
        kernel_size: int = 3,
        modality_dropout: float = 0.1,
        rank: int = 4,
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
        self.fusion = fusion
        self.encoder_layer_sizes = encoder_layer_sizes
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.encoder = encoder
        self.pooling = pooling
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.n_heads = n_heads
        self.kernel_size = kernel_size
        self.modality_dropout = modality_dropout
        self.rank = rank
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
        # Missing cells (None/NaN) are missing modalities, which it handles.
        tags.input_tags.allow_nan = True
        return tags

    @property
    def _iterator(self):
        # Frame modalities need padded batches; vectors alone, slices of one matrix.
        if any(getattr(self, "frame_modalities_", ())):
            return MultimodalBatchIterator
        return TensorBatchIterator

    def _check_params(self):
        self._encoder_sizes()
        check_layer_sizes(self.hidden_layer_sizes)
        encoder_params(self)

    def _encoder_sizes(self):
        sizes = check_layer_sizes(self.encoder_layer_sizes, "encoder_layer_sizes")
        if not sizes:
            raise ValueError(
                "encoder_layer_sizes needs at least one layer: its last width is "
                "the size of each modality's embedding."
            )
        return sizes

    def _validate_inputs(self, X, y="no_validation", *, reset):
        """Read the table: one matrix, or :class:`MultimodalInputs` with frames.

        In :meth:`fit` the rows keep their order; in prediction, inputs with
        frames are laid out by their longest frame modality (``order`` gives
        each row's input position), so that batches pad little.
        """
        name = type(self).__name__
        columns, cells, index = check_table(X, name)
        validate_data(self, X, skip_check_array=True, reset=reset)
        names = columns if columns is not None else range(len(cells))
        if reset:
            # None: frames where the column has 2-D cells; False: average them.
            keep = None if self.encoder != "mean" else False
            blocks = read_modalities(cells, names, index, as_frames=[keep] * len(cells))
            self.modality_dims_ = blocks.dims
            self.frame_modalities_ = blocks.frame_flags
        else:
            blocks = read_modalities(
                cells, names, index, self.modality_dims_, self.frame_modalities_
            )
        if any(self.frame_modalities_):
            inputs = blocks.as_inputs()
            if not reset:
                order = np.argsort(inputs.longest(), kind="stable")
                inputs = inputs.subset(order)
                inputs.order = order
        else:
            inputs = blocks.as_matrix()
        if isinstance(y, str) and y == "no_validation":
            return inputs
        return inputs, check_target(self, y, len(inputs))

    def _take(self, inputs, index):
        if isinstance(inputs, MultimodalInputs):
            return inputs.subset(index)
        return inputs[index]

    def _module_params(self, inputs):
        return MultimodalModule, {
            "modality_sizes": list(self.modality_dims_),
            "n_classes": len(self.classes_),
            "fusion": self.fusion,
            "encoder_layer_sizes": self._encoder_sizes(),
            "hidden_layer_sizes": check_layer_sizes(self.hidden_layer_sizes),
            "activation": self.activation,
            "dropout": self.dropout,
            "modality_dropout": self.modality_dropout,
            "rank": self.rank,
            "frame_modalities": list(self.frame_modalities_),
            "sequence_params": encoder_params(self),
        }

    def _training_threads(self, inputs):
        """One CPU thread for small batches (see _SINGLE_THREAD_WORK), else None."""
        if torch.device(self.device_).type != "cpu":
            return None
        encoder = self._encoder_sizes()
        work = sum(
            sum(a * b for a, b in itertools.pairwise([dim, *encoder]))
            for dim, frames in zip(
                self.modality_dims_, self.frame_modalities_, strict=True
            )
            if not frames
        )
        if isinstance(inputs, MultimodalInputs):
            work += sum(
                encoder_work(s.lengths, s.frames.shape[1], self.hidden_size)
                for s in inputs.sequences
            )
        if self.fusion == "tensor":
            head = [*check_layer_sizes(self.hidden_layer_sizes), len(self.classes_)]
            work += (encoder[-1] + 1) ** len(self.modality_dims_) * head[0]
        return 1 if self.batch_size * work < _SINGLE_THREAD_WORK else None
