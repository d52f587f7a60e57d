import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import StackingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import make_pipeline

from sklearn_mmer import (
    ComparisonResult,
    evaluate_configurations,
    make_configurations,
    make_early_fusion,
    make_emotion_dataset,
    make_late_fusion,
    make_unimodal,
)
from sklearn_mmer.evaluation._reuse import reusable_votes
from sklearn_mmer.fusion import request_groups
from sklearn_mmer.fusion._inspect import (
    pools_before_reading,
    required_columns,
    torch_classifiers,
)
from sklearn_mmer.preprocessing import TemporalMeanPool

DIMS = {"visual": 16, "acoustic": 8, "lexical": 12}
MODALITIES = list(DIMS)


@pytest.fixture(scope="module")
def data():
    return make_emotion_dataset(
        n_samples=120, dims=DIMS, missing_rate=0.1, random_state=0
    )


@pytest.fixture(scope="module")
def result(data):
    configurations = make_configurations(
        MODALITIES, max_iter=4, early_stopping=True, random_state=0
    )
    return evaluate_configurations(
        configurations,
        data.data,
        data.target,
        groups=data.groups,
        cv=3,
        target_names=data.target_names,
        return_estimators=True,
    )


def _missing(cell):
    return cell is None


def test_result_tables_have_one_row_per_configuration_and_fold(result):
    assert isinstance(result, ComparisonResult)
    names = ["visual", "acoustic", "lexical", "early", "late"]
    assert set(result.summary.index) == set(names)
    assert len(result.per_fold) == len(names) * 3
    assert len(result.per_class) == len(names) * 3 * 4
    assert set(result.confusion_matrices) == set(names)
    assert result.confusion_matrices["early"].shape == (3, 4, 4)
    assert result.class_names == ["anger", "sadness", "happiness", "neutral"]
    assert {"f1_micro", "f1_macro", "balanced_accuracy", "fit_time"} <= set(
        result.per_fold.columns
    )


def test_summary_is_mean_and_std_over_folds_ranked_by_f1_micro(result):
    per_fold = result.per_fold.groupby("configuration")
    for metric in ("f1_micro", "f1_macro", "balanced_accuracy", "fit_time"):
        mean = per_fold[metric].mean()
        std = per_fold[metric].agg(lambda s: np.std(s))
        np.testing.assert_allclose(
            result.summary[f"{metric}_mean"], mean[result.summary.index]
        )
        np.testing.assert_allclose(
            result.summary[f"{metric}_std"], std[result.summary.index]
        )
    means = result.summary["f1_micro_mean"].to_numpy()
    assert (np.diff(means) <= 0).all()
    assert result.summary["rank"].iloc[0] == 1
    assert result.best_configuration == result.summary.index[0]


def test_every_configuration_sees_the_same_rows_and_folds(result):
    by_configuration = {
        name: set(zip(group["fold"], group["row"], strict=True))
        for name, group in result.predictions.groupby("configuration")
    }
    reference = by_configuration["visual"]
    strict = ["visual", "acoustic", "lexical", "early"]
    assert all(by_configuration[name] == reference for name in strict)
    n_test = result.per_fold.groupby("configuration")["n_test"].apply(list)
    assert len({tuple(n_test[name]) for name in strict}) == 1
    # Late fusion votes over the modalities a row has: it also sees the rows
    # with missing cells, and its fold k holds the others' fold k.
    assert by_configuration["late"] > reference


def test_rows_missing_a_needed_modality_are_left_out_and_listed(data, result):
    missing = data.data.map(_missing)
    incomplete = set(data.data.index[missing.any(axis=1)])
    assert incomplete, "the fixture should have missing cells"
    strict = result.predictions.query("configuration != 'late'")
    assert incomplete.isdisjoint(strict["row"])
    used = len(data.data) - len(incomplete)
    assert strict.groupby("configuration").size().eq(used).all()
    # Late fusion uses every row with a modality: lexical is never missing,
    # so no row is left out of the whole comparison.
    assert result.excluded.empty
    late = result.predictions.query("configuration == 'late'")
    assert set(late["row"]) == set(data.data.index)


