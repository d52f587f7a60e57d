"""The standard set of configurations a comparison runs, and their baselines."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from ..fusion import (
    make_early_fusion,
    make_late_fusion,
    make_neural_fusion,
    make_stacking_fusion,
    make_unimodal,
)

FUSION_NAMES = ("early", "late", "stacking", "neural")
# Built on request only: stacking fits every modality's model once per inner
# fold as well, six times what late fusion costs with the default cv=5; the
# neural fusion is new beside the reference study's five configurations.
ON_REQUEST = ("stacking", "neural")

# Fixed settings of the classical baselines, on standardised inputs. Strong
# L2 regularisation (C=0.01) scored best or within a point of the best of
# C in {0.01, 0.1, 1} for 7 of 8 inputs (each modality and the concatenation
# of the demo data and of CMU-MOSI, GroupKFold(5) by speaker); C=1 is both
# sklearn's default for the RBF SVC and the best or within 1.5 points of the
# best of C in {0.3, 1, 3, 10} on every input but MOSI acoustic
# (docs/user_guide/evaluation.rst has the figures).
BASELINES = {
    "logreg": LogisticRegression(C=0.01, max_iter=1000),
    "svc": SVC(C=1.0, kernel="rbf", gamma="scale"),
}
_BASELINE_NAME = re.compile(r"^(?P<configuration>.+) \[(?P<kind>[a-z_]+)\]$")


def make_configurations(
    modalities: Sequence[str],
    *,
    include: Sequence[str] | None = None,
    voting: Literal["hard", "soft"] = "hard",
    baselines: bool | Sequence[str] = False,
    classifier=None,
    n_seeds: int = 1,
    **params,
) -> dict:
    """Build the standard configurations for the modalities at hand.

    One unimodal pipeline per modality (named after it), then early fusion
    (``"early"``) and late fusion (``"late"``) over all of them, the five
    configurations of the reference study when the modalities are visual,
    acoustic and lexical. Stacking (``"stacking"``, see
    :func:`~sklearn_mmer.make_stacking_fusion`) is built when ``include``
    names it. With a single modality there is nothing to fuse, so only its
    unimodal configuration is built.

    Parameters
    ----------
    modalities : sequence of str
        The modality columns the data has, e.g. ``data.data.columns``.
    include : sequence of str, default=None
        Names of the configurations to build, among the modalities,
        ``"early"``, ``"late"`` (:func:`make_late_fusion`, a vote over the
        modalities each row has), ``"stacking"`` and ``"neural"``
        (:func:`make_neural_fusion`, one network over all modalities); late
        and neural keep rows lacking some modalities. All but stacking and
        neural when None. The
        result keeps the standard order whatever the order here.
    voting : {"hard", "soft"}, default="hard"
        Voting of the late-fusion configuration (see
        :func:`~sklearn_mmer.make_late_fusion`).
    baselines : bool or sequence of {"logreg", "svc"}, default=False
        Add, for each configuration, the same pipeline with a classical
        classifier in place of the network, on the same pooled and scaled
        inputs: ``LogisticRegression(C=0.01, max_iter=1000)`` (``"logreg"``)
        and an RBF ``SVC(C=1.0)`` (``"svc"``), named ``"<configuration>
        [logreg]"`` and ``"<configuration> [svc]"``. Their late fusion is
        always a hard vote; their stacking uses
        ``CalibratedClassifierCV(SVC(), ensemble=False)`` for the SVC's
        probabilities. True adds both.
    classifier : classifier, default=None
        The classifier of every configuration instead of the network, e.g.
        ``LogisticRegression()`` (each configuration gets it as its builder
        does); None: the network. For one classifier per modality, build
        the configurations with the builders themselves.
    n_seeds : int, default=1
        Average each configuration's classifier over this many seeds
        (:func:`~sklearn_mmer.make_seed_ensemble`): about ``n_seeds`` times
        the training time for steadier, and on the corpora measured better,
        scores. The baselines are deterministic and stay single; the neural
        fusion (one network that keeps rows with missing cells) stays single.
    **params
        Parameters of every :class:`~sklearn_mmer.TorchMLPClassifier` (and
        :class:`~sklearn_mmer.TorchMultimodalClassifier`), e.g.
        ``max_iter=50, early_stopping=True, random_state=0``. Early fusion
        keeps its wider defaults unless these name them.

    Returns
    -------
    configurations : dict of str to estimator
        Unfitted classifiers by name, ready for
        :func:`evaluate_configurations`: the configurations first, then
        their baselines.

    Raises
    ------
    ValueError
        If ``include`` names a configuration these modalities cannot make,
        or ``baselines`` an unknown baseline.

    See Also
    --------
    evaluate_configurations : Scores them on the same folds.
    is_baseline : Tells a baseline by its name.

    Examples
    --------
    >>> from sklearn_mmer import make_configurations
    >>> list(make_configurations(["visual", "acoustic", "lexical"]))
    ['visual', 'acoustic', 'lexical', 'early', 'late']
    >>> list(make_configurations(["acoustic", "lexical"], include=["late", "lexical"]))
    ['lexical', 'late']
    >>> list(make_configurations(["acoustic", "lexical"], include=["lexical", "early"],
    ...                          baselines=True))  # doctest: +NORMALIZE_WHITESPACE
    ['lexical', 'early', 'lexical [logreg]', 'early [logreg]', 'lexical [svc]',
     'early [svc]']
    >>> list(make_configurations(["acoustic", "lexical"], include=["neural", "early"]))
    ['early', 'neural']
    """
    modalities = [str(m) for m in modalities]
    if not modalities:
        raise ValueError("make_configurations needs at least one modality; got none.")
    builders = {m: (make_unimodal, m) for m in modalities}
    if len(modalities) > 1:
        builders["early"] = (make_early_fusion, modalities)
        builders["late"] = (make_late_fusion, modalities)
        builders["stacking"] = (make_stacking_fusion, modalities)
        builders["neural"] = (make_neural_fusion, modalities)
    if include is None:
        names = [name for name in builders if name not in ON_REQUEST]
    else:
        names = _check_include(include, builders)
    kinds = _check_baselines(baselines)

    if classifier is not None and "neural" in names:
        raise ValueError(
            "The neural fusion is its own classifier (one network over every "
            "modality); leave it out of include= to use classifier=."
        )
    configurations = {}
    for name in names:
        builder, argument = builders[name]
        extra = {"voting": voting} if builder is make_late_fusion else {}
        if builder is not make_neural_fusion:
            extra["classifier"] = classifier
            extra["n_seeds"] = n_seeds
        configurations[name] = builder(argument, **extra, **params)
    for kind in kinds:
        # The neural fusion has no classical stand-in: it is the network.
        for name in (n for n in names if builders[n][0] is not make_neural_fusion):
            builder, argument = builders[name]
            configurations[f"{name} [{kind}]"] = builder(
                argument, classifier=_baseline(kind, builder)
            )
    return configurations


def is_baseline(name) -> bool:
    """Whether a configuration name is one of :func:`make_configurations`' baselines.

    Baselines are named ``"<configuration> [<kind>]"`` with ``kind`` one of
    ``"logreg"`` and ``"svc"``; the report marks them by that name.

    Parameters
    ----------
    name : str
        A configuration name.

    Returns
    -------
    baseline : bool

    Examples
    --------
    >>> from sklearn_mmer.evaluation import is_baseline
    >>> is_baseline("early [svc]"), is_baseline("early")
    (True, False)
    """
    match = _BASELINE_NAME.match(str(name))
    return bool(match) and match["kind"] in BASELINES


def _baseline(kind, builder):
    classifier = clone(BASELINES[kind])
    if builder is make_stacking_fusion and not hasattr(classifier, "predict_proba"):
        # Stacking learns from probabilities; the calibrated SVC gives them
        # (SVC(probability=True) is deprecated since scikit-learn 1.9).
        classifier = CalibratedClassifierCV(classifier, ensemble=False)
    return classifier


def _check_baselines(baselines):
    if baselines is True:
        return list(BASELINES)
    if baselines is False or baselines is None:
        return []
    kinds = [baselines] if isinstance(baselines, str) else list(baselines)
    unknown = [kind for kind in kinds if kind not in BASELINES]
    if unknown:
        raise ValueError(
            f"Unknown baseline(s) {unknown}; choose among {list(BASELINES)}, or "
            "pass True for all of them."
        )
    return [kind for kind in BASELINES if kind in kinds]


def _check_include(include, builders):
    include = [include] if isinstance(include, str) else list(include)
    unknown = [name for name in include if name not in builders]
    if unknown:
        hint = ""
        if set(unknown) & set(FUSION_NAMES) and len(builders) == 1:
            hint = " Fusion needs at least two modalities."
        raise ValueError(
            f"Configuration(s) {unknown} cannot be built from the modalities "
            f"{[n for n in builders if n not in FUSION_NAMES]}; available: "
            f"{list(builders)}.{hint}"
        )
    if not include:
        raise ValueError("include names no configuration.")
    return [name for name in builders if name in include]
