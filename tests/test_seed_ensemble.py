"""Averages over seeds: make_seed_ensemble, the builders' and the study's n_seeds."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.ensemble import BaggingClassifier
from sklearn.linear_model import LogisticRegression

from sklearn_mmer import (
    TorchMLPClassifier,
    evaluate_configurations,
    make_configurations,
    make_early_fusion,
    make_emotion_dataset,
    make_late_fusion,
    make_seed_ensemble,
    make_unimodal,
)
from sklearn_mmer.cli import main
from sklearn_mmer.evaluation._reuse import reusable_votes
from sklearn_mmer.fusion import request_groups, torch_classifiers
from sklearn_mmer.report._markdown import describe_training

DIMS = {"visual": 6, "acoustic": 5, "lexical": 4}
NET = {"hidden_layer_sizes": (8,), "max_iter": 8, "n_iter_no_change": 3}


@pytest.fixture(scope="module")
def data():
    return make_emotion_dataset(n_samples=120, dims=DIMS, random_state=0)


def test_one_seed_is_the_classifier_itself():
    net = TorchMLPClassifier()
    assert make_seed_ensemble(net, n_seeds=1) is net
    assert make_unimodal("lexical")[-1].__class__ is TorchMLPClassifier


@pytest.mark.parametrize("n_seeds", [0, -2, 2.0, True, "3"])
def test_n_seeds_must_be_a_positive_integer(n_seeds):
    with pytest.raises(ValueError, match="n_seeds must be a positive integer"):
        make_seed_ensemble(TorchMLPClassifier(), n_seeds=n_seeds)
    with pytest.raises(ValueError, match="n_seeds"):
        make_unimodal("lexical", n_seeds=n_seeds)


def test_a_non_classifier_is_refused():
    with pytest.raises(TypeError, match="needs a scikit-learn classifier"):
        make_seed_ensemble(object(), n_seeds=2)


def test_members_differ_by_seed_and_average_their_probabilities(data):
    X = data.data[["lexical"]].map(np.asarray)
    X = np.stack(X["lexical"])
    ensemble = make_seed_ensemble(TorchMLPClassifier(**NET, random_state=0), 3)
    ensemble.fit(X, data.target)
    seeds = [member.random_state for member in ensemble.estimators_]
    assert len(set(seeds)) == 3
    # Every copy trains on every row: only the seed differs.
    assert all(len(np.unique(s)) == len(X) for s in ensemble.estimators_samples_)
    mean = np.mean([m.predict_proba(X) for m in ensemble.estimators_], axis=0)
    np.testing.assert_allclose(ensemble.predict_proba(X), mean)
    again = clone(ensemble).fit(X, data.target)
    np.testing.assert_array_equal(again.predict_proba(X), ensemble.predict_proba(X))


def test_each_copy_holds_out_whole_speakers_of_its_own(data):
    groups = np.asarray(data.groups)
    pipe = make_unimodal("lexical", n_seeds=3, random_state=0, **NET)
    with sklearn.config_context(enable_metadata_routing=True):
        request_groups(pipe).fit(data.data, data.target, groups=groups)
    held_out = []
    for member, rows in zip(
        pipe[-1].estimators_, pipe[-1].estimators_samples_, strict=True
    ):
        member_groups = groups[rows]
        valid = member.validation_indices_
        train = np.setdiff1d(np.arange(len(rows)), valid)
        assert not set(member_groups[valid]) & set(member_groups[train])
        held_out.append(frozenset(member_groups[valid]))
    assert len(set(held_out)) > 1


def test_builders_wrap_their_classifier_and_keep_params_reachable():
    early = make_early_fusion(list(DIMS), n_seeds=2, random_state=3)
    assert isinstance(early[-1], BaggingClassifier)
    assert early[-1].random_state == 3
    assert early.get_params()["classifier__estimator__hidden_layer_sizes"] == (
        256,
        128,
    )
    late = make_late_fusion(list(DIMS), n_seeds=2, max_iter=7)
    assert len(torch_classifiers(late)) == 3
    assert all(c.max_iter == 7 for c in torch_classifiers(late))
    linear = make_unimodal("lexical", classifier=LogisticRegression(), n_seeds=2)
    assert isinstance(linear[-1].estimator, LogisticRegression)


def test_study_averages_networks_not_baselines(data):
    configurations = make_configurations(
        list(DIMS),
        baselines=["logreg"],
        include=[*DIMS, "early", "late", "neural"],
        n_seeds=2,
        **NET,
    )
    assert isinstance(configurations["lexical"][-1], BaggingClassifier)
    assert isinstance(configurations["early"][-1], BaggingClassifier)
    assert isinstance(configurations["lexical [logreg]"][-1], LogisticRegression)
    assert not isinstance(configurations["neural"][-1], BaggingClassifier)
    # Late fusion is still assembled from the fitted unimodal averages.
    assert "late" in reusable_votes(configurations)


def test_study_with_seed_averages_scores_what_a_plain_fit_predicts(data):
    configurations = make_configurations(
        ["acoustic", "lexical"], include=["lexical"], n_seeds=2, random_state=0, **NET
    )
    result = evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups, cv=3
    )
    train, test = result.splits[0]
    groups = np.asarray(data.groups)
    with sklearn.config_context(enable_metadata_routing=True):
        model = request_groups(clone(configurations["lexical"]))
        model.fit(data.data.iloc[train], data.target[train], groups=groups[train])
    predictions = result.predictions.set_index(["configuration", "fold"])["y_pred"]
    np.testing.assert_array_equal(
        model.predict(data.data.iloc[test]), predictions.loc[("lexical", 0)]
    )


def test_cli_n_seeds(tmp_path, data):
    out = tmp_path / "out"
    main(
        [
            "run",
            "--out",
            str(out),
            "--configs",
            "lexical",
            "--n-seeds",
            "2",
            "--max-iter",
            "5",
            "--folds",
            "3",
            "--quiet",
            "--no-figures",
        ]
    )
    record = json.loads((out / "results.json").read_text())
    assert record["metadata"]["arguments"]["n_seeds"] == 2
    assert (
        "average of 2 copies trained from different seeds"
        in (out / "report.md").read_text()
    )
    assert main(["run", "--out", str(tmp_path / "bad"), "--n-seeds", "0"]) == 2
    assert not (tmp_path / "bad").exists()


def test_report_names_seed_averages_not_other_baggings():
    averaged = make_unimodal("lexical", n_seeds=3)
    bagged = make_unimodal(
        "lexical", classifier=BaggingClassifier(TorchMLPClassifier(), n_estimators=4)
    )
    sentence = describe_training(SimpleNamespace(configurations={"a": averaged}))
    assert "average of 3 copies" in sentence
    sentence = describe_training(SimpleNamespace(configurations={"b": bagged}))
    assert "copies" not in sentence
