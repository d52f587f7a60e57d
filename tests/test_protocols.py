"""Metrics table, ranking metric, repeats, protocols and label names."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.pipeline import make_pipeline

from sklearn_mmer import (
    ModalitySelector,
    TemporalMeanPool,
    evaluate_configurations,
    make_emotion_dataset,
)
from sklearn_mmer.evaluation import METRIC_TABLE, METRICS


def linear(*modalities):
    """A fast sklearn configuration reading the given modalities."""
    return make_pipeline(
        ModalitySelector(list(modalities)),
        TemporalMeanPool(),
        LogisticRegression(max_iter=200),
    )


@pytest.fixture(scope="module")
def data():
    return make_emotion_dataset(
        n_samples=120, dims={"acoustic": 6, "lexical": 8}, random_state=0
    )


@pytest.fixture(scope="module")
def configurations():
    return {"acoustic": linear("acoustic"), "lexical": linear("lexical")}


@pytest.fixture(scope="module")
def repeated(data, configurations):
    return evaluate_configurations(
        configurations,
        data.data,
        data.target,
        groups=data.groups,
        cv=3,
        n_repeats=2,
        random_state=0,
        target_names=data.target_names,
    )


def test_every_table_reads_the_one_metrics_table(repeated):
    assert tuple(METRIC_TABLE) == METRICS
    assert {"WA", "UA"} <= {metric.title for metric in METRIC_TABLE.values()}
    assert set(METRICS) <= set(repeated.per_fold.columns)
    assert {f"{m}_mean" for m in METRICS} <= set(repeated.summary.columns)


def test_wa_is_accuracy_and_ua_the_mean_recall(repeated, data):
    predictions = repeated.predictions
    for (name, fold), rows in predictions.groupby(["configuration", "fold"]):
        scores = repeated.per_fold.set_index(["configuration", "fold"]).loc[
            (name, fold)
        ]
        assert scores["accuracy"] == pytest.approx(
            accuracy_score(rows["y_true"], rows["y_pred"])
        )
        assert scores["balanced_accuracy"] == pytest.approx(
            balanced_accuracy_score(rows["y_true"], rows["y_pred"])
        )


@pytest.mark.parametrize("scoring", ["UA", "f1_macro", "accuracy"])
def test_scoring_chooses_the_ranking_metric(data, configurations, scoring):
    result = evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups, cv=3,
        scoring=scoring,
    )  # fmt: skip
    column = {"UA": "balanced_accuracy"}.get(scoring, scoring) + "_mean"
    assert result.summary[column].is_monotonic_decreasing
    assert result.summary["rank"].tolist() == [1, 2]


def test_an_unknown_scoring_is_refused(data, configurations):
    with pytest.raises(ValueError, match=r"scoring='auc'.*f1_micro"):
        evaluate_configurations(
            configurations, data.data, data.target, groups=data.groups,
            scoring="auc",
        )  # fmt: skip


def test_repeats_double_the_fits_and_never_share_a_speaker(repeated, data):
    n_configurations = len(repeated.configurations)
    assert len(repeated.per_fold) == n_configurations * 3 * 2
    assert repeated.folds["repeat"].tolist() == [0, 0, 0, 1, 1, 1]
    groups = np.asarray(data.groups)
    for train, test in repeated.splits:
        assert not set(groups[train]) & set(groups[test])
    # Each repeat predicts every row once, and the repeats split differently.
    for _, rows in repeated.predictions.groupby(["configuration", "repeat"]):
        assert rows["row"].is_unique and len(rows) == len(data.target)
    held_out = [frozenset(g) for g in repeated.folds["test_groups"]]
    assert set(held_out[:3]) != set(held_out[3:])


def test_repeats_report_fold_and_repeat_spread(repeated):
    summary = repeated.summary
    for metric in METRICS:
        assert {f"{metric}_fold_std", f"{metric}_repeat_std"} <= set(summary.columns)
    per_fold = repeated.per_fold
    means = per_fold.groupby(["configuration", "repeat"])["f1_micro"].mean()
    expected = means.groupby(level=0).agg(lambda s: np.std(s))
    assert summary["f1_micro_repeat_std"].to_dict() == pytest.approx(expected.to_dict())


def test_later_repeats_shift_the_seeds():
    from sklearn_mmer import make_early_fusion
    from sklearn_mmer.evaluation._repeats import reseeded

    pipe = make_early_fusion(["acoustic", "lexical"], random_state=3)
    assert reseeded(pipe, 0) is pipe
    assert reseeded(pipe, 2).get_params()["classifier__random_state"] == 5
    assert pipe.get_params()["classifier__random_state"] == 3


def test_wrong_count_of_target_names_is_a_clear_error(data, configurations):
    y = (data.target > 1).astype(int)  # a 0/1 problem
    with pytest.raises(ValueError, match="target_names gives 1 name"):
        evaluate_configurations(
            configurations, data.data, y, groups=data.groups, cv=3,
            target_names=["negative"],
        )  # fmt: skip
    result = evaluate_configurations(
        configurations, data.data, y, groups=data.groups, cv=3,
        target_names=["negative", "positive"],
    )  # fmt: skip
    assert result.class_names == ["negative", "positive"]
    assert set(result.per_class["class"]) == {"negative", "positive"}
    unnamed = evaluate_configurations(
        configurations, data.data, y, groups=data.groups, cv=3
    )
    assert unnamed.class_names == ["0", "1"] and not unnamed.class_names_given


def test_loso_folds_hold_exactly_one_session_each(data, configurations):
    from sklearn_mmer.evaluation import describe_protocol, make_protocol

    result = evaluate_configurations(
        configurations, data.data, data.target, groups=data.sessions,
        cv=make_protocol("loso"),
    )  # fmt: skip
    held_out = result.folds["test_groups"].tolist()
    assert [len(sessions) for sessions in held_out] == [1] * 5
    assert sorted(s[0] for s in held_out) == sorted(set(data.sessions))
    sentence = describe_protocol(result, group="session")
    assert sentence.startswith("Leave-one-session-out cross-validation (5 folds")
    assert sentence.count(".") == 1  # one quotable sentence


def test_logo_leaves_one_speaker_out_and_repeats_keep_its_folds(data, configurations):
    from sklearn_mmer.evaluation import describe_protocol, make_protocol

    result = evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups,
        cv=make_protocol("logo"), n_repeats=2,
    )  # fmt: skip
    n_speakers = len(set(data.groups))
    assert len(result.splits) == 2 * n_speakers
    folds = result.folds["test_groups"].tolist()
    assert folds[:n_speakers] == folds[n_speakers:]
    assert "repeated 2 times with other network seeds" in describe_protocol(result)
    with pytest.raises(ValueError, match="protocol must be one of"):
        make_protocol("loocv")


def test_the_report_says_what_varied_between_repeats(data, configurations, tmp_path):
    from sklearn_mmer import write_report
    from sklearn_mmer.evaluation import make_protocol

    result = evaluate_configurations(
        configurations, data.data, data.target, groups=data.sessions,
        cv=make_protocol("loso"), n_repeats=2,
    )  # fmt: skip
    write_report(result, tmp_path, metadata={"group_by": "session"}, figures=False)
    report = (tmp_path / "report.md").read_text()
    assert "same folds and other network seeds (seed variance alone)" in report
    assert "Leave-one-session-out cross-validation (5 folds" in report
