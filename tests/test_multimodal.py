"""TorchMultimodalClassifier, make_neural_fusion: rows lacking modalities kept."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from saved_on_cuda import assert_loads_on_cpu_as_if_saved_on_cuda
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from skorch.dataset import Dataset

from sklearn_mmer import (
    TorchMLPClassifier,
    TorchMultimodalClassifier,
    TorchSequenceClassifier,
    evaluate_configurations,
    make_configurations,
    make_emotion_dataset,
    make_neural_fusion,
    make_unimodal,
    request_groups,
)
from sklearn_mmer.neural_network._iterator import MultimodalBatchIterator
from sklearn_mmer.preprocessing import pool_table
from sklearn_mmer.utils._frames import is_missing_cell

MODALITIES = ["visual", "acoustic", "lexical"]
# Twelve quick epochs on all the rows: what the network learns, not when it
# stops (the tests of early stopping and of the defaults say so).
FAST = {
    "encoder_layer_sizes": (16,),
    "hidden_layer_sizes": (16,),
    "max_iter": 12,
    "learning_rate_init": 1e-2,
    "early_stopping": False,
    "dropout": 0.0,
    "device": "cpu",
}


# Few epochs on purpose: the tests need behaviour, not convergence.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def gappy():
    """Demo data with 30% of visual and acoustic cells missing."""
    return make_emotion_dataset(
        n_samples=200,
        dims={"visual": 8, "acoustic": 8, "lexical": 8},
        n_frames={"visual": (2, 6), "acoustic": (2, 6)},
        missing_rate=0.3,
        random_state=0,
    )


def test_trains_and_predicts_with_missing_modalities(gappy):
    X, y = gappy.data, gappy.target
    missing = X.map(is_missing_cell)
    assert missing["visual"].mean() > 0.2 and missing["acoustic"].mean() > 0.2
    clf = TorchMultimodalClassifier(**FAST, random_state=0).fit(X, y)
    assert clf.modality_dims_ == (8, 8, 8)
    assert clf.n_features_in_ == 3
    assert clf.feature_names_in_.tolist() == MODALITIES
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 4) and np.isfinite(proba).all()
    # Learns: well above the majority class, also on the rows with gaps.
    gaps = missing.any(axis=1).to_numpy()
    predicted = clf.predict(X)
    assert (predicted == y).mean() > 0.6
    assert (predicted[gaps] == y[gaps]).mean() > 0.5
    # A row with the lexical vector alone is classified.
    lexical_only = X.iloc[:3].assign(visual=None, acoustic=None)
    assert clf.predict(lexical_only).shape == (3,)


@pytest.mark.parametrize("fusion", ["concat", "tensor", "low_rank", "attention"])
def test_every_fusion_learns(gappy, fusion):
    X, y = pool_table(gappy.data), gappy.target
    clf = TorchMultimodalClassifier(fusion, **FAST, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.5


def test_a_row_with_no_modality_is_a_clear_error(gappy):
    X, y = gappy.data.copy(), gappy.target
    X.loc[X.index[7], MODALITIES] = None
    with pytest.raises(ValueError, match=rf"row '{X.index[7]}' .*has no modality"):
        TorchMultimodalClassifier(**FAST).fit(X, y)
    clf = TorchMultimodalClassifier(**FAST).fit(gappy.data, y)
    with pytest.raises(ValueError, match="has no modality"):
        clf.predict(X)


def test_bad_cells_are_named(gappy):
    X, y = gappy.data.copy(), gappy.target
    clf = TorchMultimodalClassifier(**FAST).fit(X, y)
    X.loc[X.index[3], "lexical"] = np.ones(5)
    with pytest.raises(ValueError, match=r"column 'lexical'.*5 differs from 8"):
        clf.predict(X)
    X.loc[X.index[3], "lexical"] = np.full(8, np.inf)
    with pytest.raises(ValueError, match=r"column 'lexical'.*NaN or infinite"):
        clf.predict(X)


def test_frames_are_averaged_exactly_as_pooling_does(gappy):
    X, y = gappy.data, gappy.target
    params = {**FAST, "random_state": 0}
    on_frames = TorchMultimodalClassifier(**params).fit(X, y)
    on_means = TorchMultimodalClassifier(**params).fit(pool_table(X), y)
    np.testing.assert_allclose(
        on_frames.predict_proba(X), on_means.predict_proba(pool_table(X)), atol=1e-6
    )


def test_same_seed_same_model_and_global_rng_untouched(gappy):
    X, y = pool_table(gappy.data), gappy.target
    params = {**FAST, "modality_dropout": 0.3, "dropout": 0.2}
    state = torch.random.get_rng_state()
    first = TorchMultimodalClassifier(**params, random_state=3).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)
    second = TorchMultimodalClassifier(**params, random_state=3).fit(X, y)
    other = TorchMultimodalClassifier(**params, random_state=4).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert not np.allclose(first.predict_proba(X), other.predict_proba(X))


def test_clone_pickle_and_a_model_saved_on_cuda(gappy):
    X, y = pool_table(gappy.data), gappy.target
    clf = TorchMultimodalClassifier(**FAST, class_weight="balanced", random_state=0)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "net_")
    clf.fit(X, y)
    expected = clf.predict_proba(X)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(X), expected
    )
    if torch.cuda.is_available():
        return  # the simulation below needs a machine without CUDA
    assert_loads_on_cpu_as_if_saved_on_cuda(clf, X, expected)


def test_early_stopping_with_groups_validates_on_unseen_speakers(gappy):
    X, y, groups = pool_table(gappy.data), gappy.target, gappy.groups
    clf = TorchMultimodalClassifier(
        **{**FAST, "early_stopping": True}, random_state=0
    ).fit(X, y, groups=groups)
    held_out = set(groups[clf.validation_indices_])
    trained = set(np.delete(groups, clf.validation_indices_))
    assert held_out and not held_out & trained
    assert len(clf.validation_scores_) == clf.n_iter_


def test_grid_search_over_the_fusion_with_groups(gappy):
    X, y, groups = pool_table(gappy.data), gappy.target, gappy.groups
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = request_groups(
            make_neural_fusion(
                MODALITIES, **{**FAST, "early_stopping": True}, random_state=0
            )
        )
        search = GridSearchCV(
            pipe, {"classifier__fusion": ["gated", "concat"]}, cv=GroupKFold(2)
        ).fit(X, y, groups=groups)
    assert search.best_params_["classifier__fusion"] in {"gated", "concat"}
    assert search.cv_results_["mean_test_score"].min() > 0.4


def test_evaluation_scores_the_neural_fusion_on_rows_with_gaps(gappy):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    configurations = {
        "lexical": make_unimodal("lexical", max_iter=3, random_state=0),
        "early": make_unimodal("visual", max_iter=3, random_state=0),
        "neural": make_neural_fusion(MODALITIES, **FAST, random_state=0),
    }
    result = evaluate_configurations(configurations, X, y, groups=groups, cv=3)
    assert result.summary.loc["neural", "n_rows"] == len(X)
    complete = ~X[["visual", "lexical"]].map(is_missing_cell).any(axis=1)
    assert result.summary.loc["lexical", "n_rows"] == complete.sum() < len(X)
    assert result.excluded.empty
    majority = np.bincount(y).max() / len(y)
    assert result.summary.loc["neural", "f1_micro_mean"] > majority + 0.05


def test_parameters_are_checked(gappy):
    X, y = pool_table(gappy.data), gappy.target
    with pytest.raises(ValueError, match="fusion"):
        TorchMultimodalClassifier(fusion="sum").fit(X, y)
    with pytest.raises(ValueError, match="encoder_layer_sizes needs at least one"):
        TorchMultimodalClassifier(encoder_layer_sizes=()).fit(X, y)
    with pytest.raises(ValueError, match="modality_dropout"):
        TorchMultimodalClassifier(modality_dropout=1.0).fit(X, y)


def test_numeric_columns_are_one_dimensional_modalities():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int).to_numpy()
    X.loc[::4, "b"] = np.nan
    clf = TorchMultimodalClassifier(**FAST, random_state=0).fit(X, y)
    assert clf.modality_dims_ == (1, 1, 1)
    assert clf.score(X, y) > 0.8


def test_the_three_networks_share_their_training_defaults():
    mlp = TorchMLPClassifier().get_params()
    for network in (TorchSequenceClassifier(), TorchMultimodalClassifier()):
        params = network.get_params()
        for name in ("early_stopping", "validation_fraction", "n_iter_no_change"):
            assert params[name] == mlp[name]
        assert params["dropout"] == mlp["dropout"]


def test_make_configurations_builds_the_neural_fusion_only_when_named():
    assert "neural" not in make_configurations(MODALITIES)
    configurations = make_configurations(
        MODALITIES, include=["lexical", "neural"], max_iter=7, random_state=0
    )
    neural = configurations["neural"]
    assert isinstance(neural[-1], TorchMultimodalClassifier)
    assert neural.get_params()["classifier__max_iter"] == 7
    assert neural.get_params()["select__modalities"] == MODALITIES


def test_neural_fusion_defaults_and_overrides():
    params = make_neural_fusion(MODALITIES).get_params()
    # The classifier's own defaults, those of TorchMLPClassifier.
    mlp = TorchMLPClassifier().get_params()
    for name in ("early_stopping", "validation_fraction", "n_iter_no_change"):
        assert params[f"classifier__{name}"] == mlp[name]
    assert params["classifier__dropout"] == mlp["dropout"] == 0.3
    assert params["classifier__modality_dropout"] == 0.1
    params = make_neural_fusion(MODALITIES, "tensor", dropout=0.0).get_params()
    assert params["classifier__dropout"] == 0.0
    assert params["classifier__fusion"] == "tensor"


# Sequence encoders on the frame modalities ------------------------------------

SEQUENCE = {**FAST, "hidden_size": 8, "n_heads": 2}


@pytest.mark.parametrize("encoder", ["gru", "transformer", "conv", "none"])
def test_padding_never_changes_a_prediction(gappy, encoder):
    X, y = gappy.data, gappy.target
    clf = TorchMultimodalClassifier(
        encoder=encoder, **{**SEQUENCE, "max_iter": 2}, random_state=0
    ).fit(X, y)
    assert clf.frame_modalities_ == (True, True, False)
    visual = X["visual"].map(lambda cell: 99 if is_missing_cell(cell) else len(cell))
    shortest = visual.to_numpy().argmin()  # a row with 2 visual frames
    gap = X["acoustic"].map(is_missing_cell).to_numpy().argmax()
    rows = [shortest, gap]
    # All rows make one batch: every modality padded to its longest (6).
    together = clf.predict_proba(X)[rows]
    alone = np.vstack([clf.predict_proba(X.iloc[[row]]) for row in rows])
    np.testing.assert_allclose(together, alone, rtol=1e-5, atol=1e-6)


def test_batches_keep_every_row_once_and_pad_each_modality_to_its_own_longest(
    gappy,
):
    inputs = TorchMultimodalClassifier(encoder="gru")._validate_inputs(
        gappy.data, reset=True
    )
    assert [s.frames.shape[1] for s in inputs.sequences] == [8, 8]
    torch.manual_seed(0)
    rows = np.arange(len(inputs))  # as targets: each batch says its rows
    batches = MultimodalBatchIterator(Dataset(inputs, rows), 16, shuffle=True)
    seen, padded = [], False
    for batch, batch_rows in batches:
        seen += batch_rows.tolist()
        assert batch["X"].shape == (len(batch_rows), 8 + 3)
        for x, mask, sequences in zip(
            batch["frames"], batch["masks"], inputs.sequences, strict=True
        ):
            lengths = sequences.lengths[batch_rows]
            assert x.shape[1] == lengths.max() and torch.equal(mask.sum(1), lengths)
            row = int(lengths.argmin())
            own = sequences.subset([int(batch_rows[row])]).frames
            torch.testing.assert_close(x[row, : len(own)], own)
            assert torch.all(x[row, len(own) :] == 0)
            padded |= len(own) < x.shape[1]
    assert sorted(seen) == rows.tolist() and padded


def test_attention_weights_over_padded_frames_are_zero(gappy):
    X, y = gappy.data, gappy.target
    clf = TorchMultimodalClassifier(
        encoder="gru", **{**SEQUENCE, "max_iter": 2}, random_state=0
    ).fit(X, y)
    inputs = clf._validate_inputs(X, reset=False)
    batch, _ = next(iter(clf._iterator(Dataset(inputs, None), batch_size=len(X))))
    for encoder, x, mask in zip(
        clf.module_.encoders[:2], batch["frames"], batch["masks"], strict=True
    ):
        assert (~mask).any()  # some rows are padded
        with torch.no_grad():
            weights = encoder.sequence.attention_weights(x, mask)
        assert torch.all(weights[~mask] == 0) and torch.all(weights[mask] > 0)
        torch.testing.assert_close(weights.sum(dim=1), torch.ones(len(X)))


def test_sequence_encoders_learn_and_keep_rows_with_missing_modalities(gappy):
    X, y = gappy.data, gappy.target
    missing = X.map(is_missing_cell).to_numpy()
    clf = TorchMultimodalClassifier(encoder="gru", **SEQUENCE, random_state=0)
    predicted = clf.fit(X, y).predict(X)
    assert clf.modality_dims_ == (8, 8, 8)
    gaps = missing.any(axis=1)
    assert (predicted == y).mean() > 0.6
    assert (predicted[gaps] == y[gaps]).mean() > 0.5
    # Rows with the lexical vector alone, or the frames alone.
    lexical_only = X.iloc[:3].assign(visual=None, acoustic=None)
    frames_only = X.iloc[:3].assign(lexical=None)
    assert clf.predict(lexical_only).shape == clf.predict(frames_only).shape == (3,)
    # Utterance-level vectors in a frame column are one-frame sequences.
    one_frame = X.iloc[:3].assign(acoustic=[np.ones(8)] * 3)
    assert np.isfinite(clf.predict_proba(one_frame)).all()
    with pytest.raises(ValueError, match="has no modality"):
        clf.predict(X.iloc[:2].assign(visual=None, acoustic=None, lexical=None))
    bad = X.iloc[:2].copy()
    bad.iloc[1, 0] = np.full((3, 8), np.nan)
    with pytest.raises(ValueError, match=r"column 'visual'.*NaN or infinite"):
        clf.predict(bad)


def test_sequence_encoder_same_seed_same_model(gappy):
    X, y = gappy.data, gappy.target
    params = {**SEQUENCE, "max_iter": 3, "modality_dropout": 0.3, "dropout": 0.2}
    state = torch.random.get_rng_state()
    first = TorchMultimodalClassifier(encoder="gru", **params, random_state=3)
    first.fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)
    second = TorchMultimodalClassifier(encoder="gru", **params, random_state=3)
    other = TorchMultimodalClassifier(encoder="gru", **params, random_state=4)
    second.fit(X, y)
    other.fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.loss_curve_ == second.loss_curve_
    assert not np.allclose(first.predict_proba(X), other.predict_proba(X))


def test_grid_search_over_the_encoder_with_groups(gappy):
    X, y, groups = gappy.data, gappy.target, gappy.groups
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = request_groups(
            make_neural_fusion(
                MODALITIES, **{**SEQUENCE, "early_stopping": True}, random_state=0
            )
        )
        search = GridSearchCV(
            pipe, {"classifier__encoder": ["mean", "gru"]}, cv=GroupKFold(2)
        ).fit(X, y, groups=groups)
    assert search.cv_results_["param_classifier__encoder"].tolist() == ["mean", "gru"]
    majority = np.bincount(y).max() / len(y)  # 0.355; unseen speakers are hard
    assert search.cv_results_["mean_test_score"].min() > majority + 0.03
    best = search.best_estimator_[-1]
    assert best.validation_indices_ is not None
    expected = (False, False, False) if best.encoder == "mean" else (True, True, False)
    assert best.frame_modalities_ == expected


def test_sequence_encoder_clone_pickle_and_a_model_saved_on_cuda(gappy):
    X, y = gappy.data, gappy.target
    clf = TorchMultimodalClassifier(
        encoder="transformer", pooling="stats", **{**SEQUENCE, "max_iter": 2}
    )
    assert clone(clf).get_params() == clf.get_params()
    expected = clf.set_params(random_state=0).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(clf)).predict_proba(X), expected
    )
    if torch.cuda.is_available():
        return  # the simulation below needs a machine without CUDA
    assert_loads_on_cpu_as_if_saved_on_cuda(clf, X, expected)


def test_sequence_encoder_parameters_are_checked(gappy):
    X, y = gappy.data, gappy.target
    with pytest.raises(ValueError, match="encoder"):
        TorchMultimodalClassifier(encoder="lstm").fit(X, y)
    with pytest.raises(ValueError, match="pooling"):
        TorchMultimodalClassifier(encoder="gru", pooling="max").fit(X, y)
    with pytest.raises(ValueError, match="hidden_size=6 must be a multiple"):
        TorchMultimodalClassifier(encoder="transformer", hidden_size=6).fit(X, y)
