"""Repeated speaker-grouped splits, and the seeds each repeat trains with."""

from __future__ import annotations

import inspect
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import GroupKFold
from sklearn.utils import check_random_state


def group_splitter(cv):
    """Return ``cv``, or ``GroupKFold(cv)`` for an int number of folds."""
    return GroupKFold(n_splits=cv) if isinstance(cv, Integral) else cv


def repeated_splits(cv, n_repeats: int, random_state, X, y, groups):
    """Make every repeat's folds once, so every configuration gets the same ones.

    ``cv`` is a group splitter (see :func:`group_splitter`). Returns the
    ``(train, test)`` position arrays of every fold of every repeat, numbered
    across repeats, and the list of the repeat of each fold.
    """
    splits, repeats = [], []
    for repeat, splitter in enumerate(repeated_splitters(cv, n_repeats, random_state)):
        repeat_splits = _speaker_disjoint_splits(splitter, X, y, groups)
        splits += repeat_splits
        repeats += [repeat] * len(repeat_splits)
    return splits, repeats


def _speaker_disjoint_splits(cv, X, y, groups):
    """Return the folds of one splitter; raise if a fold shares a group."""
    splits = [
        (np.asarray(train), np.asarray(test)) for train, test in cv.split(X, y, groups)
    ]
    for fold, (train, test) in enumerate(splits):
        shared = np.intersect1d(groups[train], groups[test])
        if shared.size:
            raise ValueError(
                f"Fold {fold} has the group(s) {shared[:5].tolist()} in both its "
                "training and its test part, so its scores would not be "
                "speaker-independent. Use a group-aware splitter such as "
                "GroupKFold."
            )
    return splits


def folds_table(splits, repeats, groups) -> pd.DataFrame:
    """One row per fold: its repeat, sizes and test groups."""
    return pd.DataFrame(
        {
            "fold": range(len(splits)),
            "repeat": repeats,
            "n_train": [len(train) for train, _ in splits],
            "n_test": [len(test) for _, test in splits],
            "test_groups": [
                sorted(str(g) for g in np.unique(groups[test])) for _, test in splits
            ],
        }
    ).set_index("fold")


def repeated_splitters(cv, n_repeats: int, random_state=None) -> list:
    """One splitter per repeat: ``cv`` itself first, then reshuffled copies.

    Repeat 0 is ``cv`` as given, so a run with repeats extends the run
    without. Later repeats assign the groups to folds afresh when the
    splitter can shuffle (``GroupKFold(shuffle=True)``, or any splitter with
    a ``random_state``); a deterministic one such as
    :class:`~sklearn.model_selection.LeaveOneGroupOut` gives the same folds
    again, and the repeats then differ only in the networks' seeds.
    """
    rng = check_random_state(random_state)
    splitters = [cv]
    params = _splitter_params(cv)
    for _ in range(1, n_repeats):
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if "shuffle" in params:
            splitters.append(
                type(cv)(**{**params, "shuffle": True, "random_state": seed})
            )
        elif "random_state" in params:
            splitters.append(type(cv)(**{**params, "random_state": seed}))
        else:
            splitters.append(cv)
    return splitters


def _splitter_params(cv) -> dict:
    """Return the constructor parameters of a splitter, as its repr shows them."""
    try:
        names = inspect.signature(type(cv).__init__).parameters
    except (TypeError, ValueError):
        return {}
    params = {}
    for name, parameter in names.items():
        if name == "self" or parameter.kind in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            continue
        if not hasattr(cv, name):
            return {}  # not a plain splitter; leave it as it is
        params[name] = getattr(cv, name)
    return params


def reseeded(estimator, repeat: int):
    """Clone ``estimator`` with its integer seeds shifted by ``repeat``.

    Every ``random_state`` set to an int, at any depth, gets ``+ repeat``, so
    that each repeat trains other initialisations while staying
    reproducible; None and generator seeds are left as they are. Repeat 0
    returns ``estimator`` itself.
    """
    if repeat == 0:
        return estimator
    shifted = {
        key: value + repeat
        for key, value in estimator.get_params(deep=True).items()
        if key.split("__")[-1] == "random_state"
        and isinstance(value, Integral)
        and not isinstance(value, bool)
    }
    return clone(estimator).set_params(**shifted)
