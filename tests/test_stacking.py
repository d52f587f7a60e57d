"""make_stacking_fusion and GroupedStackingClassifier: inner folds by speaker."""

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_mmer import make_late_fusion, make_stacking_fusion, request_groups
from sklearn_mmer.fusion import GroupedStackingClassifier
from sklearn_mmer.fusion._stacking import _SoftVoteWeights

FAST = {"hidden_layer_sizes": (8,), "max_iter": 5, "device": "cpu", "random_state": 0}


class _SpeakerLog(ClassifierMixin, BaseEstimator):
    """Logs the speakers (column 0 of X) of every fit and every prediction."""

    log: list = []

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        self.classes_ = np.unique(y)
        self.log.append(("fit", set(X[:, 0])))
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        self.log.append(("predict", set(X[:, 0])))
        return np.full((len(X), len(self.classes_)), 1 / len(self.classes_))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class _RecordingGroupKFold(GroupKFold):
    """GroupKFold that remembers the groups each split call received."""

    received: list = []

    def split(self, X, y=None, groups=None):
        self.received.append(None if groups is None else np.asarray(groups))
        return super().split(X, y, groups)


@pytest.fixture
def speaker_data():
    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(8), 12)
    X = np.column_stack([speakers, rng.normal(size=(len(speakers), 3))])
    return X, np.tile([0, 1, 2], 32), speakers


def _inner_fits(log):
    """(training speakers, predicted speakers) of each inner fold, in order."""
    pairs, pending = [], None
    for kind, speakers in log:
        if kind == "fit":
            pending = speakers
        elif pending is not None:
            pairs.append((pending, speakers))
            pending = None
    return pairs


@pytest.mark.parametrize("cv", [3, GroupKFold(4)], ids=["int", "GroupKFold"])
def test_inner_folds_never_put_a_speaker_on_both_sides(speaker_data, cv):
    X, y, speakers = speaker_data
    _SpeakerLog.log = []
    stack = GroupedStackingClassifier(
        [("a", _SpeakerLog()), ("b", _SpeakerLog())], cv=cv
    ).fit(X, y, groups=speakers)
    inner = _inner_fits(_SpeakerLog.log)
    # Per member: the fit on all rows (no prediction follows it), then the folds.
    n_folds = cv if isinstance(cv, int) else cv.n_splits
    assert len(inner) == 2 * n_folds
    for trained_on, predicted in inner:
        assert trained_on.isdisjoint(predicted)
        assert trained_on | predicted == set(speakers)
    assert stack.final_estimator_.n_features_in_ == 2 * 3


def test_the_inner_splitter_receives_the_groups(speaker_data):
    X, y, speakers = speaker_data
    _RecordingGroupKFold.received = []
    GroupedStackingClassifier(
        [("a", LogisticRegression())], cv=_RecordingGroupKFold(3)
    ).fit(X, y, groups=speakers)
    # One split for all members, made from the groups given.
    assert len(_RecordingGroupKFold.received) == 1
    np.testing.assert_array_equal(_RecordingGroupKFold.received[0], speakers)


def test_a_splitter_that_ignores_groups_is_an_error(speaker_data):
    X, y, speakers = speaker_data
    stack = GroupedStackingClassifier([("a", LogisticRegression())], cv=KFold(3))
    with pytest.raises(ValueError, match=r"Inner fold 0 .* ignores groups"):
        stack.fit(X, y, groups=speakers)


def test_cross_validate_routes_groups_to_the_inner_folds(speaker_data):
    """The documented recipe: routing on, groups in params; the inner splitter
    gets the outer training part's groups."""
    X, y, speakers = speaker_data
    _RecordingGroupKFold.received = []
    stack = GroupedStackingClassifier(
        [("a", LogisticRegression())], cv=_RecordingGroupKFold(3)
    )
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            stack,
            X,
            y,
            cv=GroupKFold(4),
            params={"groups": speakers},
            return_indices=True,
        )
    received = _RecordingGroupKFold.received
    assert len(received) == 4
    for inner_groups, train in zip(received, result["indices"]["train"], strict=True):
        np.testing.assert_array_equal(inner_groups, speakers[train])