def test_rows_no_configuration_can_use_are_listed(data):
    X = data.data.copy()
    X.loc[X.index[:2], "visual"] = None
    X.loc[X.index[3], "lexical"] = None
    result = evaluate_configurations(
        make_configurations(MODALITIES, include=["lexical"], max_iter=2),
        X,
        data.target,
        groups=data.groups,
        cv=2,
    )
    assert X.index[3] in result.excluded.index
    row = result.excluded.loc[X.index[3]]
    assert row["missing"] in row["reason"]


def test_only_the_modalities_a_configuration_reads_can_exclude_rows(data):
    lexical = make_configurations(MODALITIES, include=["lexical"], max_iter=2)
    result = evaluate_configurations(
        lexical, data.data, data.target, groups=data.groups, cv=2
    )
    # Only visual and acoustic cells are ever missing in the demo data.
    assert result.excluded.empty
    assert result.predictions["row"].nunique() == len(data.data)


def test_folds_are_speaker_independent(data, result):
    # An int cv means GroupKFold, and the result records that splitter.
    assert isinstance(result.cv, GroupKFold) and result.cv.n_splits == 3
    used = data.groups[
        np.setdiff1d(np.arange(len(data.groups)), result.excluded.position)
    ]
    for fold, (train, test) in enumerate(result.splits):
        assert set(used[train]).isdisjoint(used[test])
        assert result.folds.loc[fold, "test_groups"] == sorted(set(used[test]))


@pytest.mark.filterwarnings("ignore:The groups parameter is ignored")
def test_a_splitter_that_mixes_speakers_is_refused(data):
    configurations = make_configurations(["lexical"], max_iter=2)
    with pytest.raises(ValueError, match="speaker-independent"):
        evaluate_configurations(
            configurations,
            data.data,
            data.target,
            groups=data.groups,
            cv=KFold(3, shuffle=True, random_state=0),
        )


def test_groups_reach_every_classifier_for_early_stopping(data, result):
    used_rows = np.setdiff1d(np.arange(len(data.groups)), result.excluded.position)
    used = data.groups[used_rows]
    for name, estimators in result.estimators.items():
        own = result.rows_used[name].to_numpy()
        for (all_train, _), fitted in zip(result.splits, estimators, strict=True):
            train = all_train[own[all_train]]
            # A late-fusion member trains on the rows that have its modality.
            members = (
                zip(
                    fitted.estimators_,
                    fitted.members_present(data.data.iloc[used_rows[train]]).T,
                    strict=True,
                )
                if name == "late"
                else [(fitted, np.ones(len(train), dtype=bool))]
            )
            fitted_ones = [
                (c, rows)
                for member, rows in members
                for c in torch_classifiers(member)
                if hasattr(c, "validation_indices_")
            ]
            assert fitted_ones, name
            for classifier, rows in fitted_ones:
                train_groups = used[train][rows]
                valid = classifier.validation_indices_
                rest = np.setdiff1d(np.arange(len(train_groups)), valid)
                # A speaker-disjoint split: only groups can make it so.
                assert set(train_groups[valid]).isdisjoint(train_groups[rest]), name


def test_the_global_sklearn_config_is_left_alone(result):
    assert sklearn.get_config()["enable_metadata_routing"] is False


def test_the_given_configurations_are_not_fitted(data):
    configurations = make_configurations(["lexical"], max_iter=2)
    evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups, cv=2
    )
    assert not hasattr(configurations["lexical"][-1], "classes_")


def test_non_torch_estimators_and_plain_arrays_work(data):
    X = TemporalMeanPool().fit_transform(data.data[["lexical"]])
    result = evaluate_configurations(
        {"majority": DummyClassifier(), "dummy pipe": make_pipeline(DummyClassifier())},
        X,
        data.target,
        groups=data.groups,
        cv=GroupKFold(2),
    )
    assert result.excluded.empty
    assert result.per_fold["device"].eq("").all()
    assert result.summary.loc["majority", "f1_micro_mean"] > 0.2


def test_string_labels_are_kept(data):
    y = data.target_names[data.target]
    result = evaluate_configurations(
        make_configurations(["lexical"], max_iter=2),
        data.data,
        y,
        groups=data.groups,
        cv=2,
    )
    assert result.class_names == sorted(set(y))
    assert set(result.predictions["y_pred"]) <= set(y)


