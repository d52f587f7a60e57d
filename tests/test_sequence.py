import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from saved_on_cuda import assert_loads_on_cpu_as_if_saved_on_cuda
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from skorch.dataset import Dataset

from sklearn_mmer import ModalitySelector, TorchSequenceClassifier
from sklearn_mmer.neural_network import _iterator
from sklearn_mmer.neural_network._encoders import (
    ENCODERS,
    POOLINGS,
    SequenceEncoder,
)
from sklearn_mmer.neural_network._iterator import BucketBatchIterator
from sklearn_mmer.neural_network._ragged import RaggedSequences, table_to_sequences

# Encoders --------------------------------------------------------------------


def _padded_batch(sequences):
    """Right-pad ``[T_i, D]`` tensors into ``[B, T, D]`` with a mask."""
    longest = max(len(s) for s in sequences)
    x = torch.zeros(len(sequences), longest, sequences[0].shape[1])
    mask = torch.zeros(len(sequences), longest, dtype=torch.bool)
    for i, sequence in enumerate(sequences):
        x[i, : len(sequence)] = sequence
        mask[i, : len(sequence)] = True
    return x, mask


@pytest.mark.parametrize(
    ("encoder", "pooling"), list(itertools.product(ENCODERS, POOLINGS))
)
def test_padding_never_changes_an_embedding(encoder, pooling):
    torch.manual_seed(0)
    module = SequenceEncoder(
        5, encoder=encoder, hidden_size=8, pooling=pooling, num_layers=2, n_heads=2
    ).eval()
    short = torch.randn(3, 5)
    others = [torch.randn(9, 5), torch.randn(7, 5)]
    alone = module(*_padded_batch([short]))
    # Garbage in the padded frames must not leak either.
    x, mask = _padded_batch([short, *others])
    x[0, 3:] = 1e3
    together = module(x, mask)
    assert together.shape == (3, module.output_size)
    torch.testing.assert_close(together[0], alone[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_no_gradient_reaches_padded_frames(encoder):
    torch.manual_seed(0)
    module = SequenceEncoder(4, encoder=encoder, hidden_size=8, n_heads=2)
    x, mask = _padded_batch([torch.randn(2, 4), torch.randn(6, 4)])
    x.requires_grad_(True)
    module(x, mask).sum().backward()
    assert torch.all(x.grad[~mask] == 0)
    assert torch.any(x.grad[mask] != 0)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_attention_weights_over_padded_frames_are_zero(encoder):
    torch.manual_seed(0)
    module = SequenceEncoder(4, encoder=encoder, hidden_size=8, n_heads=2)
    x, mask = _padded_batch([torch.randn(2, 4), torch.randn(6, 4), torch.randn(1, 4)])
    weights = module.attention_weights(x, mask)
    assert weights.shape == mask.shape
    assert torch.all(weights[~mask] == 0)
    assert torch.all(weights[mask] > 0)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))


def test_output_sizes_follow_encoder_and_pooling():
    assert SequenceEncoder(5, "gru", hidden_size=8).output_size == 16
    assert SequenceEncoder(5, "gru", 8, bidirectional=False).output_size == 8
    assert SequenceEncoder(5, "transformer", 8, "stats").output_size == 16
    assert SequenceEncoder(5, "conv", 8, "mean").output_size == 8
    assert SequenceEncoder(5, "none", 8, "stats").output_size == 10


def test_stats_pooling_is_mean_and_std_of_the_real_frames():
    module = SequenceEncoder(2, encoder="none", pooling="stats")
    frames = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    x, mask = _padded_batch([frames, torch.ones(5, 2)])
    embedding = module(x, mask)[0]
    torch.testing.assert_close(embedding[:2], torch.tensor([2.0, 0.0]))
    torch.testing.assert_close(embedding[2], torch.tensor(1.0))
    assert 0 < embedding[3] < 1e-2  # a constant dimension keeps a gradient


def test_unknown_encoder_or_pooling_is_a_clear_error():
    with pytest.raises(ValueError, match="encoder='lstm'"):
        SequenceEncoder(3, encoder="lstm")
    with pytest.raises(ValueError, match="pooling='max'"):
        SequenceEncoder(3, pooling="max")


# Ragged tables, dataset and batches ------------------------------------------


