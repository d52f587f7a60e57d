"""The validation split for early stopping, carved from the training data."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split


def validation_split(y, groups, validation_fraction, random_state):
    """Return ``(train_index, valid_index)`` positions for early stopping.

    With ``groups`` (speakers), no group is on both sides, so early stopping
    judges the model on speakers it has not trained on, as the test fold
    will. Without groups, the split is stratified by class, as in
    :class:`sklearn.neural_network.MLPClassifier`.
    """
    positions = np.arange(len(y))
    if groups is None:
        _check_enough_rows_per_class(y)
        train_index, valid_index = train_test_split(
            positions,
            test_size=validation_fraction,
            stratify=y,
            random_state=random_state,
        )
        return np.sort(train_index), np.sort(valid_index)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(
            "early_stopping=True with groups needs at least 2 distinct groups "
            f"in the training data to hold some out for validation; got {n_groups}."
        )
    splitter = GroupShuffleSplit(
        n_splits=1, test_size=validation_fraction, random_state=random_state
    )
    train_index, valid_index = next(splitter.split(positions, y, groups))
    return train_index, valid_index


def _check_enough_rows_per_class(y):
    """Say in the classifier's terms why a stratified split is impossible.

    Otherwise ``train_test_split`` speaks of "groups" the user never gave.
    """
    labels, counts = np.unique(y, return_counts=True)
    scarce = labels[counts < 2]
    if scarce.size:
        raise ValueError(
            "early_stopping=True holds out a validation part with every class "
            f"in it, so each class needs at least 2 training rows; class(es) at "
            f"positions {scarce.tolist()} of classes_ have only 1. Give more "
            "rows or set early_stopping=False."
        )
