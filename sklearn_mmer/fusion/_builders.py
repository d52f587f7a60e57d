"""Unimodal, early-fusion, late-fusion and stacking models as plain sklearn objects.

Every builder returns an ordinary :class:`~sklearn.pipeline.Pipeline`, a
:class:`~sklearn.ensemble.VotingClassifier` (one that keeps rows with missing
modalities) or a :class:`~sklearn.ensemble.StackingClassifier`, so ``clone``,
``set_params``, grid searches, pickling and metadata routing work as for
any estimator. The classifier at the end is the toolkit's network unless
``classifier=`` names another one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..neural_network import TorchMLPClassifier
from ..preprocessing import ModalitySelector, TemporalMeanPool
from ._ensemble import make_seed_ensemble
from ._inspect import groups_consumers
from ._stacking import GroupedStackingClassifier, _SoftVoteWeights
from ._voting import PresentModalityVotingClassifier

# The reference study trained its fusion models wider and slower.
EARLY_FUSION_DEFAULTS = {"hidden_layer_sizes": (256, 128), "learning_rate_init": 5e-4}


def make_unimodal(
    modality: str, *, classifier=None, n_seeds: int = 1, **params
) -> Pipeline:
    """Pipeline that classifies from one modality.

    ``select -> pool -> scale -> classifier``: keep the modality's column,
    average its frames, standardise, and train a classifier, by default a
    :class:`TorchMLPClassifier`.

    Parameters
    ----------
    modality : str
        Column of the multimodal table, e.g. ``"acoustic"``.
    classifier : classifier, default=None
        Any scikit-learn classifier for the last step, e.g.
        ``LogisticRegression()`` or ``SVC()``; used as given
        (not copied), as :class:`~sklearn.pipeline.Pipeline` does. None means
        a :class:`TorchMLPClassifier` built from ``**params``.
    n_seeds : int, default=1
        Train this many copies of the classifier from different seeds and
        average their probabilities (see :func:`make_seed_ensemble`). Each
        network starts from its own weights and holds out its own speakers
        for early stopping, so the average has seen every training speaker
        and varies less from seed to seed.
    **params
        Parameters of the default :class:`TorchMLPClassifier`, e.g.
        ``hidden_layer_sizes=(64,)`` or ``random_state=0``. Set those of
        your own ``classifier`` on it instead; giving both is an error.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``select``, ``pool``, ``scale``, ``classifier``; tune the
        classifier through ``classifier__<param>``.

    Raises
    ------
    TypeError
        If ``classifier`` is not a classifier, or comes with network
        parameters.

    See Also
    --------
    make_early_fusion : One classifier over several modalities.
    make_late_fusion : One classifier per modality, then a vote.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mmer import make_emotion_dataset, make_unimodal
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> pipe = make_unimodal("lexical", max_iter=5, random_state=0)
    >>> [name for name, _ in pipe.steps]
    ['select', 'pool', 'scale', 'classifier']
    >>> pipe.fit(data.data, data.target).predict(data.data[:2]).shape
    (2,)
    >>> linear = make_unimodal("lexical", classifier=LogisticRegression(C=0.1))
    >>> linear.get_params()["classifier__C"]
    0.1
    """
    _check_modality_name(modality)
    return Pipeline(
        [
            ("select", ModalitySelector([modality])),
            ("pool", TemporalMeanPool()),
            ("scale", StandardScaler()),
            (
                "classifier",
                _final_classifier(classifier, params, "make_unimodal", n_seeds),
            ),
        ]
    )


def make_early_fusion(
    modalities: Sequence[str], *, classifier=None, n_seeds: int = 1, **params
) -> Pipeline:
    """Pipeline that concatenates the modalities before one classifier.

    Each modality is pooled over time and standardised on its own inside a
    :class:`~sklearn.compose.ColumnTransformer`; the concatenated vector
    feeds one classifier, by default a :class:`TorchMLPClassifier`.

    Parameters
    ----------
    modalities : sequence of str
        Columns of the multimodal table to fuse, at least one.
    classifier : classifier, default=None
        Any scikit-learn classifier for the last step, used as given; None
        means a :class:`TorchMLPClassifier` built from ``**params``.
    n_seeds : int, default=1
        Average the probabilities of this many copies of the classifier
        trained from different seeds, as in :func:`make_unimodal`.
    **params
        Parameters of the default :class:`TorchMLPClassifier`. Unless given,
        ``hidden_layer_sizes=(256, 128)`` and ``learning_rate_init=5e-4``,
        the settings of the reference study for its wider fused input.
        Giving them with ``classifier`` is an error.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``features`` (the ColumnTransformer, one transformer per
        modality, named after it) and ``classifier``; tune through
        ``classifier__<param>``.

    Raises
    ------
    TypeError
        If ``classifier`` is not a classifier, or comes with network
        parameters.

    See Also
    --------
    make_late_fusion : Fuse decisions instead of features.

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> from sklearn_mmer import make_early_fusion, make_emotion_dataset
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> pipe = make_early_fusion(["acoustic", "lexical"], max_iter=5,
    ...                          random_state=0)
    >>> pipe.get_params()["classifier__hidden_layer_sizes"]
    (256, 128)
    >>> pipe.fit(data.data, data.target).predict(data.data[:2]).shape
    (2,)
    >>> svc = make_early_fusion(["acoustic", "lexical"], classifier=SVC(C=3.0))
    >>> svc.fit(data.data, data.target).predict(data.data[:2]).shape
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
    if classifier is None:
        params = {**EARLY_FUSION_DEFAULTS, **params}
    return Pipeline(
        [
            (
                "features",
                # Pooled names already carry the modality: "visual_mean_0".
                ColumnTransformer(per_modality, verbose_feature_names_out=False),
            ),
            (
                "classifier",
                _final_classifier(classifier, params, "make_early_fusion", n_seeds),
            ),
        ]
    )


