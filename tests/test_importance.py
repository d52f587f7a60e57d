"""Modality contribution: permutation of a whole column, and leaving it out."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from sklearn_mmer import evaluate_configurations, make_early_fusion
from sklearn_mmer.evaluation import modality_importance, summarise_importance


@pytest.fixture(scope="module")
def signal_and_noise():
    """One modality that separates the classes, one that is pure noise."""
    rng = np.random.default_rng(0)
    n = 200
    y = rng.integers(0, 2, size=n)
    signal = (1.5 * y[:, None] + rng.normal(size=(n, 4))).astype(np.float32)
    noise = rng.normal(size=(n, 4)).astype(np.float32)
    X = pd.DataFrame({"signal": list(signal), "noise": list(noise)})
    groups = np.repeat(np.arange(8), n // 8)
    return X, y, groups


@pytest.fixture(scope="module")
def importance(signal_and_noise):
    X, y, groups = signal_and_noise
    early = make_early_fusion(["signal", "noise"]).set_params(
        classifier=LogisticRegression()
    )
    result = evaluate_configurations(
        {"early": early}, X, y, groups=groups, cv=4, return_estimators=True
    )
    return modality_importance(
        result, X, y, groups=groups, n_permutations=5, random_state=0
    )


def test_the_informative_modality_matters_and_the_noise_does_not(importance):
    summary = summarise_importance(importance).set_index(["method", "modality"])
    means = summary["importance_mean"]
    for method in ("permutation", "leave_out"):
        assert means[(method, "signal")] > 0.2
        assert abs(means[(method, "noise")]) < 0.05


def test_importance_is_baseline_minus_score_per_fold(importance):
    assert set(importance["method"]) == {"permutation", "leave_out"}
    assert len(importance) == 2 * 2 * 4  # methods x modalities x folds
    np.testing.assert_allclose(
        importance["importance"], importance["baseline"] - importance["score"]
    )
    assert importance.attrs["metric"] == "f1_micro"


def test_it_needs_the_fitted_models(signal_and_noise):
    X, y, groups = signal_and_noise
    early = make_early_fusion(["signal", "noise"]).set_params(
        classifier=LogisticRegression()
    )
    result = evaluate_configurations({"early": early}, X, y, groups=groups, cv=2)
    with pytest.raises(ValueError, match="return_estimators=True"):
        modality_importance(result, X, y, groups=groups)


def test_each_configuration_is_explained_on_its_own_rows():
    """With missing cells, late fusion (which votes over the modalities a row
    has) saw more rows than early fusion, which cannot read those rows."""
    from sklearn_mmer import make_emotion_dataset, make_late_fusion

    data = make_emotion_dataset(
        n_samples=90,
        dims={"visual": 4, "acoustic": 4, "lexical": 4},
        missing_rate=0.2,
        random_state=0,
    )
    modalities = ["visual", "acoustic", "lexical"]
    configurations = {
        "early": make_early_fusion(modalities, classifier=LogisticRegression()),
        "late": make_late_fusion(modalities, classifier=LogisticRegression()),
    }
    X, y, groups = data.data, data.target, data.groups
    result = evaluate_configurations(
        configurations, X, y, groups=groups, cv=3, return_estimators=True
    )
    assert result.summary.loc["late", "n_rows"] > result.summary.loc["early", "n_rows"]
    importance = modality_importance(
        result, X, y, groups=groups, n_permutations=2, random_state=0
    )
    counts = importance.groupby(["configuration", "method"]).size()
    assert counts[("early", "permutation")] == counts[("late", "permutation")] == 9
    # Each fold's baseline is the configuration's own score on that fold.
    per_fold = result.per_fold.set_index(["configuration", "fold"])["f1_micro"]
    for row in importance.query("method == 'permutation'").itertuples():
        assert row.baseline == pytest.approx(per_fold[(row.configuration, row.fold)])
