"""Look inside composite estimators: classifiers, selected columns, devices.

The comparison engine must know which modalities a configuration reads (to
leave out rows that lack one) and reach every :class:`TorchMLPClassifier`
(to route ``groups`` to it and to read back how it trained). Builders return
nested Pipelines, ColumnTransformers and VotingClassifiers, so both questions
are answered by walking the estimator tree.
"""

from __future__ import annotations

from collections.abc import Iterator

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer

from ..neural_network import TorchMLPClassifier
from ..preprocessing import ModalitySelector

# Attributes where fitted meta-estimators keep the clones they trained.
_FITTED_CHILDREN = ("estimators_", "best_estimator_", "transformers_")


def iter_estimators(estimator) -> Iterator[BaseEstimator]:
    """Yield ``estimator`` and every estimator nested in it, fitted or not."""
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


def torch_classifiers(estimator) -> list[TorchMLPClassifier]:
    """Every :class:`TorchMLPClassifier` inside ``estimator``."""
    return [e for e in iter_estimators(estimator) if isinstance(e, TorchMLPClassifier)]


def required_columns(estimator, columns) -> list:
    """Columns of ``X`` that ``estimator`` reads, as far as can be told.

    Columns named by a :class:`ModalitySelector` or a
    :class:`~sklearn.compose.ColumnTransformer` count. When the estimator
    selects nothing by name (a custom estimator, a selector by position, a
    transformer that passes the remainder through), every column counts: a
    row is then left out for any missing cell, which is safe.
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
