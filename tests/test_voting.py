"""Late fusion that votes over the modalities each row has."""

import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_mmer import (
    PresentModalityVotingClassifier,
    evaluate_configurations,
    make_emotion_dataset,
    make_late_fusion,
    make_stacking_fusion,
    make_unimodal,
)
from sklearn_mmer.evaluation._rows import tolerates_missing_cells
from sklearn_mmer.fusion import GroupedStackingClassifier, request_groups
from sklearn_mmer.report import write_report

MODALITIES = ["visual", "acoustic", "lexical"]
FAST = {"hidden_layer_sizes": (8,), "max_iter": 3, "device": "cpu", "random_state": 0}


# Few epochs on purpose: the tests need behaviour, not convergence.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def gappy():
    """The demo data with a third of the visual cells and some acoustic ones gone."""
    data = make_emotion_dataset(
        n_samples=160,
        dims={"visual": 12, "acoustic": 6, "lexical": 10},
        random_state=0,
    )
    X = data.data.copy()
    rng = np.random.default_rng(0)
    X.loc[rng.uniform(size=len(X)) < 0.3, "visual"] = None
    X.loc[X.index[[3, 7, 11]], "acoustic"] = np.nan
    data.data = X
    return data


def _constant(k):
    return DummyClassifier(strategy="constant", constant=k)


def _constant_members(weights=None, voting="hard"):
    """Visual always says class 0, acoustic 1, lexical 2 (encoded labels)."""
    members = [
        (m, make_unimodal(m, classifier=_constant(k))) for k, m in enumerate(MODALITIES)
    ]
    return PresentModalityVotingClassifier(members, voting=voting, weights=weights)


@pytest.mark.parametrize("voting", ["hard", "soft"])
@pytest.mark.parametrize("weights", [None, [1, 2, 1.5]])
@pytest.mark.parametrize("classifier", ["network", "linear"])
def test_complete_data_gives_exactly_votingclassifier(
    emotion_data, voting, weights, classifier
):
    X, y = emotion_data.data, emotion_data.target_names[emotion_data.target]
    params = FAST if classifier == "network" else {"classifier": LogisticRegression()}
    ours = make_late_fusion(MODALITIES, voting, weights, **params)
    assert isinstance(ours, PresentModalityVotingClassifier)
    theirs = VotingClassifier(clone(ours).estimators, voting=voting, weights=weights)
    ours.fit(X, y)
    theirs.fit(X, y)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
    if voting == "soft":
        np.testing.assert_array_equal(ours.predict_proba(X), theirs.predict_proba(X))
    else:
        assert not hasattr(ours, "predict_proba")


def test_each_row_is_voted_on_by_the_modalities_it_has(emotion_data):
    X, y = emotion_data.data.iloc[:40].copy(), emotion_data.target[:40] % 3
    X.loc[X.index[0], "visual"] = None  # acoustic (1) and lexical (2) tie
    X.loc[X.index[1], ["visual", "acoustic"]] = None  # lexical alone: 2
    hard = _constant_members().fit(X, y)
    predicted = hard.predict(X)
    assert predicted[0] == 1  # a tie goes to the first class, as in sklearn
    assert predicted[1] == 2
    assert (predicted[2:] == 0).all()  # a three-way tie: 0
    weighted = _constant_members(weights=[1, 2, 3]).fit(X, y).predict(X)
    assert weighted.tolist()[:3] == [2, 2, 2]
    soft = _constant_members(weights=[3, 2, 1], voting="soft").fit(X, y)
    proba = soft.predict_proba(X)
    np.testing.assert_allclose(proba[0], [0, 2 / 3, 1 / 3])  # renormalised
    np.testing.assert_allclose(proba[1], [0, 0, 1])
    np.testing.assert_allclose(proba[2], [3 / 6, 2 / 6, 1 / 6])
    # NaN marks a member that does not vote on a row.
    votes = hard.transform(X)
    assert np.isnan(votes[1, :2]).all() and votes[1, 2] == 2
    assert np.isnan(soft.transform(X)[0, :3]).all()


def test_each_member_is_fitted_on_the_rows_with_its_modality(gappy):
    X, y = gappy.data, gappy.target
    vote = make_late_fusion(MODALITIES, classifier=LogisticRegression()).fit(X, y)
    for name, member in vote.named_estimators_.items():
        assert member.named_steps["scale"].n_samples_seen_ == X[name].notna().sum()
    np.testing.assert_array_equal(vote.members_present(X), X[MODALITIES].notna())
    assert vote.predict(X).shape == (len(X),)
    # A row's prediction does not depend on the rows it is predicted with.
    for row in (0, 3, 5):
        assert vote.predict(X.iloc[[row]])[0] == vote.predict(X)[row]


