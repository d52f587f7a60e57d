"""The standard set of configurations a comparison runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..fusion import (
    make_early_fusion,
    make_late_fusion,
    make_neural_fusion,
    make_unimodal,
)

FUSION_NAMES = ("early", "late", "neural")
# Built only when ``include`` names them: the default stays the reference study.
OPTIONAL_NAMES = ("neural",)


def make_configurations(
    modalities: Sequence[str],
    *,
    include: Sequence[str] | None = None,
    voting: Literal["hard", "soft"] = "hard",
    **params,
) -> dict:
    """Build the standard configurations for the modalities at hand.

    One unimodal pipeline per modality (named after it), then early fusion
    (``"early"``) and late fusion (``"late"``) over all of them, the five
    configurations of the reference study when the modalities are visual,
    acoustic and lexical. With a single modality there is nothing to fuse,
    so only its unimodal configuration is built.

    Parameters
    ----------
    modalities : sequence of str
        The modality columns the data has, e.g. ``data.data.columns``.
    include : sequence of str, default=None
        Names of the configurations to build, among the modalities,
        ``"early"``, ``"late"`` and ``"neural"`` (:func:`make_neural_fusion`,
        one network over all modalities that keeps rows lacking some); all
        but ``"neural"`` when None. The result keeps the standard order
        whatever the order here.
    voting : {"hard", "soft"}, default="hard"
        Voting of the late-fusion configuration (see
        :func:`~sklearn_mmer.make_late_fusion`).
    **params
        Parameters of every :class:`~sklearn_mmer.TorchMLPClassifier` (and
        :class:`~sklearn_mmer.TorchMultimodalClassifier`), e.g.
        ``max_iter=50, early_stopping=True, random_state=0``. Early fusion
        keeps its wider defaults unless these name them.

    Returns
    -------
    configurations : dict of str to estimator
        Unfitted classifiers by name, ready for
        :func:`evaluate_configurations`.

    Raises
    ------
    ValueError
        If ``include`` names a configuration these modalities cannot make.

    See Also
    --------
    evaluate_configurations : Scores them on the same folds.

    Examples
    --------
    >>> from sklearn_mmer import make_configurations
    >>> list(make_configurations(["visual", "acoustic", "lexical"]))
    ['visual', 'acoustic', 'lexical', 'early', 'late']
    >>> list(make_configurations(["acoustic", "lexical"], include=["late", "lexical"]))
    ['lexical', 'late']
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
        builders["neural"] = (make_neural_fusion, modalities)
    names = (
        [name for name in builders if name not in OPTIONAL_NAMES]
        if include is None
        else _check_include(include, builders)
    )
    configurations = {}
    for name in names:
        builder, argument = builders[name]
        extra = {"voting": voting} if builder is make_late_fusion else {}
        configurations[name] = builder(argument, **extra, **params)
    return configurations


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
