"""evaluate_configurations scores configurations that tolerate missing cells on them."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from sklearn_mmer import (
    ModalityScaler,
    ModalitySelector,
    compare_pairs,
    evaluate_configurations,
    make_emotion_dataset,
    make_unimodal,
)
from sklearn_mmer.evaluation import corrected_resampled_ttest
from sklearn_mmer.evaluation._rows import tolerates_missing_cells
from sklearn_mmer.utils._frames import is_missing_cell


class PresenceCounter(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; records the rows it saw. Tolerates missing cells."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.seen_ = list(X.index)
        self.n_missing_ = int(X.map(is_missing_cell).to_numpy().sum())
        return self

    def predict(self, X):
        check_is_fitted(self)
        return np.full(len(X), self.classes_[0])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class StrictCounter(PresenceCounter):
    """The same, without tolerating missing cells."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


@pytest.fixture(scope="module")
def gappy():
    data = make_emotion_dataset(
        n_samples=120,
        dims={"visual": 4, "acoustic": 4, "lexical": 4},
        missing_rate=0.3,
        random_state=0,
    )
    X = data.data
    # One row with no modality at all: nobody can use it.
    X.loc[X.index[5], ["visual", "acoustic", "lexical"]] = None
    return data


def test_tolerance_is_read_from_the_tags():
    tolerant = Pipeline(
        [("select", ModalitySelector(["visual"])), ("scale", ModalityScaler())]
    )
    assert tolerates_missing_cells(tolerant)
    assert tolerates_missing_cells(PresenceCounter())
    assert not tolerates_missing_cells(make_unimodal("visual"))


def test_tolerant_configurations_see_rows_with_missing_cells(gappy):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    tolerant = Pipeline(
        [
            ("select", ModalitySelector(["visual", "acoustic", "lexical"])),
            ("scale", ModalityScaler()),
            ("classifier", PresenceCounter()),
        ]
    )
    configurations = {
        "lexical": make_unimodal("lexical", max_iter=2, random_state=0),
        "visual": make_unimodal("visual", max_iter=2, random_state=0),
        "tolerant": tolerant,
    }
    result = evaluate_configurations(
        configurations, X, y, groups=groups, cv=3, return_estimators=True
    )
    # The classical configurations share the rows with every modality any
    # of them reads (visual and lexical), as before.
    complete = ~X[["visual", "lexical"]].map(is_missing_cell).any(axis=1)
    has_any = ~X.map(is_missing_cell).all(axis=1)
    assert result.summary.loc["lexical", "n_rows"] == complete.sum()
    assert result.summary.loc["visual", "n_rows"] == complete.sum()
    # The tolerant one sees every row with at least one modality.
    assert result.summary.loc["tolerant", "n_rows"] == has_any.sum() == len(X) - 1
    assert result.rows_used["tolerant"].all()
    assert result.rows_used["lexical"].sum() == complete.sum()
    # Its models were trained on rows with missing cells, and its
    # predictions cover them.
    fitted = result.estimators["tolerant"][0][-1]
    assert fitted.n_missing_ > 0
    predicted = result.predictions.query("configuration == 'tolerant'")["row"]
    assert set(predicted) == set(X.index[has_any])
    # Folds stay speaker-disjoint for each configuration's own rows.
    for name in configurations:
        rows = result.per_fold.query("configuration == @name")
        assert rows["n_test"].sum() == result.summary.loc[name, "n_rows"]
    # The row no configuration can use is listed, never dropped in silence.
    assert result.excluded.index.tolist() == [X.index[5]]
    assert "visual, acoustic, lexical" in result.excluded["missing"].iloc[0]


def test_without_a_tolerant_configuration_rows_are_left_out_as_before(gappy):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    result = evaluate_configurations(
        {"lexical": make_unimodal("lexical", max_iter=2, random_state=0)},
        X,
        y,
        groups=groups,
        cv=3,
    )
    lexical_missing = X["lexical"].map(is_missing_cell)
    assert len(result.excluded) == lexical_missing.sum() == 1
    assert isinstance(result.rows_used, pd.DataFrame)


def test_paired_comparisons_use_the_rows_both_configurations_saw(gappy):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    tolerant = Pipeline(
        [
            ("select", ModalitySelector(["visual", "acoustic", "lexical"])),
            ("classifier", PresenceCounter()),
        ]
    )
    strict = Pipeline(
        [("select", ModalitySelector(["visual"])), ("classifier", StrictCounter())]
    )
    configurations = {"tolerant": tolerant, "visual": strict}
    result = evaluate_configurations(configurations, X, y, groups=groups, cv=3)
    assert (
        result.summary.loc["tolerant", "n_rows"]
        > result.summary.loc["visual", "n_rows"]
    )
    row = compare_pairs(result).iloc[0]
    # McNemar counts the rows only one of the two got right, among the rows
    # both predicted.
    predictions = result.predictions.assign(
        correct=lambda p: p["y_true"] == p["y_pred"]
    )
    correct = predictions.pivot_table(
        index="row", columns="configuration", values="correct", aggfunc="first"
    ).dropna()
    first, second = correct[row["first"]], correct[row["second"]]
    assert len(correct) == result.summary.loc["visual", "n_rows"]
    assert row["mcnemar_first_only"] == (first & ~second).sum()
    assert row["mcnemar_second_only"] == (second & ~first).sum()
    assert np.isfinite(row["mean_difference"])


def test_paired_test_corrects_for_each_pairs_own_fold_sizes(gappy):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    configurations = {
        "tolerant": Pipeline(
            [
                ("select", ModalitySelector(["visual", "acoustic", "lexical"])),
                ("classifier", PresenceCounter()),
            ]
        ),
        "visual": make_unimodal("visual", max_iter=3, random_state=0),
        "lexical": make_unimodal("lexical", max_iter=3, random_state=0),
    }
    result = evaluate_configurations(configurations, X, y, groups=groups, cv=3)
    sizes = result.per_fold.set_index(["configuration", "fold"])
    pairs = compare_pairs(result).set_index(["first", "second"])
    for (first, second), pair in pairs.iterrows():
        predictions = result.predictions.pivot_table(
            index=["fold", "row"], columns="configuration", values="y_pred",
            aggfunc="first",
        )[[first, second]].dropna()  # fmt: skip
        truth = result.predictions.drop_duplicates(["fold", "row"]).set_index(
            ["fold", "row"]
        )["y_true"]
        differences, n_train, n_test = [], [], []
        for fold, shared in predictions.groupby(level="fold"):
            true = truth.loc[shared.index]
            differences.append(
                (shared[first] == true).mean() - (shared[second] == true).mean()
            )
            n_test.append(len(shared))
            n_train.append(
                min(sizes.loc[(name, fold), "n_train"] for name in (first, second))
            )
        expected = corrected_resampled_ttest(differences, n_train, n_test)
        assert pair["mean_difference"] == pytest.approx(expected.mean)
        assert pair["p_value"] == pytest.approx(expected.p_value)