def make_late_fusion(
    modalities: Sequence[str],
    voting: Literal["hard", "soft"] = "hard",
    weights: Sequence[float] | Literal["auto"] | None = None,
    *,
    classifier=None,
    n_seeds: int = 1,
    **params,
) -> PresentModalityVotingClassifier | GroupedStackingClassifier:
    """Vote over one unimodal pipeline per modality, on the modalities each row has.

    Each modality's pipeline is trained on the rows that have that modality,
    and each row is decided by the modalities it has: a row whose video is
    missing (a None or NaN cell) is voted on by its audio and words instead
    of being left out. On complete data the vote is exactly sklearn's
    :class:`~sklearn.ensemble.VotingClassifier`. See
    :class:`PresentModalityVotingClassifier`.

    Parameters
    ----------
    modalities : sequence of str
        Columns of the multimodal table, at least one; each gets its own
        :func:`make_unimodal` pipeline, named after the modality.
    voting : {"hard", "soft"}, default="hard"
        ``"hard"`` is the majority vote of the predicted labels. A tie goes
        to the tied class that comes first in ``classes_`` (sklearn's rule);
        ``weights`` can break ties differently. ``"soft"`` averages the
        predicted probabilities, so every member needs ``predict_proba``.
        Either way, only the modalities a row has take part.
    weights : sequence of float or "auto", default=None
        Weight of each modality's vote; equal weights when None; on a row
        that lacks modalities, the others' weights are renormalised. ``"auto"``
        (soft voting only) learns them: the non-negative weights, summing to
        one, whose average of the modalities' probabilities has the least
        log loss on out-of-fold probabilities from 5 inner folds grouped by
        speaker, as in :func:`make_stacking_fusion` (``fit`` then takes
        ``groups``; the learned weights are ``final_estimator_.weights_``).
        That stacked model needs every modality on every row.
    classifier : classifier or dict of str to classifier, default=None
        The classifier of every modality (each member gets its own copy), or
        one per modality by name. A modality without one, or None, gets a
        :class:`TorchMLPClassifier` built from ``**params``.
    n_seeds : int, default=1
        Each modality's classifier is an average over this many seeds, as in
        :func:`make_unimodal`.
    **params
        Parameters of every default :class:`TorchMLPClassifier`; an error
        when no member uses the default network.

    Returns
    -------
    voting : PresentModalityVotingClassifier or GroupedStackingClassifier
        A :class:`~sklearn.ensemble.VotingClassifier` subclass that
        tolerates missing cells (its ``input_tags.allow_nan`` says so, and
        :func:`~sklearn_mmer.evaluate_configurations` scores it on every row
        with at least one of its modalities). Tune one modality through
        ``<modality>__classifier__<param>``. With
        ``weights="auto"``, a :class:`GroupedStackingClassifier` whose final
        estimator is that weighted soft vote.

    Raises
    ------
    TypeError
        If a classifier is not one, comes with network parameters nothing
        uses, or lacks ``predict_proba`` in a soft vote (the message says
        how to get probabilities).
    ValueError
        If ``classifier`` names a modality not in ``modalities``, or
        ``weights="auto"`` comes with hard voting.

    See Also
    --------
    make_early_fusion : Fuse features instead of decisions.
    make_stacking_fusion : Learn how to combine the modalities' probabilities.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mmer import make_emotion_dataset, make_late_fusion
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> vote = make_late_fusion(["visual", "acoustic", "lexical"], max_iter=5,
    ...                         random_state=0)
    >>> "visual__classifier__hidden_layer_sizes" in vote.get_params()
    True
    >>> vote.fit(data.data, data.target).predict(data.data[:2]).shape
    (2,)
    >>> mixed = make_late_fusion(["acoustic", "lexical"],
    ...                          classifier={"lexical": LogisticRegression()})
    >>> type(mixed.named_estimators["lexical"][-1]).__name__
    'LogisticRegression'
    >>> type(mixed.named_estimators["acoustic"][-1]).__name__
    'TorchMLPClassifier'
    """
    modalities = _check_modalities(modalities)
    learn_weights = isinstance(weights, str) and weights == "auto"
    if learn_weights and voting != "soft":
        raise ValueError(
            "weights='auto' learns the weights of a soft vote from predicted "
            "probabilities; pass voting='soft' as well."
        )
    members = _unimodal_members(
        modalities, classifier, params, "make_late_fusion", n_seeds
    )
    if voting == "soft":
        _check_probabilities(members, "make_late_fusion(voting='soft')")
    if learn_weights:
        return GroupedStackingClassifier(
            members, final_estimator=_SoftVoteWeights(), stack_method="predict_proba"
        )
    return PresentModalityVotingClassifier(members, voting=voting, weights=weights)


