"""Unimodal, early-fusion and late-fusion models as plain sklearn objects.

Every builder returns an ordinary :class:`~sklearn.pipeline.Pipeline` or
:class:`~sklearn.ensemble.VotingClassifier`, so ``clone``, ``set_params``,
grid searches, pickling and metadata routing work as for any estimator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import VotingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..neural_network import TorchMLPClassifier
from ..preprocessing import ModalitySelector, TemporalMeanPool
from ._inspect import torch_classifiers

# The reference study trained its fusion models wider and slower.
EARLY_FUSION_DEFAULTS = {"hidden_layer_sizes": (256, 128), "learning_rate_init": 5e-4}


def make_unimodal(modality: str, **params) -> Pipeline:
    """Pipeline that classifies from one modality.

    ``select -> pool -> scale -> classifier``: keep the modality's column,
    average its frames, standardise, and train a :class:`TorchMLPClassifier`.

    Parameters
    ----------
    modality : str
        Column of the multimodal table, e.g. ``"acoustic"``.
    **params
        Parameters of the :class:`TorchMLPClassifier`, e.g.
        ``hidden_layer_sizes=(64,)`` or ``random_state=0``.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``select``, ``pool``, ``scale``, ``classifier``; tune the
        classifier through ``classifier__<param>``.

    See Also
    --------
    make_early_fusion : One classifier over several modalities.
    make_late_fusion : One classifier per modality, then a vote.

    Examples
    --------
    >>> from sklearn_mmer import make_emotion_dataset, make_unimodal
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> pipe = make_unimodal("lexical", max_iter=5, random_state=0)
    >>> [name for name, _ in pipe.steps]
    ['select', 'pool', 'scale', 'classifier']
    >>> pipe.fit(data.data, data.target).predict(data.data[:2]).shape
    (2,)
    """
    _check_modality_name(modality)
    return Pipeline(
        [
            ("select", ModalitySelector([modality])),
            ("pool", TemporalMeanPool()),
            ("scale", StandardScaler()),
            ("classifier", TorchMLPClassifier(**params)),
        ]
    )


def make_early_fusion(modalities: Sequence[str], **params) -> Pipeline:
    """Pipeline that concatenates the modalities before one classifier.

    Each modality is pooled over time and standardised on its own inside a
    :class:`~sklearn.compose.ColumnTransformer`; the concatenated vector
    feeds one :class:`TorchMLPClassifier`.

    Parameters
    ----------
    modalities : sequence of str
        Columns of the multimodal table to fuse, at least one.
    **params
        Parameters of the :class:`TorchMLPClassifier`. Unless given,
        ``hidden_layer_sizes=(256, 128)`` and ``learning_rate_init=5e-4``,
        the settings of the reference study for its wider fused input.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features`` (the ColumnTransformer, one transformer per
        modality, named after it) and ``classifier``; tune through
        ``classifier__<param>``.

    See Also
    --------
    make_late_fusion : Fuse decisions instead of features.

    Examples
    --------
    >>> from sklearn_mmer import make_early_fusion, make_emotion_dataset
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> pipe = make_early_fusion(["acoustic", "lexical"], max_iter=5,
    ...                          random_state=0)
    >>> pipe.get_params()["classifier__hidden_layer_sizes"]
    (256, 128)
    >>> pipe.fit(data.data, data.target).predict(data.data[:2]).shape
    (2,)
    """
    modalities = _check_modalities(modalities)
    per_modality = [
        (
            modality,
            Pipeline([("pool", TemporalMeanPool()), ("scale", StandardScaler())]),
            [modality],
        )
        for modality in modalities
    ]
    return Pipeline(
        [
            (
                "features",
                # Pooled names already carry the modality: "visual_mean_0".
                ColumnTransformer(per_modality, verbose_feature_names_out=False),
            ),
            ("classifier", TorchMLPClassifier(**{**EARLY_FUSION_DEFAULTS, **params})),
        ]
    )


def make_late_fusion(
    modalities: Sequence[str],
    voting: Literal["hard", "soft"] = "hard",
    weights: Sequence[float] | None = None,
    **params,
) -> VotingClassifier:
    """Vote over one unimodal pipeline per modality.

    Parameters
    ----------
    modalities : sequence of str
        Columns of the multimodal table, at least one; each gets its own
        :func:`make_unimodal` pipeline, named after the modality.
    voting : {"hard", "soft"}, default="hard"
        ``"hard"`` is the majority vote of the predicted labels. A tie goes
        to the tied class that comes first in ``classes_`` (sklearn's rule);
        ``weights`` can break ties differently. ``"soft"`` averages the
        predicted probabilities.
    weights : sequence of float, default=None
        Weight of each modality's vote; equal weights when None.
    **params
        Parameters of every modality's :class:`TorchMLPClassifier`.

    Returns
    -------
    voting : sklearn.ensemble.VotingClassifier
        Tune one modality through ``<modality>__classifier__<param>``.

    See Also
    --------
    make_early_fusion : Fuse features instead of decisions.

    Examples
    --------
    >>> from sklearn_mmer import make_emotion_dataset, make_late_fusion
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> vote = make_late_fusion(["visual", "acoustic", "lexical"], max_iter=5,
    ...                         random_state=0)
    >>> "visual__classifier__hidden_layer_sizes" in vote.get_params()
    True
    >>> vote.fit(data.data, data.target).predict(data.data[:2]).shape
    (2,)
    """
    modalities = _check_modalities(modalities)
    return VotingClassifier(
        [(modality, make_unimodal(modality, **params)) for modality in modalities],
        voting=voting,
        weights=weights,
    )


def request_groups(estimator):
    """Have every :class:`TorchMLPClassifier` inside ``estimator`` ask for groups.

    With early stopping, a classifier that receives the groups (speakers) of
    its training rows validates on speakers it does not train on. Inside a
    pipeline or a voting ensemble the groups travel through scikit-learn's
    metadata routing, which must be enabled
    (``sklearn.set_config(enable_metadata_routing=True)``) and which needs each
    consumer to request them; this sets that request everywhere at once.

    Parameters
    ----------
    estimator : estimator
        A classifier, pipeline or ensemble, e.g. from :func:`make_late_fusion`.

    Returns
    -------
    estimator : estimator
        The same object, for chaining.

    Examples
    --------
    >>> import sklearn
    >>> from sklearn_mmer import make_late_fusion
    >>> from sklearn_mmer.fusion import request_groups
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     vote = request_groups(make_late_fusion(["acoustic", "lexical"],
    ...                                            early_stopping=True))
    ...     routing = vote.get_metadata_routing()
    >>> sorted(routing.consumes("fit", ["groups"]))
    ['groups']
    """
    found = torch_classifiers(estimator)
    if not found:
        raise ValueError(
            f"{type(estimator).__name__} holds no TorchMLPClassifier to route "
            "groups to."
        )
    for classifier in found:
        classifier.set_fit_request(groups=True)
    return estimator


def _check_modality_name(modality):
    if not isinstance(modality, str) or not modality:
        raise TypeError(
            f"A modality is a column name such as 'acoustic'; got {modality!r}."
        )
    if "__" in modality:
        # sklearn's parameter paths use "__" as the separator.
        raise ValueError(
            f"Modality name {modality!r} contains '__', which sklearn reserves "
            "for nested parameter names; rename the column."
        )


def _check_modalities(modalities):
    if isinstance(modalities, str):
        modalities = [modalities]
    modalities = list(modalities)
    if not modalities:
        raise ValueError("Fusion needs at least one modality; got none.")
    for modality in modalities:
        _check_modality_name(modality)
    duplicated = sorted({m for m in modalities if modalities.count(m) > 1})
    if duplicated:
        raise ValueError(f"Modalities listed more than once: {duplicated}.")
    return modalities