def test_a_member_whose_rows_lack_a_class_gets_no_say_on_it(emotion_data):
    X, y = emotion_data.data.iloc[:80].copy(), emotion_data.target[:80]
    X.loc[y == 3, "visual"] = None  # the visual member never sees class 3
    vote = make_late_fusion(
        ["visual", "lexical"], voting="soft", classifier=LogisticRegression()
    ).fit(X, y)
    assert len(vote.named_estimators_["visual"].classes_) == 3
    proba = vote.predict_proba(X)
    assert proba.shape == (80, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    lexical = vote.named_estimators_["lexical"].predict_proba(X)
    # Without video, lexical decides alone; with it, visual adds nothing to
    # class 3 (it never saw it) and half its say to the other classes.
    np.testing.assert_allclose(proba[y == 3], lexical[y == 3], rtol=1e-6)
    np.testing.assert_allclose(proba[y != 3, 3], lexical[y != 3, 3] / 2, rtol=1e-6)


def test_a_row_with_no_modality_is_an_error_naming_it(emotion_data):
    X, y = emotion_data.data.iloc[:40].copy(), emotion_data.target[:40]
    vote = make_late_fusion(["visual", "acoustic"], classifier=LogisticRegression())
    fitted = clone(vote).fit(X, y)
    X.loc[X.index[7], ["visual", "acoustic"]] = None
    message = rf"row {X.index[7]!r} \(position 7\).*\['visual', 'acoustic'\]"
    with pytest.raises(ValueError, match=message):
        vote.fit(X, y)
    with pytest.raises(ValueError, match=message):
        fitted.predict(X)


def test_a_member_with_no_row_to_learn_from_is_an_error(emotion_data):
    X, y = emotion_data.data.iloc[:40].copy(), emotion_data.target[:40]
    X["visual"] = None
    vote = make_late_fusion(MODALITIES, classifier=LogisticRegression())
    with pytest.raises(ValueError, match=r"member\(s\) \['visual'\]"):
        vote.fit(X, y)
    vote.set_params(visual="drop").fit(X, y)
    assert vote.members_present(X).shape == (40, 2)


def test_arrays_have_no_missing_modalities():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), np.arange(30) % 3
    vote = PresentModalityVotingClassifier(
        [("a", LogisticRegression()), ("b", LogisticRegression(C=0.1))]
    ).fit(X, y)
    assert vote.members_present(X).all()


def test_tags_say_it_tolerates_missing_cells():
    assert tolerates_missing_cells(make_late_fusion(MODALITIES))
    # The learned weights come from a stacked model, which needs every cell.
    learned = make_late_fusion(MODALITIES, voting="soft", weights="auto")
    assert isinstance(learned, GroupedStackingClassifier)
    assert not tolerates_missing_cells(learned)
    assert not tolerates_missing_cells(make_stacking_fusion(MODALITIES))


def test_clone_and_pickle_with_missing_cells(gappy):
    X, y = gappy.data, gappy.target
    vote = make_late_fusion(MODALITIES, voting="soft", **FAST)
    copy = clone(vote)
    assert repr(copy.get_params()) == repr(vote.get_params())
    vote.fit(X, y)
    assert not hasattr(copy, "estimators_")
    loaded = pickle.loads(pickle.dumps(vote))
    np.testing.assert_array_equal(loaded.predict_proba(X), vote.predict_proba(X))


def test_grid_search_with_groups_on_rows_with_missing_cells(gappy):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    with sklearn.config_context(enable_metadata_routing=True):
        vote = request_groups(make_late_fusion(MODALITIES, early_stopping=True, **FAST))
        search = GridSearchCV(
            vote, {"visual__classifier__alpha": [1e-4, 1e-2]}, cv=GroupKFold(2)
        )
        search.fit(X, y, groups=groups)
    best = search.best_estimator_
    present = best.members_present(X)
    for j, member in enumerate(best.estimators_):
        # Each member got the groups of its own rows: its validation split
        # shares no speaker with its training part.
        member_groups = groups[present[:, j]]
        valid = member[-1].validation_indices_
        rest = np.setdiff1d(np.arange(len(member_groups)), valid)
        assert set(member_groups[valid]).isdisjoint(member_groups[rest])


def test_the_study_scores_late_fusion_on_rows_with_missing_cells(gappy, tmp_path):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    configurations = {
        "visual": make_unimodal("visual", classifier=LogisticRegression()),
        "lexical": make_unimodal("lexical", classifier=LogisticRegression()),
        "late": make_late_fusion(MODALITIES, classifier=LogisticRegression()),
    }
    result = evaluate_configurations(configurations, X, y, groups=groups, cv=3)
    # The classical configurations share the rows with visual and lexical.
    complete = int(X[["visual", "lexical"]].notna().all(axis=1).sum())
    assert complete < len(X)
    assert result.summary.loc["visual", "n_rows"] == complete
    assert result.summary.loc["lexical", "n_rows"] == complete
    assert result.summary.loc["late", "n_rows"] == len(X)
    assert result.excluded.empty
    report = write_report(result, tmp_path, figures=False)
    text = (tmp_path / "report.md").read_text()
    assert f"late {len(X)}" in text and f"visual {complete}" in text, report