def _ragged(rng, n_rows, dim, longest=12):
    return [
        rng.normal(size=(rng.integers(1, longest + 1), dim)).astype(np.float32)
        for _ in range(n_rows)
    ]


def test_columns_are_concatenated_per_frame_and_rows_sorted_on_request():
    rng = np.random.default_rng(0)
    a = _ragged(rng, 20, 3)
    b = [rng.normal(size=(len(cell), 2)) for cell in a]
    X = pd.DataFrame({"a": a, "b": b})
    frames, lengths, dims, order = table_to_sequences(X, "Est", sort=True)
    assert dims == (3, 2)
    assert frames.dtype == np.float32 and frames.shape == (sum(map(len, a)), 5)
    assert np.all(np.diff(lengths) >= 0)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    for position, row in enumerate(order):
        block = frames[offsets[position] : offsets[position + 1]]
        np.testing.assert_array_equal(block[:, :3], a[row])
        np.testing.assert_allclose(block[:, 3:], b[row], rtol=1e-6)


def test_utterance_vectors_and_numeric_columns_are_one_frame_sequences():
    X = pd.DataFrame({"lexical": [np.arange(4.0), np.ones(4)], "age": [30, 41]})
    frames, lengths, dims, _ = table_to_sequences(X, "Est")
    assert dims == (4, 1)
    np.testing.assert_array_equal(lengths, [1, 1])
    np.testing.assert_array_equal(frames, [[0, 1, 2, 3, 30], [1, 1, 1, 1, 41]])


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([np.ones((3, 2)), np.ones((4, 2))], "column 'b' has 4"),
        ([np.ones((3, 2)), None], "column 'b': the cell is missing"),
        ([np.ones((3, 2)), np.ones((0, 2))], "zero frames"),
        ([np.ones((3, 2)), np.ones((3, 5))], "feature dimension 5 differs"),
        ([np.ones((3, 2)), np.full((3, 2), np.nan)], "column 'b': the features"),
        ([np.ones((3, 2)), np.ones((3, 2, 1))], "expected a 2-D"),
        ([np.ones((3, 2)), "frames.npy"], "got the string"),
    ],
)
def test_bad_cells_raise_naming_row_and_column(cells, message):
    X = pd.DataFrame(
        {"a": [np.ones((3, 2)), np.ones((3, 2))], "b": cells}, index=["u0", "u1"]
    )
    with pytest.raises(ValueError, match=f"row 'u1' \\(position 1\\).*{message}"):
        table_to_sequences(X, "Est")


def test_input_is_left_untouched():
    X = pd.DataFrame({"a": [[1.0, 2.0], np.ones((2, 2))]})
    table_to_sequences(X, "Est")
    assert isinstance(X.loc[0, "a"], list)


def test_bucketing_keeps_every_row_once_per_epoch_and_pads_little():
    rng = np.random.default_rng(0)
    cells = _ragged(rng, 203, 2, longest=60)
    frames, lengths, _, _ = table_to_sequences(pd.DataFrame({"a": cells}), "Est")
    iterator = BucketBatchIterator(
        Dataset(RaggedSequences(frames, lengths), np.arange(203)),
        batch_size=8,
        shuffle=True,
    )
    torch.manual_seed(0)
    epochs = [list(iterator) for _ in range(2)]
    assert len(iterator) == len(epochs[0]) == 26
    real = padded = 0
    for batches in epochs:
        rows = torch.cat([y for _, y in batches])
        assert sorted(rows.tolist()) == list(range(203))
        for X_batch, y in batches:
            x, mask = X_batch["x"], X_batch["mask"]
            assert x.shape[:2] == mask.shape and mask[:, -1].any()
            for i, row in enumerate(y.tolist()):
                n = len(cells[row])
                np.testing.assert_array_equal(x[i, :n].numpy(), cells[row])
                assert mask[i, :n].all() and not mask[i, n:].any()
                assert not x[i, n:].any()
            real, padded = real + int(mask.sum()), padded + mask.numel()
    assert real / padded > 0.8  # unsorted batches of 8 would be about 0.6
    first = [y.tolist() for _, y in epochs[0]]
    assert first != [y.tolist() for _, y in epochs[1]]


