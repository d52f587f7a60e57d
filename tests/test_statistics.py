"""Paired statistics: the example of scikit-learn, hand-worked cases, pairs."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from sklearn_mmer import (
    ModalitySelector,
    TemporalMeanPool,
    compare_pairs,
    evaluate_configurations,
    make_emotion_dataset,
)
from sklearn_mmer.evaluation import (
    bayesian_correlated_ttest,
    corrected_resampled_ttest,
    holm,
)
from sklearn_mmer.evaluation._stats import corrected_interval, mcnemar


@pytest.fixture(scope="module")
def example_differences():
    """The AUC differences of rbf minus linear in scikit-learn's example
    "Statistical comparison of models using grid search"."""
    X, y = make_moons(noise=0.352, random_state=1, n_samples=100)
    grid = [{"kernel": ["linear"]}, {"kernel": ["poly"], "degree": [2, 3]},
            {"kernel": ["rbf"]}]  # fmt: skip
    cv = RepeatedStratifiedKFold(n_splits=10, n_repeats=10, random_state=0)
    search = GridSearchCV(SVC(random_state=0), grid, scoring="roc_auc", cv=cv)
    results = pd.DataFrame(search.fit(X, y).cv_results_)
    results = results.sort_values("rank_test_score")
    scores = results.filter(regex=r"split\d*_test_score").to_numpy()
    assert [p["kernel"] for p in results["params"][:2]] == ["rbf", "linear"]
    return scores[0] - scores[1], 90, 10


def test_corrected_ttest_reproduces_the_sklearn_example(example_differences):
    differences, n_train, n_test = example_differences
    # The example prints: Corrected t-value: 0.750, Corrected p-value: 0.227
    # (right-tailed).
    test = corrected_resampled_ttest(
        differences, n_train, n_test, alternative="greater"
    )
    assert round(test.t, 3) == 0.750
    assert round(test.p_value, 3) == 0.227
    two_sided = corrected_resampled_ttest(differences, n_train, n_test)
    assert two_sided.p_value == pytest.approx(2 * test.p_value)
    # Its 50% credible interval: between 0.000977 and 0.019023.
    low, high = corrected_interval(test, 0.5)
    assert (round(low, 6), round(high, 6)) == (0.000977, 0.019023)


def test_bayesian_ttest_reproduces_the_sklearn_example(example_differences):
    differences, n_train, n_test = example_differences
    # The example prints: Probability of rbf being more accurate than
    # linear: 0.773; ... practically equivalent (ROPE [-0.01, 0.01]): 0.432.
    better, equivalent, worse = bayesian_correlated_ttest(
        differences, n_train, n_test, rope=0.0
    )
    assert round(better, 3) == 0.773 and round(worse, 3) == 0.227
    assert equivalent == pytest.approx(0.0, abs=1e-12)
    better, equivalent, worse = bayesian_correlated_ttest(
        differences, n_train, n_test, rope=0.01
    )
    assert round(equivalent, 3) == 0.432
    assert better + equivalent + worse == pytest.approx(1.0)


def test_corrected_ttest_by_hand():
    # mean 0.025; var(ddof=1) = 5e-4 / 3; (1/4 + 20/80) * var = 8.33e-5.
    test = corrected_resampled_ttest([0.02, 0.03, 0.01, 0.04], 80, 20)
    assert test.std == pytest.approx(np.sqrt(0.5 * 5e-4 / 3))
    assert test.t == pytest.approx(0.025 / np.sqrt(0.5 * 5e-4 / 3))
    assert test.df == 3


def test_holm_on_a_known_case():
    # Sorted: 0.005 * 4 = 0.02, 0.01 * 3 = 0.03, 0.03 * 2 = 0.06, then
    # 0.04 * 1 = 0.04 raised to 0.06 to keep the order.
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == [0.03, 0.06, 0.06, 0.02]
    assert holm([0.5, 0.9]).tolist() == [1.0, 1.0]
    assert np.isnan(holm([0.01, np.nan])[1]) and holm([0.01, np.nan])[0] == 0.01


def test_mcnemar_by_hand():
    a = np.array([True] * 8 + [False] + [True] * 5)
    b = np.array([False] * 8 + [True] + [True] * 5)
    only_a, only_b, p_value = mcnemar(a, b)
    # Exact: 2 * P(X <= 1), X ~ Binomial(9, 1/2) = 2 * 10 / 512.
    assert (only_a, only_b) == (8, 1)
    assert p_value == pytest.approx(20 / 512)


@pytest.fixture(scope="module")
def comparison():
    data = make_emotion_dataset(
        n_samples=150, dims={"acoustic": 6, "lexical": 8}, random_state=0
    )

    def linear(modality):
        return make_pipeline(
            ModalitySelector(modality), TemporalMeanPool(),
            LogisticRegression(max_iter=300),
        )  # fmt: skip

    configurations = {
        "lexical": linear("lexical"),
        "lexical_again": linear("lexical"),
        "majority": DummyClassifier(),
    }
    return evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups, cv=5,
        n_repeats=2, random_state=0,
    )  # fmt: skip


def test_compare_pairs_tests_every_pair_on_every_fold(comparison):
    pairs = compare_pairs(comparison, rope=0.01)
    assert len(pairs) == 3 and (pairs["n_differences"] == 10).all()
    scores = comparison.per_fold.pivot_table(
        index="fold", columns="configuration", values="f1_micro", aggfunc="first"
    )
    for _, pair in pairs.iterrows():
        differences = scores[pair["first"]] - scores[pair["second"]]
        assert pair["mean_difference"] == pytest.approx(differences.mean())
        assert pair["ci_low"] <= pair["mean_difference"] <= pair["ci_high"]
        total = pair["p_better"] + pair["p_equivalent"] + pair["p_worse"]
        assert total == pytest.approx(1.0)
    assert (pairs["p_holm"] >= pairs["p_value"]).all()


def test_a_real_gap_is_significant_and_a_copy_is_equivalent(comparison):
    pairs = compare_pairs(comparison, reference="majority").set_index("first")
    assert set(pairs.index) == {"lexical", "lexical_again"}
    gap = pairs.loc["lexical"]
    assert gap["significant"] and gap["p_better"] > 0.95
    assert gap["mcnemar_p_holm"] < 0.05
    same = compare_pairs(comparison, reference="lexical").set_index("first")
    copy = same.loc["lexical_again"]
    assert copy["mean_difference"] == 0 and copy["p_equivalent"] == 1.0
    assert copy["mcnemar_p"] == 1.0 and not copy["significant"]


def test_compare_pairs_checks_its_arguments(comparison):
    with pytest.raises(ValueError, match="reference='text'"):
        compare_pairs(comparison, reference="text")
    with pytest.raises(ValueError, match="scoring='auc'"):
        compare_pairs(comparison, metric="auc")
    ua = compare_pairs(comparison, metric="UA")
    assert set(ua["metric"]) == {"balanced_accuracy"}
