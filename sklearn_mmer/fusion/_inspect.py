"""Look inside composite estimators: classifiers, selected columns, devices.

The comparison engine must know which modalities a configuration reads (to
leave out rows that lack one) and reach every :class:`TorchMLPClassifier`
(to route ``groups`` to it and to read back how it trained). Builders return
nested Pipelines, ColumnTransformers and VotingClassifiers, so both questions
are answered by walking the estimator tree.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import StackingClassifier, VotingClassifier
from sklearn.pipeline import Pipeline

from ..neural_network import BaseTorchClassifier
from ..preprocessing import ModalitySelector, TemporalMeanPool

# Attributes where fitted meta-estimators keep the clones they trained.
_FITTED_CHILDREN = ("estimators_", "best_estimator_", "transformers_")


def iter_estimators(estimator) -> Iterator[BaseEstimator]:
    """Yield ``estimator`` and every estimator nested in it, fitted or not.

    Examples
    --------
    >>> from sklearn_mmer import make_late_fusion
    >>> from sklearn_mmer.fusion import iter_estimators
    >>> vote = make_late_fusion(["acoustic", "lexical"])
    >>> sum(1 for _ in iter_estimators(vote))  # vote, 2 x (pipeline + 4 steps)
    11
    """
    seen: set[int] = set()
    stack = [estimator]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if not isinstance(node, BaseEstimator) or id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(node.get_params(deep=False).values())
        stack.extend(getattr(node, name, ()) for name in _FITTED_CHILDREN)


def torch_classifiers(estimator) -> list[BaseTorchClassifier]:
    """Every torch classifier of this package inside ``estimator``.

    Examples
    --------
    >>> from sklearn_mmer import make_late_fusion
    >>> from sklearn_mmer.fusion import torch_classifiers
    >>> len(torch_classifiers(make_late_fusion(["acoustic", "lexical"])))
    2
    """
    return [e for e in iter_estimators(estimator) if isinstance(e, BaseTorchClassifier)]


def groups_consumers(estimator) -> list[BaseEstimator]:
    """Every estimator inside ``estimator`` whose ``fit`` takes ``groups``.

    These are the ones metadata routing can send groups to; routers such as
    :class:`~sklearn.pipeline.Pipeline` pass them on without consuming them,
    and most classifiers (``LogisticRegression``, ``SVC``) have no use for
    them.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mmer import make_unimodal
    >>> from sklearn_mmer.fusion import groups_consumers
    >>> [type(e).__name__ for e in groups_consumers(make_unimodal("lexical"))]
    ['TorchMLPClassifier']
    >>> groups_consumers(make_unimodal("lexical", classifier=LogisticRegression()))
    []
    """
    return [e for e in iter_estimators(estimator) if _fit_takes_groups(e)]


def _fit_takes_groups(estimator) -> bool:
    fit = getattr(estimator, "fit", None)
    if fit is None or not hasattr(estimator, "set_fit_request"):
        return False
    return "groups" in inspect.signature(fit).parameters


def required_columns(estimator, columns) -> list:
    """Columns of ``X`` that ``estimator`` reads, as far as can be told.

    Columns named by a :class:`ModalitySelector` or a
    :class:`~sklearn.compose.ColumnTransformer` count. When the estimator
    selects nothing by name (a custom estimator, a selector by position, a
    transformer that passes the remainder through), every column counts: a
    row is then left out for any missing cell, which is safe.

    Examples
    --------
    >>> from sklearn_mmer import make_unimodal
    >>> from sklearn_mmer.fusion import required_columns
    >>> required_columns(make_unimodal("lexical"), ["visual", "acoustic", "lexical"])
    ['lexical']
    """
    columns = list(columns)
    selected: set = set()
    for node in iter_estimators(estimator):
        if isinstance(node, ModalitySelector):
            names = _named_columns(node.modalities)
        elif isinstance(node, ColumnTransformer):
            if node.remainder != "drop":
                return columns
            names = set()
            for _, _, spec in node.transformers:
                spec_names = _named_columns(spec)
                if spec_names is None:
                    return columns
                names |= spec_names
        else:
            continue
        if names is None:
            return columns
        selected |= names
    if not selected:
        return columns
    return [column for column in columns if column in selected]


def _named_columns(spec) -> set | None:
    """Column names in a selection, or None when it is not a list of names."""
    if isinstance(spec, str):
        return {spec}
    is_list = isinstance(spec, list | tuple) and len(spec) > 0
    if is_list and all(isinstance(s, str) for s in spec):
        return set(spec)
    return None


def pools_before_reading(estimator) -> bool:
    """Whether ``estimator`` only ever sees its input mean-pooled over time.

    True when every way into the estimator passes through a
    :class:`TemporalMeanPool` before anything other than column selection
    reads the cells, as in every pipeline the builders make. For such an
    estimator, pooling the frames once up front changes nothing (a pooled
    vector passes through the pooling unchanged) and saves the pooling at
    every fit. Anything unknown counts as reading the frames.

    Examples
    --------
    >>> from sklearn_mmer import make_early_fusion, make_neural_fusion
    >>> from sklearn_mmer.fusion import pools_before_reading
    >>> pools_before_reading(make_early_fusion(["acoustic", "lexical"]))
    True
    >>> pools_before_reading(make_neural_fusion(["acoustic", "lexical"]))
    False
    """
    if isinstance(estimator, TemporalMeanPool):
        return True
    if isinstance(estimator, Pipeline):
        for _, step in estimator.steps:
            if isinstance(step, ModalitySelector) or step in (None, "passthrough"):
                continue
            return pools_before_reading(step)
        return False
    if isinstance(estimator, ColumnTransformer):
        return (
            all(
                transformer == "drop" or pools_before_reading(transformer)
                for _, transformer, _ in estimator.transformers
            )
            and estimator.remainder == "drop"
        )
    if isinstance(estimator, StackingClassifier) and estimator.passthrough:
        return False  # the final estimator reads the raw input too
    if isinstance(estimator, VotingClassifier | StackingClassifier):
        return all(
            member == "drop" or pools_before_reading(member)
            for _, member in estimator.estimators
        )
    return False