def test_members_that_ask_for_groups_get_them(emotion_data):
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    with sklearn.config_context(enable_metadata_routing=True):
        stack = request_groups(
            make_stacking_fusion(
                ["acoustic", "lexical"], cv=3, early_stopping=True, **FAST
            )
        )
        stack.fit(X, y, groups=groups)
    for member in stack.estimators_:
        valid = member[-1].validation_indices_
        train = np.setdiff1d(np.arange(len(y)), valid)
        assert set(groups[valid]).isdisjoint(groups[train])


def test_without_groups_it_stacks_as_sklearn_does(speaker_data):
    X, y, _ = speaker_data
    members = [("a", LogisticRegression()), ("b", LogisticRegression(C=0.1))]
    ours = GroupedStackingClassifier(members, cv=3).fit(X, y)
    theirs = sklearn.ensemble.StackingClassifier(members, cv=3).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))


def test_stacking_fusion_defaults(emotion_data):
    stack = make_stacking_fusion(["visual", "lexical"], classifier=LogisticRegression())
    assert stack.stack_method == "predict_proba"
    assert stack.cv == 5
    assert isinstance(stack.final_estimator, LogisticRegression)
    assert list(stack.named_estimators) == ["visual", "lexical"]
    assert stack.get_params()["lexical__classifier__C"] == 1.0


def test_grid_search_clone_and_pickle(emotion_data):
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    stack = make_stacking_fusion(
        ["acoustic", "lexical"], cv=3, classifier=LogisticRegression()
    )
    assert repr(clone(stack).get_params()) == repr(stack.get_params())
    grid = {"lexical__classifier__C": [0.01, 1.0], "final_estimator__C": [1.0]}
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(stack, grid, cv=GroupKFold(3))
        search.fit(X, y, groups=groups)
    assert search.best_params_["lexical__classifier__C"] in (0.01, 1.0)
    loaded = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(loaded.predict(X), search.predict(X))


def test_soft_vote_with_learned_weights_trusts_the_informative_modality(
    emotion_data,
):
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    noise = np.random.default_rng(0).normal(size=(len(X), 4))
    X = X.assign(noise=list(noise))
    vote = make_late_fusion(
        ["noise", "lexical"],
        voting="soft",
        weights="auto",
        classifier=LogisticRegression(),
    )
    assert isinstance(vote, GroupedStackingClassifier)
    vote.fit(X, y, groups=groups)
    weights = vote.final_estimator_.weights_
    assert weights.shape == (2,) and np.isclose(weights.sum(), 1.0)
    assert weights[1] > 0.7  # lexical carries the emotion; noise does not
    members = np.stack([m.predict_proba(X) for m in vote.estimators_], axis=1)
    np.testing.assert_allclose(
        vote.predict_proba(X), np.einsum("nmk,m->nk", members, weights)
    )


def test_learned_weights_need_a_soft_vote():
    with pytest.raises(ValueError, match="pass voting='soft'"):
        make_late_fusion(["acoustic", "lexical"], weights="auto")


def test_learned_weights_for_two_classes(speaker_data):
    X, _, speakers = speaker_data
    y = (X[:, 1] > 0).astype(int)  # column 1 decides
    vote = GroupedStackingClassifier(
        [
            ("decisive", make_pipeline(ColumnTransformer([("c", "passthrough", [1])]),
                                       LogisticRegression())),
            ("noise", make_pipeline(ColumnTransformer([("c", "passthrough", [2])]),
                                    LogisticRegression())),
        ],
        final_estimator=_SoftVoteWeights(),
        stack_method="predict_proba",
        cv=4,
    ).fit(X, y, groups=speakers)  # fmt: skip
    assert vote.final_estimator_.weights_[0] > 0.7
    assert vote.predict_proba(X).shape == (len(y), 2)


def test_the_comparison_groups_the_inner_folds(emotion_data):
    from sklearn_mmer import evaluate_configurations

    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    _RecordingGroupKFold.received = []
    stack = make_stacking_fusion(
        ["acoustic", "lexical"],
        cv=_RecordingGroupKFold(2),
        classifier=LogisticRegression(),
    )
    result = evaluate_configurations({"stacking": stack}, X, y, groups=groups, cv=3)
    received = _RecordingGroupKFold.received
    assert len(received) == 3
    for inner_groups, (train, _) in zip(received, result.splits, strict=True):
        np.testing.assert_array_equal(inner_groups, groups[train])