def test_a_failing_fit_names_its_configuration_and_fold(data):
    bad = make_unimodal("lexical", hidden_layer_sizes=(4,), max_iter=2)
    bad.set_params(classifier__device="no-such-device")
    with pytest.raises(ValueError) as info:
        evaluate_configurations(
            {"broken": bad}, data.data, data.target, groups=data.groups, cv=2
        )
    assert "'broken' on fold 0" in " ".join(info.value.__notes__)


@pytest.mark.parametrize(
    "configurations, message",
    [({}, "No configurations"), ({"x": TemporalMeanPool()}, "not a classifier")],
)
def test_bad_configurations_are_refused(data, configurations, message):
    with pytest.raises((ValueError, TypeError), match=message):
        evaluate_configurations(
            configurations, data.data, data.target, groups=data.groups
        )


def test_all_rows_missing_is_an_error():
    X = pd.DataFrame({"acoustic": [None] * 6})
    with pytest.raises(ValueError, match="nothing to evaluate"):
        evaluate_configurations(
            {"acoustic": make_unimodal("acoustic")},
            X,
            [0, 1] * 3,
            groups=list("aabbcc"),
        )


class ThreadProbe(ClassifierMixin, BaseEstimator):
    """Predicts the majority class and notes torch's thread count in fit."""

    def fit(self, X, y):
        self.threads_ = torch.get_num_threads()
        values, counts = np.unique(y, return_counts=True)
        self.classes_, self.majority_ = values, values[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def test_parallel_runs_give_the_same_scores_without_oversubscribing(data):
    configurations = {
        **make_configurations(["acoustic", "lexical"], include=["lexical", "early"],
                              max_iter=3, random_state=0),
        "probe": ThreadProbe(),
    }  # fmt: skip
    kwargs = dict(groups=data.groups, cv=2, return_estimators=True)
    serial = evaluate_configurations(configurations, data.data, data.target, **kwargs)
    parallel = evaluate_configurations(
        configurations, data.data, data.target, n_jobs=2, **kwargs
    )
    columns = ["f1_micro", "f1_macro", "balanced_accuracy"]
    pd.testing.assert_frame_equal(
        serial.per_fold[columns], parallel.per_fold[columns], atol=0.02
    )
    expected = max(1, __import__("joblib").cpu_count() // 2)
    assert {p.threads_ for p in parallel.estimators["probe"]} == {expected}


def test_make_configurations_adapts_to_the_modalities():
    assert list(make_configurations(["acoustic", "lexical"])) == [
        "acoustic",
        "lexical",
        "early",
        "late",
    ]
    assert list(make_configurations(["lexical"])) == ["lexical"]
    soft = make_configurations(["a", "b"], include=["late"], voting="soft")["late"]
    assert soft.voting == "soft"
    early = make_configurations(["a", "b"], include="early", max_iter=7)["early"]
    assert early.get_params()["classifier__max_iter"] == 7


def test_make_configurations_explains_what_cannot_be_built():
    with pytest.raises(ValueError, match="Fusion needs at least two"):
        make_configurations(["lexical"], include=["early"])
    with pytest.raises(ValueError, match="available"):
        make_configurations(["a", "b"], include=["visual"])
    with pytest.raises(ValueError, match="at least one modality"):
        make_configurations([])


def test_required_columns_follow_the_selections():
    columns = ["visual", "acoustic", "lexical"]
    assert required_columns(make_unimodal("lexical"), columns) == ["lexical"]
    early = make_early_fusion(["visual", "lexical"])
    assert required_columns(early, columns) == ["visual", "lexical"]
    late = make_late_fusion(["acoustic", "lexical"])
    assert required_columns(late, columns) == ["acoustic", "lexical"]
    # Nothing selected by name: every column counts.
    assert required_columns(DummyClassifier(), columns) == columns


def test_pooling_and_reuse_change_no_prediction(data, result):
    """The engine pools frames once before the folds and assembles late fusion
    from the unimodal models it fitted where that is exact; refitting every
    configuration on every fold from the raw frames, on its own rows, must
    give the very same predictions."""
    X, y, groups = data.data, data.target, data.groups
    for name, estimator in result.configurations.items():
        own = result.rows_used[name].to_numpy()
        for fold, (all_train, all_test) in enumerate(result.splits):
            train, test = all_train[own[all_train]], all_test[own[all_test]]
            with sklearn.config_context(enable_metadata_routing=True):
                model = request_groups(clone(estimator))
                model.fit(X.iloc[train], y[train], groups=groups[train])
            predictions = result.predictions
            chosen = (predictions["configuration"] == name) & (
                predictions["fold"] == fold
            )
            expected = predictions.loc[chosen, "y_pred"].to_numpy()
            np.testing.assert_array_equal(model.predict(X.iloc[test]), expected)


class _ReadsFrames(ClassifierMixin, BaseEstimator):
    pass


@pytest.mark.parametrize(
    ("estimator", "expected"),
    [
        (make_unimodal("visual"), True),
        (make_early_fusion(MODALITIES), True),
        (make_late_fusion(MODALITIES), True),
        (TemporalMeanPool(), True),
        (make_pipeline(_ReadsFrames()), False),
        (_ReadsFrames(), False),
        (
            StackingClassifier(
                [("v", make_unimodal("visual"))], passthrough=True, cv=2
            ),
            False,
        ),
        (StackingClassifier([("v", make_unimodal("visual"))], cv=2), True),
    ],
)
def test_pooling_up_front_only_where_every_path_pools(estimator, expected):
    assert pools_before_reading(estimator) is expected


def test_late_fusion_reuses_the_unimodal_models_of_its_fold(data):
    complete = data.data.notna().all(axis=1).to_numpy()
    X, y, groups = data.data[complete], data.target[complete], data.groups[complete]
    configurations = make_configurations(MODALITIES, max_iter=2, random_state=0)
    del configurations["early"]
    assert reusable_votes(configurations) == {"late": {m: m for m in MODALITIES}}
    result = evaluate_configurations(
        configurations, X, y, groups=groups, cv=3, return_estimators=True
    )
    per_fold = result.per_fold.set_index(["configuration", "fold"])["fit_time"]
    for fold in range(len(result.splits)):
        members = sum(per_fold[(m, fold)] for m in MODALITIES)
        # The vote's own set-up costs next to nothing.
        assert members <= per_fold[("late", fold)] < members + 0.5
        vote = result.estimators["late"][fold]
        for member, frozen in vote.named_estimators_.items():
            assert frozen.estimator is result.estimators[member][fold]


def test_with_missing_cells_late_fusion_reuses_only_the_exact_members(data, result):
    """The vote trains each member on the rows with its modality; the
    stand-alone models share the complete rows. A member whose rows differ
    is trained inside the vote, not taken from its stand-alone model."""
    assert result.excluded.empty
    late = result.rows_used["late"].to_numpy()
    n_frozen = 0
    for fold, (all_train, _) in enumerate(result.splits):
        train = all_train[late[all_train]]
        vote = result.estimators["late"][fold]
        present = vote.members_present(data.data.iloc[train])
        for j, (member, fitted) in enumerate(vote.named_estimators_.items()):
            frozen = isinstance(fitted, FrozenEstimator)
            pipeline = fitted.estimator if frozen else fitted
            assert pipeline.named_steps["scale"].n_samples_seen_ == present[:, j].sum()
            alone = result.rows_used[member].to_numpy()
            exact = np.array_equal(train[present[:, j]], all_train[alone[all_train]])
            assert frozen == exact, (member, fold)
            n_frozen += frozen
    # Lexical is never missing: its member always trains on more rows than
    # the stand-alone lexical model, so it is never reused.
    assert n_frozen < len(result.splits) * len(MODALITIES)


def test_only_identical_members_are_reused():
    configurations = make_configurations(MODALITIES, max_iter=3, random_state=0)
    configurations["late"].set_params(visual__classifier__max_iter=4)
    assert reusable_votes(configurations) == {}
    assert reusable_votes({"late": make_late_fusion(MODALITIES)}) == {}


def test_string_labels_fit_the_vote_as_usual(data):
    y = data.target_names[data.target]
    configurations = make_configurations(["acoustic", "lexical"], max_iter=2)
    result = evaluate_configurations(
        configurations, data.data, y, groups=data.groups, cv=2, return_estimators=True
    )
    assert set(result.predictions["y_pred"]) <= set(y)
    vote = result.estimators["late"][0]
    assert not any(isinstance(m, FrozenEstimator) for m in vote.estimators_)