def test_ordered_batches_keep_dataset_order_and_bound_their_size(monkeypatch):
    monkeypatch.setattr(_iterator, "_PREDICT_BATCH_VALUES", 40)
    lengths = np.array([1, 1, 2, 2, 3, 9, 9])
    frames = np.arange(lengths.sum() * 2, dtype=np.float32).reshape(-1, 2)
    dataset = Dataset(RaggedSequences(frames, lengths), np.arange(7))
    batches = list(BucketBatchIterator(dataset, batch_size=3, shuffle=False))
    assert [y.tolist() for _, y in batches] == [[0, 1, 2], [3, 4], [5, 6]]
    assert all(X["x"].numel() <= 40 for X, _ in batches[:2])


def test_subset_gathers_the_rows_frames():
    frames = np.arange(12, dtype=np.float32).reshape(6, 2)
    subset = RaggedSequences(frames, [1, 3, 2]).subset([2, 0])
    np.testing.assert_array_equal(subset.lengths, [2, 1])
    np.testing.assert_array_equal(subset.frames, frames[[4, 5, 0]])


# TorchSequenceClassifier -------------------------------------------------------

SMALL = {"hidden_size": 8, "hidden_layer_sizes": (8,), "device": "cpu"}


@pytest.fixture(scope="module")
def order_task():
    """Two classes that differ only in the order of their frames.

    Each sequence rises or falls; the mean over frames says nothing about
    the class, so only a model of the sequence can tell them apart.
    """
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 160)
    cells = []
    for label in y:
        n = rng.integers(4, 13)
        ramp = np.linspace(-1, 1, n) * (1 if label else -1)
        cells.append(
            np.column_stack([ramp, rng.normal(size=n)]).astype(np.float32)
            + 0.1 * rng.normal(size=(n, 2)).astype(np.float32)
        )
    X = pd.DataFrame({"acoustic": cells}, index=[f"utt{i}" for i in range(160)])
    return X, y, np.repeat(np.arange(8), 20)


@pytest.mark.parametrize("encoder", ["gru", "transformer", "conv"])
def test_learns_what_the_mean_over_frames_cannot_tell(order_task, encoder):
    X, y, _ = order_task
    clf = TorchSequenceClassifier(
        encoder,
        **{**SMALL, "hidden_size": 16},
        learning_rate_init=1e-2,
        max_iter=40,
        early_stopping=False,
        random_state=0,
    ).fit(X[:120], y[:120])
    assert clf.score(X[120:], y[120:]) > 0.85
    mean_only = TorchSequenceClassifier(
        "none",
        "mean",
        **SMALL,
        learning_rate_init=1e-2,
        max_iter=40,
        early_stopping=False,
        random_state=0,
    ).fit(X[:120], y[:120])
    assert mean_only.score(X[120:], y[120:]) < 0.7
    assert clf.n_iter_ == len(clf.loss_curve_) <= 40
    assert isinstance(clf.module_.encoder, SequenceEncoder)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_padding_never_changes_a_prediction(order_task, encoder):
    X, y, _ = order_task
    clf = TorchSequenceClassifier(
        encoder, **SMALL, max_iter=2, n_heads=2, random_state=0
    ).fit(X, y)
    lengths = np.array([len(cell) for cell in X["acoustic"]])
    shortest = int(np.argmin(lengths))
    alone = clf.predict_proba(X.iloc[[shortest]])
    # All 160 rows go in one batch, padded to the longest sequence.
    among_longer = clf.predict_proba(X)[shortest]
    assert lengths.max() > 2 * lengths[shortest]
    np.testing.assert_allclose(among_longer, alone[0], rtol=1e-5, atol=1e-6)


