"""Late fusion from the unimodal models the comparison has already fitted.

A late-fusion configuration votes over unimodal pipelines; when those are the
very configurations the comparison also scores alone (same class, same
parameters, same seed), fitting them again inside the vote would repeat the
same work on the same fold. The vote is instead assembled from the fitted
models, frozen, which gives the same predictions, for each member whose
stand-alone model was trained on the very rows the vote trains it on. With
missing cells they can differ: a vote that keeps rows with missing modalities
trains its lexical member on every row with words, while the stand-alone
lexical configuration shares the complete rows of the other classical
configurations. Such a member is trained inside the vote as usual.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import VotingClassifier
from sklearn.frozen import FrozenEstimator

from ..fusion import PresentModalityVotingClassifier


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


def exactly_reusable(vote: VotingClassifier, X_train, train, member_trains) -> list:
    """Members of ``vote`` whose stand-alone model saw the rows the vote would give.

    Parameters
    ----------
    vote : VotingClassifier
        The late fusion, before fitting.
    X_train : DataFrame or array-like
        The vote's training rows.
    train : ndarray of int
        Their positions in the comparison's table.
    member_trains : dict of str to ndarray of int
        By member name, the positions the stand-alone model was trained on.

    Returns
    -------
    names : list of str
        The members whose frozen stand-alone model is exactly the member the
        vote would train: a :class:`~sklearn.ensemble.VotingClassifier`
        trains each on every row, a
        :class:`~sklearn_mmer.fusion.PresentModalityVotingClassifier` on the
        rows that have its columns.
    """
    names = [name for name, member in vote.estimators if member != "drop"]
    if isinstance(vote, PresentModalityVotingClassifier):
        present = vote.members_present(X_train)
    else:
        present = np.ones((len(train), len(names)), dtype=bool)
    return [
        name
        for j, name in enumerate(names)
        if np.array_equal(train[present[:, j]], member_trains[name])
    ]


def vote_of_fitted(vote: VotingClassifier, fitted: dict) -> VotingClassifier:
    """Copy ``vote`` with the fitted models, frozen, as members where given.

    Its ``fit`` sets up the vote (label encoding) and trains the members
    not in ``fitted``; the frozen ones stay as they are.
    """
    members = [
        (name, FrozenEstimator(fitted[name]) if name in fitted else member)
        for name, member in vote.estimators
    ]
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
