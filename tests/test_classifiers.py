"""Any scikit-learn classifier in every builder (issue 13)."""

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
from sklearn.svm import SVC, LinearSVC

from sklearn_mmer import (
    TorchMLPClassifier,
    make_early_fusion,
    make_late_fusion,
    make_stacking_fusion,
    make_unimodal,
    request_groups,
)

MODALITIES = ["acoustic", "lexical"]
FAST = {"hidden_layer_sizes": (8,), "max_iter": 30, "device": "cpu", "random_state": 0}
CLASSIFIERS = {
    "logreg": lambda: LogisticRegression(),
    # SVC(probability=True) is deprecated since scikit-learn 1.9 for this.
    "svc": lambda: CalibratedClassifierCV(SVC(), ensemble=False),
    "hgb": lambda: HistGradientBoostingClassifier(max_iter=5, random_state=0),
    "network": lambda: TorchMLPClassifier(**FAST),
}
BUILDERS = {
    "unimodal": lambda c: make_unimodal("lexical", classifier=c),
    "early": lambda c: make_early_fusion(MODALITIES, classifier=c),
    "late": lambda c: make_late_fusion(MODALITIES, classifier=c),
    "soft": lambda c: make_late_fusion(MODALITIES, voting="soft", classifier=c),
    "stacking": lambda c: make_stacking_fusion(MODALITIES, cv=3, classifier=c),
}


# Few epochs on purpose: the tests need behaviour, not convergence.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _final_classifiers(model):
    if hasattr(model, "estimators"):
        return [member[-1] for _, member in model.estimators]
    return [model[-1]]


@pytest.mark.parametrize("classifier", CLASSIFIERS.values(), ids=CLASSIFIERS.keys())
@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_every_builder_takes_any_classifier(emotion_data, build, classifier):
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    model = build(classifier())
    assert all(
        repr(c.get_params()) == repr(classifier().get_params())
        for c in _final_classifiers(model)
    )
    fit_params = {"groups": groups} if "Stacking" in type(model).__name__ else {}
    model.fit(X, y, **fit_params)
    assert set(model.predict(X)) <= set(y)
    # Above chance on its own training rows: the classifier really learned.
    assert np.mean(model.predict(X) == y) > 0.3


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_clone_and_pickle_with_a_classical_classifier(emotion_data, build):
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    model = build(LogisticRegression(C=0.5))
    copy = clone(model)
    assert repr(copy.get_params()) == repr(model.get_params())
    fit_params = {"groups": groups} if "Stacking" in type(model).__name__ else {}
    model.fit(X, y, **fit_params)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize(
    ("build", "param"),
    [
        (BUILDERS["unimodal"], "classifier__C"),
        (BUILDERS["early"], "classifier__C"),
        (BUILDERS["late"], "lexical__classifier__C"),
    ],
    ids=["unimodal", "early", "late"],
)
def test_grid_search_over_the_classifier_s_C(emotion_data, build, param):
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    search = GridSearchCV(
        build(LogisticRegression()), {param: [1e-4, 1.0]}, cv=GroupKFold(3)
    )
    search.fit(X, y, groups=groups)
    assert len(search.cv_results_["params"]) == 2
    # Such strong regularisation predicts near chance: the search must notice.
    assert search.best_params_[param] == 1.0


def test_late_fusion_members_get_their_own_copy():
    shared = LogisticRegression(C=0.5)
    vote = make_late_fusion(MODALITIES, classifier=shared)
    vote.set_params(lexical__classifier__C=2.0)
    assert vote.get_params()["acoustic__classifier__C"] == 0.5
    assert shared.C == 0.5
    assert len({id(c) for c in _final_classifiers(vote)}) == 2


def test_one_classifier_per_modality_others_get_the_network():
    vote = make_late_fusion(
        ["visual", *MODALITIES],
        classifier={"lexical": SVC(), "acoustic": LogisticRegression()},
        hidden_layer_sizes=(16,),
    )
    kinds = {name: type(member[-1]) for name, member in vote.estimators}
    assert kinds == {
        "visual": TorchMLPClassifier,
        "acoustic": LogisticRegression,
        "lexical": SVC,
    }
    assert vote.get_params()["visual__classifier__hidden_layer_sizes"] == (16,)


def test_early_fusion_network_defaults_only_for_the_network():
    pipe = make_early_fusion(MODALITIES, classifier=LogisticRegression())
    assert "classifier__hidden_layer_sizes" not in pipe.get_params()


@pytest.mark.parametrize(
    "build",
    [
        lambda: make_unimodal("lexical", classifier=SVC(), max_iter=5),
        lambda: make_early_fusion(MODALITIES, classifier=SVC(), max_iter=5),
        lambda: make_late_fusion(MODALITIES, classifier=SVC(), max_iter=5),
        lambda: make_stacking_fusion(
            MODALITIES, classifier=LogisticRegression(), max_iter=5
        ),
    ],
    ids=["unimodal", "early", "late", "stacking"],
)
def test_classifier_and_network_parameters_together_is_an_error(build):
    with pytest.raises(TypeError, match=r"network parameters \['max_iter'\]"):
        build()


def test_bad_classifiers_are_clear_errors():
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(TypeError, match="must be a scikit-learn classifier"):
        make_unimodal("lexical", classifier=StandardScaler())
    with pytest.raises(ValueError, match=r"modalities \['audio'\] that are not"):
        make_late_fusion(MODALITIES, classifier={"audio": SVC()})


@pytest.mark.parametrize(
    "build",
    [
        lambda c: make_late_fusion(MODALITIES, voting="soft", classifier=c),
        lambda c: make_stacking_fusion(MODALITIES, classifier=c),
    ],
    ids=["soft_vote", "stacking"],
)
def test_a_classifier_without_probabilities_is_a_clear_error(build):
    with pytest.raises(TypeError) as error:
        build({"lexical": LinearSVC()})
    message = str(error.value)
    assert "'lexical'" in message and "LinearSVC()" in message
    assert "CalibratedClassifierCV(SVC(), ensemble=False)" in message
    assert "SVC(probability=True)" in message  # before scikit-learn 1.9
    # The remedy named in the message does work.
    build({"lexical": CalibratedClassifierCV(LinearSVC(), ensemble=False)})


def test_groups_reach_only_the_classifiers_that_take_them(emotion_data):
    """Under routing, a mix of network and classical members cross-validates:
    the network validates on held-out speakers, the linear model is not sent
    groups (it would raise if it were)."""
    X, y, groups = emotion_data.data, emotion_data.target, emotion_data.groups
    with sklearn.config_context(enable_metadata_routing=True):
        model = request_groups(
            make_late_fusion(
                MODALITIES,
                classifier={"lexical": LogisticRegression()},
                early_stopping=True,
                **FAST,
            )
        )
        result = cross_validate(
            model, X, y, cv=GroupKFold(3), params={"groups": groups},
            return_estimator=True, return_indices=True,
        )  # fmt: skip
    for fitted, train in zip(
        result["estimator"], result["indices"]["train"], strict=True
    ):
        network = fitted.named_estimators_["acoustic"][-1]
        valid = train[network.validation_indices_]
        assert set(groups[valid]).isdisjoint(groups[np.setdiff1d(train, valid)])