def test_same_seed_same_model_and_global_random_state_untouched(order_task):
    X, y, _ = order_task
    params = {**SMALL, "dropout": 0.2, "max_iter": 3}
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = TorchSequenceClassifier(**params, random_state=7).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)
    second = TorchSequenceClassifier(**params, random_state=7).fit(X, y)
    other = TorchSequenceClassifier(**params, random_state=8).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.loss_curve_ == second.loss_curve_
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_standardizes_frames_with_the_training_frames_statistics(order_task):
    X, y, _ = order_task
    shifted = X.assign(acoustic=[cell * 50 + 1000 for cell in X["acoustic"]])
    clf = TorchSequenceClassifier(**SMALL, max_iter=2, random_state=0)
    frames = np.concatenate(list(shifted["acoustic"]))
    clf.fit(shifted, y)
    np.testing.assert_allclose(clf.frame_scaler_.mean_, frames.mean(0), rtol=1e-5)
    np.testing.assert_allclose(clf.frame_scaler_.scale_, frames.std(0), rtol=1e-4)
    raw = TorchSequenceClassifier(**SMALL, max_iter=2, standardize=False)
    assert raw.fit(shifted, y).frame_scaler_ is None
    # Scaled frames predict as the unscaled data do with the same seed.
    plain = TorchSequenceClassifier(**SMALL, max_iter=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        clf.predict_proba(shifted), plain.predict_proba(X), atol=1e-4
    )


def test_columns_concatenate_per_frame_and_utterance_vectors_are_one_frame():
    rng = np.random.default_rng(0)
    y = np.tile([0, 1], 20)
    visual = _ragged(rng, 40, 3)
    X = pd.DataFrame(
        {
            "visual": visual,
            "acoustic": [rng.normal(size=(len(c), 2)) for c in visual],
        }
    )
    clf = TorchSequenceClassifier(**SMALL, max_iter=2, random_state=0).fit(X, y)
    assert clf.input_dims_ == (3, 2) and clf.n_features_in_ == 2
    assert clf.module_.encoder.frames.gru.input_size == 5
    lexical = pd.DataFrame({"lexical": list(rng.normal(size=(40, 6)))})
    clf = TorchSequenceClassifier(**SMALL, max_iter=2, random_state=0)
    assert clf.fit(lexical, y).predict(lexical).shape == (40,)
    X.loc[3, "acoustic"] = np.ones((len(visual[3]) + 1, 2))
    with pytest.raises(ValueError, match="row 3: column 'visual' has"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="columns concatenated per frame"):
        clf.fit(X.iloc[:10], y[:10])


def test_predict_checks_columns_and_dimensions(order_task):
    X, y, _ = order_task
    clf = TorchSequenceClassifier(**SMALL, max_iter=1, random_state=0).fit(X, y)
    wrong = X.assign(acoustic=[np.ones((3, 5))] * len(X))
    with pytest.raises(ValueError, match="feature dimension 5 differs from 2 in the"):
        clf.predict(wrong)
    with pytest.raises(ValueError, match="hidden_size=6 must be a multiple"):
        TorchSequenceClassifier("transformer", hidden_size=6, n_heads=4).fit(X, y)


def test_early_stopping_holds_out_whole_speakers(order_task):
    X, y, groups = order_task
    clf = TorchSequenceClassifier(
        **SMALL, early_stopping=True, max_iter=3, n_iter_no_change=2, random_state=0
    ).fit(X, y, groups=groups)
    valid = clf.validation_indices_
    rest = np.setdiff1d(np.arange(len(y)), valid)
    assert len(valid) and set(groups[valid]).isdisjoint(groups[rest])
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.net_._lean_training


def test_grid_search_over_encoders_with_groups(order_task):
    X, y, groups = order_task
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [
                ("select", ModalitySelector(["acoustic"])),
                (
                    "classifier",
                    TorchSequenceClassifier(
                        **SMALL, max_iter=2, early_stopping=True, random_state=0
                    ).set_fit_request(groups=True),
                ),
            ]
        )
        search = GridSearchCV(
            pipe,
            {"classifier__encoder": ["gru", "conv"]},
            cv=GroupKFold(2),
        ).fit(X, y, groups=groups)
    assert search.best_params_["classifier__encoder"] in {"gru", "conv"}
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert search.best_estimator_[-1].validation_indices_ is not None


def test_clone_and_pickle(order_task):
    X, y, _ = order_task
    clf = TorchSequenceClassifier(
        "transformer",
        **SMALL,
        n_heads=2,
        class_weight="balanced",
        max_iter=2,
        random_state=0,
    ).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "net_")
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_model_saved_on_cuda_loads_on_a_cpu_only_machine(order_task):
    X, y, _ = order_task
    clf = TorchSequenceClassifier(**SMALL, max_iter=2, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    assert_loads_on_cpu_as_if_saved_on_cuda(clf, X, expected)
