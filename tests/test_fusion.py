import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score

from sklearn_mmer import (
    make_early_fusion,
    make_late_fusion,
    make_unimodal,
)
from sklearn_mmer.fusion import request_groups

MODALITIES = ["visual", "acoustic", "lexical"]
FAST = {"hidden_layer_sizes": (8,), "max_iter": 5, "device": "cpu", "random_state": 0}
BUILDERS = {
    "unimodal": lambda: make_unimodal("acoustic", **FAST),
    "early": lambda: make_early_fusion(MODALITIES, **FAST),
    "late": lambda: make_late_fusion(MODALITIES, **FAST),
}


# Few epochs on purpose: the tests need behaviour, not convergence.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize(
    "build",
    BUILDERS.values(),
    ids=BUILDERS.keys(),
)
def test_speaker_grouped_cross_validation(emotion_data, build):
    scores = cross_val_score(
        build(),
        emotion_data.data,
        emotion_data.target,
        groups=emotion_data.groups,
        cv=GroupKFold(5),
        scoring="f1_micro",
    )
    assert scores.shape == (5,)
    assert np.all((scores >= 0) & (scores <= 1))


def test_step_names_make_grid_searches_natural():
    unimodal = make_unimodal("visual")
    assert [name for name, _ in unimodal.steps] == [
        "select",
        "pool",
        "scale",
        "classifier",
    ]
    early = make_early_fusion(MODALITIES)
    assert early.get_params()["classifier__hidden_layer_sizes"] == (256, 128)
    assert early.get_params()["classifier__learning_rate_init"] == 5e-4
    late = make_late_fusion(MODALITIES, hidden_layer_sizes=(32,))
    late.set_params(visual__classifier__hidden_layer_sizes=(4,))
    assert late.get_params()["visual__classifier__hidden_layer_sizes"] == (4,)
    assert late.get_params()["lexical__classifier__hidden_layer_sizes"] == (32,)


def test_early_fusion_params_override_the_study_defaults():
    pipe = make_early_fusion(["acoustic"], hidden_layer_sizes=(8,))
    assert pipe.get_params()["classifier__hidden_layer_sizes"] == (8,)
    assert pipe.get_params()["classifier__learning_rate_init"] == 5e-4


def test_early_fusion_concatenates_modalities_in_order(emotion_data):
    pipe = make_early_fusion(["acoustic", "lexical"], **FAST).fit(
        emotion_data.data, emotion_data.target
    )
    names = pipe[:-1].get_feature_names_out()
    assert list(names[:2]) == ["acoustic_mean_0", "acoustic_mean_1"]
    assert len(names) == 6 + 10
    assert names[-1] == "lexical_mean_9"
    assert pipe[-1].n_features_in_ == 16


def test_grid_search_over_hidden_sizes_with_speaker_folds(emotion_data):
    pipe = make_early_fusion(["acoustic", "lexical"], **FAST)
    grid = {"classifier__hidden_layer_sizes": [(4,), (8, 4)]}
    search = GridSearchCV(pipe, grid, cv=GroupKFold(3), scoring="f1_micro")
    search.fit(emotion_data.data, emotion_data.target, groups=emotion_data.groups)
    assert (
        search.best_params_["classifier__hidden_layer_sizes"]
        in grid["classifier__hidden_layer_sizes"]
    )
    assert len(search.cv_results_["params"]) == 2
    assert search.predict(emotion_data.data).shape == emotion_data.target.shape


def test_hard_late_fusion_is_a_majority_vote_ties_to_the_first_class(emotion_data):
    X, y = emotion_data.data, emotion_data.target
    # Barely trained members disagree often, so three-way ties occur.
    vote = make_late_fusion(MODALITIES, **{**FAST, "max_iter": 1}).fit(X, y)
    member_votes = np.column_stack(
        [member.predict(X) for member in vote.estimators_]
    )  # labels as the ensemble encoded them
    counts = np.stack([(member_votes == c).sum(axis=1) for c in range(4)], axis=1)
    by_hand = np.argmax(counts, axis=1)  # argmax takes the first of tied classes
    ties = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    assert ties.any(), "the data should contain tied votes"
    np.testing.assert_array_equal(vote.predict(X), vote.classes_[by_hand])