def make_stacking_fusion(
    modalities: Sequence[str],
    final_estimator=None,
    cv=5,
    *,
    classifier=None,
    n_seeds: int = 1,
    **params,
) -> GroupedStackingClassifier:
    """Stack one unimodal pipeline per modality under a learned combiner.

    Each modality's pipeline predicts class probabilities; a final
    estimator, by default a :class:`~sklearn.linear_model.LogisticRegression`,
    learns from them how far to trust each modality for each class. It
    trains on out-of-fold probabilities from an inner cross-validation of
    the training rows that is grouped by speaker when ``fit`` gets
    ``groups``: no speaker is both in an inner training part and in the part
    it predicts, so the combiner sees probabilities as they are on unseen
    speakers. See :class:`GroupedStackingClassifier`.

    Parameters
    ----------
    modalities : sequence of str
        Columns of the multimodal table, at least one; each gets its own
        :func:`make_unimodal` pipeline, named after the modality.
    final_estimator : classifier, default=None
        Learns from the stacked probabilities; None means
        ``LogisticRegression(max_iter=1000)``.
    cv : int or cross-validation splitter, default=5
        The inner folds: an int is that many
        :class:`~sklearn.model_selection.GroupKFold` folds when ``fit`` gets
        ``groups``.
    classifier : classifier or dict of str to classifier, default=None
        As in :func:`make_late_fusion`; each needs ``predict_proba``.
    n_seeds : int, default=1
        Each modality's classifier is an average over this many seeds, as in
        :func:`make_unimodal`.
    **params
        Parameters of every default :class:`TorchMLPClassifier`.

    Returns
    -------
    stacking : GroupedStackingClassifier
        A :class:`~sklearn.ensemble.StackingClassifier` with
        ``stack_method="predict_proba"``; tune one modality through
        ``<modality>__classifier__<param>``, the combiner through
        ``final_estimator__<param>``.

    Raises
    ------
    TypeError
        If a classifier lacks ``predict_proba`` (the message says how to get
        probabilities), or as in :func:`make_late_fusion`.

    See Also
    --------
    make_late_fusion : A fixed vote instead of a learned combination.

    Examples
    --------
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mmer import make_emotion_dataset, make_stacking_fusion
    >>> data = make_emotion_dataset(n_samples=120, random_state=0)
    >>> stack = make_stacking_fusion(["acoustic", "lexical"], cv=3,
    ...                              classifier=LogisticRegression())
    >>> stack.fit(data.data, data.target, groups=data.groups).predict(
    ...     data.data[:2]).shape
    (2,)
    >>> stack.final_estimator_.n_features_in_  # 4 classes x 2 modalities
    8
    """
    modalities = _check_modalities(modalities)
    members = _unimodal_members(
        modalities, classifier, params, "make_stacking_fusion", n_seeds
    )
    _check_probabilities(members, "make_stacking_fusion")
    if final_estimator is None:
        final_estimator = LogisticRegression(max_iter=1000)
    return GroupedStackingClassifier(
        members,
        final_estimator=final_estimator,
        cv=cv,
        stack_method="predict_proba",
    )


