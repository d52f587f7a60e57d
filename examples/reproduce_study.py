"""Reproduce the coursework study step by step, the honest way.

The reference study compared five models on IEMOCAP's four-class subset under
5-fold cross-validation over speakers, and reported F1-micro (%):

    early fusion 62.56, text 62.25, late fusion 54.31, audio 53.27, visual 38.39

Its notebook trained each model for a fixed number of epochs and kept the epoch
that scored best *on the test fold*: model selection on test data, which makes
every number optimistic (see ``epoch_selection_on_test_fold.py`` for how much).
Here each network stops early on a validation split carved from the training
fold's speakers, and the test fold is scored once.

Run it on the built-in demo data, or on your features::

    python examples/reproduce_study.py
    python examples/reproduce_study.py features.zip [dataset.csv]

The demo data is synthetic: its numbers show the method, not IEMOCAP's results.
"""

import sys

import pandas as pd
from sklearn.model_selection import GroupKFold

from sklearn_mmer import (
    evaluate_configurations,
    format_summary,
    load_features,
    make_configurations,
    make_emotion_dataset,
)

REFERENCE_F1_MICRO = {
    "early": 62.56,
    "lexical": 62.25,
    "late": 54.31,
    "acoustic": 53.27,
    "visual": 38.39,
}


def load(features=None, csv=None, n_samples=1336):
    """Step 1: the data, one row per utterance and one column per modality."""
    if features is None:
        return make_emotion_dataset(n_samples, random_state=0)
    # pool="mean" averages each frame sequence as it is read: the study's
    # temporal mean pooling, without holding every frame in memory.
    return load_features(features, csv, pool="mean")


def main(features=None, csv=None, *, n_samples=1336, max_iter=200, n_splits=5):
    data = load(features, csv, n_samples)
    print(data.DESCR, end="\n\n")

    # Step 2: the five configurations. Unimodal pipelines pool, standardise
    # and train an MLP on one modality; early fusion concatenates the
    # modalities before one MLP; late fusion is a majority vote of the three
    # unimodal models. Early stopping watches a validation split of the
    # training speakers, never the test fold.
    configurations = make_configurations(
        data.data.columns, max_iter=max_iter, early_stopping=True, random_state=0
    )
    for name, estimator in configurations.items():
        print(f"{name}: {type(estimator).__name__}")

    # Step 3: five folds over speakers, the same for every configuration; no
    # speaker is ever in both the training and the test part.
    result = evaluate_configurations(
        configurations,
        data.data,
        data.target,
        groups=data.groups,
        cv=GroupKFold(n_splits=n_splits),
        target_names=data.target_names,
    )
    print("\nHeld-out speakers per fold:")
    print(result.folds["test_groups"].to_string(), end="\n\n")

    # Step 4: the ranked table, and the study's numbers next to ours.
    print(format_summary(result), end="\n\n")
    ours = 100 * result.summary["f1_micro_mean"]
    comparison = pd.DataFrame(
        {"this run": ours.round(2), "reference study": pd.Series(REFERENCE_F1_MICRO)}
    ).reindex(result.summary.index)
    print("F1-micro (%):")
    print(comparison.to_string())
    return result


if __name__ == "__main__":
    main(*sys.argv[1:3])