def test_weights_break_ties_towards_the_trusted_modality(emotion_data):
    X, y = emotion_data.data, emotion_data.target
    vote = make_late_fusion(MODALITIES, weights=[1, 1, 1.5], **{**FAST, "max_iter": 1})
    vote.fit(X, y)
    lexical = vote.named_estimators_["lexical"].predict(X)
    others = np.column_stack(
        [vote.named_estimators_[m].predict(X) for m in MODALITIES[:2]]
    )
    undecided = others[:, 0] != others[:, 1]
    assert undecided.any()
    np.testing.assert_array_equal(
        vote.predict(X)[undecided], vote.classes_[lexical[undecided]]
    )


def test_soft_late_fusion_averages_probabilities(emotion_data):
    X, y = emotion_data.data, emotion_data.target
    vote = make_late_fusion(["acoustic", "lexical"], voting="soft", **FAST).fit(X, y)
    expected = np.mean([m.predict_proba(X) for m in vote.estimators_], axis=0)
    np.testing.assert_allclose(vote.predict_proba(X), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "build",
    BUILDERS.values(),
    ids=BUILDERS.keys(),
)
def test_clone_and_pickle_round_trips(emotion_data, build):
    X, y = emotion_data.data, emotion_data.target
    model = build()
    copy = clone(model)
    assert repr(copy.get_params()) == repr(model.get_params())
    model.fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_groups_reach_every_member_through_metadata_routing(emotion_data):
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    with sklearn.config_context(enable_metadata_routing=True):
        vote = request_groups(
            make_late_fusion(["acoustic", "lexical"], early_stopping=True, **FAST)
        )
        vote.fit(X, y, groups=groups)
    for member in vote.estimators_:
        classifier = member[-1]
        valid = classifier.validation_indices_
        train = np.setdiff1d(np.arange(len(y)), valid)
        assert set(groups[valid]).isdisjoint(groups[train])


def test_request_groups_asks_only_estimators_that_accept_groups():
    from sklearn.linear_model import LogisticRegression

    linear = LogisticRegression()
    with sklearn.config_context(enable_metadata_routing=True):
        assert request_groups(linear) is linear
        assert not linear.get_metadata_routing().consumes("fit", ["groups"])
        mixed = request_groups(
            make_late_fusion(
                ["acoustic", "lexical"],
                classifier={"lexical": LogisticRegression()},
                **FAST,
            )
        )
        network = mixed.named_estimators["acoustic"][-1].get_metadata_routing()
        linear = mixed.named_estimators["lexical"][-1].get_metadata_routing()
    assert network.consumes("fit", ["groups"]) == {"groups"}
    assert linear.consumes("fit", ["groups"]) == set()


@pytest.mark.parametrize(
    ("modalities", "error", "message"),
    [
        ([], ValueError, "at least one modality"),
        (["visual", "visual"], ValueError, "more than once"),
        (["face__left"], ValueError, "reserves"),
        ([3], TypeError, "column name"),
    ],
)
def test_builders_reject_bad_modality_lists(modalities, error, message):
    with pytest.raises(error, match=message):
        make_early_fusion(modalities)
    with pytest.raises(error, match=message):
        make_late_fusion(modalities)


def test_unknown_modality_fails_at_fit_with_the_columns_listed(emotion_data):
    with pytest.raises(ValueError, match="Unknown modality 'audio'"):
        make_unimodal("audio", **FAST).fit(emotion_data.data, emotion_data.target)


def test_documented_routing_recipe_for_cross_validation(emotion_data):
    """The user guide's recipe: routing on, groups in params, reach the splitter
    and every classifier, sliced to the training fold."""
    from sklearn.model_selection import cross_validate

    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    with sklearn.config_context(enable_metadata_routing=True):
        model = request_groups(
            make_late_fusion(["acoustic", "lexical"], early_stopping=True, **FAST)
        )
        result = cross_validate(
            model,
            X,
            y,
            cv=GroupKFold(3),
            params={"groups": groups},
            return_estimator=True,
            return_indices=True,
        )
    for fitted, train, test in zip(
        result["estimator"],
        result["indices"]["train"],
        result["indices"]["test"],
        strict=True,
    ):
        assert set(groups[train]).isdisjoint(groups[test])
        for member in fitted.estimators_:
            valid = train[member[-1].validation_indices_]
            assert set(groups[valid]).isdisjoint(groups[test])
            assert set(groups[valid]).isdisjoint(groups[np.setdiff1d(train, valid)])
