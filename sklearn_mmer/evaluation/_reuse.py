"""Late fusion from the unimodal models the comparison has already fitted.

A late-fusion configuration votes over unimodal pipelines; when those are the
very configurations the comparison also scores alone (same class, same
parameters, same seed), fitting them again inside the vote would repeat the
same work on the same fold. The vote is instead assembled from the fitted
models, frozen, which gives the same predictions.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator


def reusable_votes(configurations: dict) -> dict[str, dict[str, str]]:
    """Map each reusable voting configuration's members to configurations.

    Returns ``{vote_name: {member_name: configuration_name}}`` for every
    :class:`~sklearn.ensemble.VotingClassifier` whose members all have an
    identical stand-alone configuration.
    """
    standalone = {
        name: estimator
        for name, estimator in configurations.items()
        if not isinstance(estimator, VotingClassifier)
    }
    plan = {}
    for name, estimator in configurations.items():
        if not isinstance(estimator, VotingClassifier):
            continue
        members = {}
        for member_name, member in estimator.estimators:
            match = next(
                (other for other, s in standalone.items() if same_estimator(member, s)),
                None,
            )
            if match is None:
                break
            members[member_name] = match
        else:
            plan[name] = members
    return plan


def labels_encode_to_themselves(y) -> bool:
    """Whether a VotingClassifier's label encoding leaves ``y`` unchanged.

    The vote trains its members on ``LabelEncoder().fit_transform(y)``; the
    stand-alone models were trained on ``y``. They are the same models only
    when the labels already are ``0, 1, ..., k-1``.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        return False
    present = np.unique(y)
    return bool(np.array_equal(present, np.arange(len(present))))


def vote_of_fitted(vote: VotingClassifier, fitted: dict) -> VotingClassifier:
    """Copy ``vote`` with the fitted models, frozen, as its members.

    Its ``fit`` only sets up the vote (label encoding); the members stay as
    they are.
    """
    members = [(name, FrozenEstimator(fitted[name])) for name, _ in vote.estimators]
    return clone(vote).set_params(estimators=members)


def same_estimator(first, second) -> bool:
    """Whether two estimators have the same class and the same parameters."""
    if type(first) is not type(second):
        return False
    first_params = first.get_params(deep=False)
    second_params = second.get_params(deep=False)
    return first_params.keys() == second_params.keys() and all(
        _same_value(first_params[key], second_params[key]) for key in first_params
    )


def _same_value(first, second) -> bool:
    if isinstance(first, BaseEstimator) or isinstance(second, BaseEstimator):
        return isinstance(second, BaseEstimator) and same_estimator(first, second)
    if isinstance(first, list | tuple):
        return (
            isinstance(second, list | tuple)
            and len(first) == len(second)
            and all(map(_same_value, first, second))
        )
    if isinstance(first, np.random.RandomState):
        return False  # a shared generator gives each fit different draws
    if isinstance(first, np.ndarray) or isinstance(second, np.ndarray):
        return bool(np.array_equal(first, second))
    try:
        return bool(first == second)
    except (TypeError, ValueError):
        return first is second
