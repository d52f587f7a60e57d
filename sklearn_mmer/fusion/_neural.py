"""Neural fusion: one network over every modality, rows with gaps kept."""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.pipeline import Pipeline

from ..neural_network import TorchMultimodalClassifier
from ..preprocessing import ModalityScaler, ModalitySelector
from ._builders import _check_modalities


def make_neural_fusion(
    modalities: Sequence[str], fusion: str = "gated", **params
) -> Pipeline:
    """Pipeline that fuses the modalities inside one network, end to end.

    ``select -> scale -> classifier``: keep the modalities' columns,
    standardise each modality frame by frame (:class:`ModalityScaler`;
    missing cells stay missing), and train a
    :class:`TorchMultimodalClassifier`: an encoder per modality, a learned
    fusion, a classifier head. Unlike :func:`make_early_fusion` and
    :func:`make_late_fusion`, it keeps rows that lack some of the
    modalities, in training and in prediction, and
    :func:`~sklearn_mmer.evaluate_configurations` scores it on them (every
    step's sklearn tags allow missing cells).

    Parameters
    ----------
    modalities : sequence of str
        Columns of the multimodal table to fuse, at least one.
    fusion : {"gated", "concat", "tensor", "low_rank", "attention"}, default="gated"
        The fusion layer (see :class:`TorchMultimodalClassifier`).
    **params
        Other parameters of the :class:`TorchMultimodalClassifier`, e.g.
        ``encoder="gru"`` (a sequence encoder over the frame modalities
        instead of their mean), ``max_iter=100`` or ``random_state=0``.
        The classifier's defaults were chosen by measurement (early
        stopping on a fifth of the training speakers, dropout 0.3, modality
        dropout 0.1; ``benchmarks/README.md``): without early stopping and
        dropout the network overfits its weaker modalities. Pass the speakers to ``fit``
        (``request_groups``) so that early stopping validates on held-out
        speakers.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``select``, ``scale``, ``classifier``; tune through
        ``classifier__<param>``, e.g. ``classifier__fusion`` or
        ``classifier__encoder``.

    See Also
    --------
    make_early_fusion : Concatenated pooled features, one MLP.
    make_late_fusion : One model per modality, then a vote.

    Examples
    --------
    >>> from sklearn_mmer import make_emotion_dataset, make_neural_fusion
    >>> data = make_emotion_dataset(
    ...     n_samples=80, dims={"visual": 8, "acoustic": 8, "lexical": 8},
    ...     missing_rate=0.3, random_state=0)
    >>> pipe = make_neural_fusion(["visual", "acoustic", "lexical"],
    ...                           max_iter=5, random_state=0)
    >>> [name for name, _ in pipe.steps]
    ['select', 'scale', 'classifier']
    >>> pipe.get_params()["classifier__fusion"]
    'gated'
    >>> pipe.fit(data.data, data.target).predict(data.data).shape
    (80,)
    """
    modalities = _check_modalities(modalities)
    return Pipeline(
        [
            ("select", ModalitySelector(modalities)),
            ("scale", ModalityScaler()),
            (
                "classifier",
                TorchMultimodalClassifier(fusion=fusion, **params),
            ),
        ]
    )
