"""How much choosing the epoch on the test fold inflates a score.

The reference study trained each network for a fixed number of epochs, scored
the test fold after every epoch, and reported the best of those scores. That
is model selection on test data: of many noisy scores it keeps the luckiest,
so it overestimates what the model will do on new speakers.

For each speaker-grouped fold this script trains early fusion three ways:

- **peeking** (the study): a fixed number of epochs, the best test-fold score
  over epochs is reported;
- **fixed epochs**: the same run, the score after the last epoch;
- **honest early stopping**: training stops on a validation split carved from
  the training fold's *speakers*; the test fold is scored once.

On the demo data (5 folds, at the time of writing) peeking gave 65.19 ± 1.90,
the last of 60 epochs 62.35 ± 0.97 and early stopping 61.90 ± 1.64: peeking
reports about three points more than the same runs deliver. The last-epoch
score is honest only if the epoch count was fixed before any test score was
seen; early stopping chooses on training speakers alone (validation accuracy,
as sklearn's MLPClassifier), and lands within noise of it.

Run it on the demo data, or on your features::

    python examples/epoch_selection_on_test_fold.py
    python examples/epoch_selection_on_test_fold.py features.zip [dataset.csv]
"""

import sys
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold
from skorch.callbacks import Callback

from sklearn_mmer import load_features, make_early_fusion, make_emotion_dataset


class TestFoldPeek(Callback):
    """Score the test fold after every epoch: what the study did, not to copy."""

    def __init__(self, X_test, y_test):
        self.X_test = X_test
        self.y_test = y_test

    def initialize(self):
        """Start a fresh list of scores for each fit."""
        self.scores_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        """Score the test fold with the weights of this epoch."""
        y_pred = net.predict(self.X_test)
        self.scores_.append(f1_score(self.y_test, y_pred, average="micro"))


def peeking_run(X_train, y_train, X_test, y_test, modalities, epochs):
    """Train for ``epochs`` epochs; return the score of every epoch."""
    pipe = make_early_fusion(
        modalities, max_iter=epochs, n_iter_no_change=epochs, random_state=0
    )
    features = pipe[:-1].fit(X_train)
    # The network predicts class positions; here labels are 0..k-1 already
    # when they are the loader's or the demo's integers, else encode them.
    classes = np.unique(y_train)
    peek = TestFoldPeek(features.transform(X_test), np.searchsorted(classes, y_test))
    classifier = pipe[-1].set_params(callbacks=[peek])
    classifier.fit(features.transform(X_train), y_train)
    return np.array(peek.scores_)


def honest_run(X_train, y_train, groups_train, X_test, y_test, modalities, epochs):
    """Early stopping on held-out training speakers; score the test fold once."""
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_early_fusion(
            modalities, max_iter=epochs, early_stopping=True, random_state=0
        )
        pipe[-1].set_fit_request(groups=True)
        pipe.fit(X_train, y_train, groups=groups_train)
    # The weights kept are those of the epoch with the best validation accuracy.
    best_epoch = int(np.argmax(pipe[-1].validation_scores_)) + 1
    return f1_score(y_test, pipe.predict(X_test), average="micro"), best_epoch


def main(features=None, csv=None, *, n_samples=1336, epochs=60, n_splits=5):
    if features is None:
        data = make_emotion_dataset(n_samples, random_state=0)
    else:
        data = load_features(features, csv, pool="mean")
    # Rows with a missing modality cannot go through early fusion.
    complete = data.data.notna().all(axis=1).to_numpy()
    X, y, groups = data.data[complete], data.target[complete], data.groups[complete]
    modalities = list(X.columns)

    rows = []
    for fold, (train, test) in enumerate(GroupKFold(n_splits).split(X, y, groups)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = peeking_run(
                X.iloc[train], y[train], X.iloc[test], y[test], modalities, epochs
            )
            honest, best_epoch = honest_run(
                X.iloc[train],
                y[train],
                groups[train],
                X.iloc[test],
                y[test],
                modalities,
                epochs,
            )
        rows.append((scores.max(), scores[-1], honest))
        print(
            f"fold {fold}: peeking {100 * scores.max():.2f} (epoch "
            f"{scores.argmax() + 1}), last epoch {100 * scores[-1]:.2f}, "
            f"early stopping {100 * honest:.2f} (epoch {best_epoch})"
        )
    peeking, fixed, honest = 100 * np.array(rows).T
    print(f"\nEarly fusion, F1-micro (%) over {n_splits} speaker-grouped folds:")
    for label, scores in [
        ("best epoch chosen on the test fold", peeking),
        (f"fixed {epochs} epochs", fixed),
        ("early stopping on training speakers", honest),
    ]:
        print(f"  {label:<36} {scores.mean():.2f} ± {scores.std():.2f}")
    print(
        "\nThe first number is the study's method: always at least the second, "
        "and optimistic by construction."
    )
    return peeking, fixed, honest


if __name__ == "__main__":
    main(*sys.argv[1:3])