def request_groups(estimator):
    """Have every estimator inside ``estimator`` that accepts groups ask for them.

    With early stopping, a :class:`TorchMLPClassifier` that receives the
    groups (speakers) of its training rows validates on speakers it does not
    train on; a :class:`GroupedStackingClassifier` keeps them apart in its
    inner folds. Inside a pipeline or an ensemble the groups travel through
    scikit-learn's metadata routing, which must be enabled
    (``sklearn.set_config(enable_metadata_routing=True)``) and which needs each
    consumer to request them; this sets that request everywhere at once.

    Only estimators whose ``fit`` takes a ``groups`` argument are asked; a
    :class:`~sklearn.linear_model.LogisticRegression` or an
    :class:`~sklearn.svm.SVC` is left alone and never sent them. A model
    with no such estimator is returned unchanged.

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
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mmer import make_late_fusion
    >>> from sklearn_mmer.fusion import request_groups
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     vote = request_groups(make_late_fusion(["acoustic", "lexical"],
    ...                                            early_stopping=True))
    ...     routing = vote.get_metadata_routing()
    ...     linear = request_groups(make_late_fusion(
    ...         ["acoustic", "lexical"], classifier=LogisticRegression()))
    ...     linear_routing = linear.get_metadata_routing()
    >>> sorted(routing.consumes("fit", ["groups"]))
    ['groups']
    >>> sorted(linear_routing.consumes("fit", ["groups"]))
    []
    """
    for consumer in groups_consumers(estimator):
        consumer.set_fit_request(groups=True)
    return estimator


def _final_classifier(classifier, params, builder, n_seeds=1):
    """Return the classifier (by default the network), averaged over ``n_seeds``."""
    if classifier is None:
        return make_seed_ensemble(TorchMLPClassifier(**params), n_seeds)
    if not is_classifier(classifier):
        raise TypeError(
            f"{builder}: classifier must be a scikit-learn classifier (with fit, "
            f"predict and the classifier tag); got {classifier!r}."
        )
    if params:
        raise TypeError(
            f"{builder}: got classifier={classifier!r} and network parameters "
            f"{sorted(params)}, which only the default TorchMLPClassifier takes. "
            "Set them on your classifier instead, e.g. LogisticRegression(C=0.1)."
        )
    return make_seed_ensemble(classifier, n_seeds)


def _unimodal_members(modalities, classifier, params, builder, n_seeds=1):
    """``(modality, make_unimodal(...))`` pairs, each with its own classifier."""
    if isinstance(classifier, Mapping):
        unknown = sorted(set(classifier) - set(modalities))
        if unknown:
            raise ValueError(
                f"{builder}: classifier names modalities {unknown} that are not "
                f"among {modalities}."
            )
        chosen = {m: classifier.get(m) for m in modalities}
    else:
        chosen = dict.fromkeys(modalities, classifier)
    if params and all(c is not None for c in chosen.values()):
        raise TypeError(
            f"{builder}: got network parameters {sorted(params)} but every "
            "modality has its own classifier, so no TorchMLPClassifier would "
            "use them. Set them on your classifiers instead."
        )
    members = []
    for modality, member_classifier in chosen.items():
        if member_classifier is None:
            member = make_unimodal(modality, n_seeds=n_seeds, **params)
        else:
            _final_classifier(member_classifier, {}, builder)
            # A copy each: set_params on one member must not change the others.
            member = make_unimodal(
                modality, classifier=clone(member_classifier), n_seeds=n_seeds
            )
        members.append((modality, member))
    return members


def _check_probabilities(members, builder):
    """Every member predicts probabilities, or a clear error naming it."""
    for modality, member in members:
        if not hasattr(member, "predict_proba"):
            classifier = member[-1]
            raise TypeError(
                f"{builder} combines predicted probabilities, but the classifier "
                f"of {modality!r}, {classifier!r}, has no predict_proba. Wrap it "
                "in sklearn.calibration.CalibratedClassifierCV, e.g. "
                "CalibratedClassifierCV(SVC(), ensemble=False) (before "
                "scikit-learn 1.9: SVC(probability=True)), or use a classifier "
                "with predict_proba; or vote on labels with "
                "make_late_fusion(voting='hard')."
            )


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
