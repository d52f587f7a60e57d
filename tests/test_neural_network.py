import os
import pickle
import signal
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from saved_on_cuda import assert_loads_on_cpu_as_if_saved_on_cuda
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.ensemble import StackingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sklearn_mmer import TorchMLPClassifier
from sklearn_mmer.neural_network._iterator import TensorBatchIterator, _fits_on

FAST = {"hidden_layer_sizes": (16,), "max_iter": 15, "device": "cpu"}


@pytest.fixture(scope="module")
def blobs():
    X, y = make_classification(
        n_samples=240, n_features=10, n_informative=6, n_classes=3, random_state=0
    )
    groups = np.repeat(np.arange(8), 30)
    return X, y, groups


def test_learns_as_well_as_sklearns_mlp(blobs):
    X, y, _ = blobs
    params = {"hidden_layer_sizes": (16,), "max_iter": 60, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = MLPClassifier(**params, batch_size=32).fit(X, y).score(X, y)
        # MLPClassifier's protocol: no early stopping, no dropout.
        clf = TorchMLPClassifier(
            **params, early_stopping=False, dropout=0.0, device="cpu"
        ).fit(X, y)
    assert clf.score(X, y) > reference - 0.05
    assert clf.score(X, y) > 0.75
    assert clf.n_features_in_ == 10
    assert clf.n_iter_ == len(clf.net_.history) == len(clf.loss_curve_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_predict_proba_rows_sum_to_one_and_follow_classes(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(**FAST, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X))


def test_string_labels(blobs):
    X, y, _ = blobs
    names = np.array(["anger", "sadness", "neutral"])[y]
    clf = TorchMLPClassifier(**FAST, random_state=0).fit(X, names)
    assert list(clf.classes_) == ["anger", "neutral", "sadness"]
    assert set(clf.predict(X)) <= set(names)


def test_same_seed_same_model_different_seed_different_model(blobs):
    X, y, _ = blobs
    first = TorchMLPClassifier(**FAST, dropout=0.2, random_state=7).fit(X, y)
    second = TorchMLPClassifier(**FAST, dropout=0.2, random_state=7).fit(X, y)
    other = TorchMLPClassifier(**FAST, dropout=0.2, random_state=8).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_fit_leaves_the_global_torch_random_state_alone(blobs):
    X, y, _ = blobs
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    TorchMLPClassifier(**FAST, random_state=0).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_float64_and_float32_inputs_give_the_same_model(blobs):
    X, y, _ = blobs
    as64 = TorchMLPClassifier(**FAST, random_state=0).fit(X.astype(np.float64), y)
    as32 = TorchMLPClassifier(**FAST, random_state=0).fit(X.astype(np.float32), y)
    np.testing.assert_array_equal(as64.predict_proba(X), as32.predict_proba(X))


def test_feature_names_from_dataframe(blobs):
    X, y, _ = blobs
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = TorchMLPClassifier(**FAST, random_state=0).fit(frame, y)
    assert list(clf.feature_names_in_) == list(frame.columns)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"f0": "other"}))


def test_single_class_is_refused():
    with pytest.raises(ValueError, match="only 1 class"):
        TorchMLPClassifier(**FAST).fit(np.zeros((5, 2)), np.ones(5))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alpha": -1.0}, "'alpha' parameter"),
        ({"activation": "swish"}, "'activation' parameter"),
        ({"dropout": 1.0}, "'dropout' parameter"),
        ({"hidden_layer_sizes": 0}, "'hidden_layer_sizes' parameter"),
        ({"validation_fraction": 1.5}, "'validation_fraction' parameter"),
    ],
)
def test_invalid_parameters_are_named(blobs, params, message):
    X, y, _ = blobs
    with pytest.raises(ValueError, match=message):
        TorchMLPClassifier(**{**FAST, **params}).fit(X, y)


def test_hidden_layer_sizes_shape_the_network(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(
        **{**FAST, "hidden_layer_sizes": (7, 5), "max_iter": 1}
    ).fit(X, y)
    linear = [m for m in clf.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [
        (10, 7),
        (7, 5),
        (5, 3),
    ]


def test_alpha_decays_weights_not_biases(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(**{**FAST, "alpha": 0.5, "batch_size": 10}).fit(X, y)
    groups = {
        g["weight_decay"]: len(g["params"]) for g in clf.net_.optimizer_.param_groups
    }
    assert groups == {
        0.0: 2,
        0.05: 2,
    }  # two biases; two weight matrices at alpha / batch


def test_balanced_class_weight_favours_the_rare_class():
    X, y = make_classification(
        n_samples=400,
        n_features=6,
        weights=[0.9, 0.1],
        class_sep=0.5,
        flip_y=0.05,
        random_state=1,
    )
    plain = TorchMLPClassifier(**FAST, random_state=0).fit(X, y)
    balanced = TorchMLPClassifier(**FAST, class_weight="balanced", random_state=0).fit(
        X, y
    )
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


def test_max_iter_reached_warns_like_sklearn(blobs):
    X, y, _ = blobs
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(2\\)"):
        TorchMLPClassifier(**{**FAST, "max_iter": 2}).fit(X, y)


def test_stalled_training_loss_stops_early(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(
        **{**FAST, "max_iter": 500, "tol": 10.0, "n_iter_no_change": 3}
    )
    clf.fit(X, y)
    assert clf.n_iter_ == 4  # the first epoch sets the bar, three misses follow


# Early stopping -------------------------------------------------------------


def test_early_stopping_holds_out_training_rows_and_restores_best_epoch(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(
        **{**FAST, "max_iter": 40},
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=3,
        random_state=0,
    ).fit(X, y)
    valid = clf.validation_indices_
    assert len(valid) == 60
    assert len(np.unique(valid)) == len(valid)
    # Stratified: each class keeps its share in the validation part.
    np.testing.assert_allclose(
        np.bincount(y[valid]) / 60, np.bincount(y) / 240, atol=0.02
    )
    # As in MLPClassifier: the restored weights are those of the epoch with
    # the best validation accuracy, measured on the held-out rows.
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X[valid], y[valid]) == pytest.approx(clf.best_validation_score_)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_


def test_early_stopping_with_groups_validates_on_unseen_speakers(blobs):
    X, y, groups = blobs
    clf = TorchMLPClassifier(
        **FAST, early_stopping=True, validation_fraction=0.25, random_state=0
    ).fit(X, y, groups=groups)
    valid_speakers = set(groups[clf.validation_indices_])
    train_rows = np.setdiff1d(np.arange(len(X)), clf.validation_indices_)
    assert len(valid_speakers) == 2
    assert valid_speakers.isdisjoint(groups[train_rows])


def test_early_stopping_needs_two_groups(blobs):
    X, y, _ = blobs
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        TorchMLPClassifier(**FAST, early_stopping=True).fit(
            X, y, groups=np.zeros(len(y))
        )


def test_early_stopping_in_cross_validation_never_sees_the_test_fold(blobs):
    """Validation rows come from the training part, speakers from neither side."""
    X, y, groups = blobs
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler(),
            TorchMLPClassifier(
                **FAST, early_stopping=True, random_state=0
            ).set_fit_request(groups=True),
        )
        for train, test in GroupKFold(4).split(X, y, groups):
            pipe.fit(X[train], y[train], groups=groups[train])
            valid_rows = train[pipe[-1].validation_indices_]
            fit_rows = np.setdiff1d(train, valid_rows)
            assert set(groups[valid_rows]).isdisjoint(groups[test])
            assert set(groups[valid_rows]).isdisjoint(groups[fit_rows])


# Fast path and skorch ------------------------------------------------------


class _BatchCounter(Callback):
    """Listens to batches, which makes the net use skorch's own loop."""

    def initialize(self):
        self.batches = 0
        return self

    def on_batch_end(self, net, **kwargs):
        self.batches += 1


def test_validation_scoring_keeps_the_lean_training_loop(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(**FAST, early_stopping=True, random_state=0).fit(X, y)
    assert clf.net_._lean_training
    assert not clf.net_._gradient_events
    clf = TorchMLPClassifier(**FAST, callbacks=[_BatchCounter()]).fit(X, y)
    assert not clf.net_._lean_training


def test_gradient_callbacks_get_the_closure_step(blobs):
    from skorch.callbacks import GradientNormClipping

    X, y, _ = blobs
    clf = TorchMLPClassifier(**FAST, callbacks=[GradientNormClipping(1.0)]).fit(X, y)
    assert clf.net_._gradient_events
    assert clf.n_iter_ > 0


def test_batch_listening_callbacks_see_every_batch_and_change_nothing(blobs):
    X, y, _ = blobs
    counter = _BatchCounter()
    params = {**FAST, "max_iter": 3, "batch_size": 50, "random_state": 0}
    params["early_stopping"] = False  # every row trains
    with_callback = TorchMLPClassifier(**params, callbacks=[counter]).fit(X, y)
    lean = TorchMLPClassifier(**params).fit(X, y)
    assert counter.batches == 3 * 5  # 240 rows in batches of 50, three epochs
    np.testing.assert_allclose(with_callback.loss_curve_, lean.loss_curve_, rtol=1e-6)
    np.testing.assert_array_equal(with_callback.predict_proba(X), lean.predict_proba(X))
    for history in (with_callback.net_.history, lean.net_.history):
        assert history[-1, "train_batch_count"] == 5
        assert history[-1, "batches", -1, "train_batch_size"] == 40


def test_batches_are_views_of_one_tensor_per_epoch():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    from skorch.dataset import Dataset

    iterator = TensorBatchIterator(Dataset(X, y), batch_size=4, shuffle=True)
    batches = list(iterator)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert len({b[0].untyped_storage().data_ptr() for b in batches}) == 1
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10))
    for X_batch, y_batch in batches:  # rows stay paired with their labels
        np.testing.assert_array_equal(X_batch.numpy(), X[y_batch.numpy()])


def test_data_too_big_for_the_gpu_stays_in_host_memory(monkeypatch):
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (1000, 10**9))
    small, big = torch.zeros(100, dtype=torch.int8), torch.zeros(600, dtype=torch.int8)
    assert _fits_on(torch.device("cuda"), small, None)
    assert not _fits_on(torch.device("cuda"), big, None)
    assert _fits_on(torch.device("cpu"), big, None)


# Devices and persistence ----------------------------------------------------


def test_auto_device_on_this_machine(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(**{**FAST, "device": "auto", "max_iter": 1}).fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert clf.device_ == expected
    assert next(clf.module_.parameters()).device.type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_a_gpu_is_a_clear_error(blobs):
    X, y, _ = blobs
    with pytest.raises(ValueError, match="torch sees no CUDA device"):
        TorchMLPClassifier(**{**FAST, "device": "cuda"}).fit(X, y)


def test_pickle_round_trip_predicts_the_same(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(**FAST, random_state=0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.get_params() == clf.get_params()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_model_saved_on_cuda_loads_on_a_cpu_only_machine(blobs):
    """skorch maps CUDA tensors to the CPU on unpickling; prediction follows."""
    X, y, _ = blobs
    clf = TorchMLPClassifier(**FAST, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    assert_loads_on_cpu_as_if_saved_on_cuda(clf, X, expected)


def test_clone_gives_an_unfitted_copy_with_the_same_params(blobs):
    X, y, _ = blobs
    clf = TorchMLPClassifier(**FAST, class_weight="balanced").fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "net_")


# Other sklearn meta-estimators ---------------------------------------------


def test_stacking_and_calibration_accept_the_classifier(blobs):
    X, y, groups = blobs
    stack = StackingClassifier(
        [("mlp", TorchMLPClassifier(**FAST, random_state=0))],
        final_estimator=LogisticRegression(),
        cv=3,
    ).fit(X, y)
    assert stack.score(X, y) > 0.6
    calibrated = CalibratedClassifierCV(
        TorchMLPClassifier(**FAST, random_state=0), cv=3
    )
    proba = calibrated.fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    scores = cross_val_score(
        TorchMLPClassifier(**FAST, random_state=0),
        X,
        y,
        groups=groups,
        cv=GroupKFold(4),
    )
    assert scores.shape == (4,)


@pytest.mark.parametrize("sizes", [(0,), (-3,), (16, 0), (2.5,), 0, (True,)])
def test_layer_sizes_must_be_positive_integers(blobs, sizes):
    X, y, _ = blobs
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        TorchMLPClassifier(**{**FAST, "hidden_layer_sizes": sizes}).fit(X, y)


class _InterruptAtEpoch(Callback):
    """Send this process a SIGINT, as Ctrl-C would, at the end of one epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


@pytest.fixture
def python_sigint_handler():
    """Python's own SIGINT handler, as in a terminal (test runners may differ)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_during_fit_propagates_instead_of_a_cut_short_model(
    blobs, python_sigint_handler
):
    X, y, _ = blobs
    clf = TorchMLPClassifier(**FAST, callbacks=[_InterruptAtEpoch(3)])
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert not hasattr(clf, "n_iter_")
    # The caller's SIGINT handler is restored.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_early_stopping_still_ends_training_quietly(blobs):
    # skorch's EarlyStopping stops training by raising KeyboardInterrupt
    # itself; only a real interrupt may escape.
    X, y, groups = blobs
    clf = TorchMLPClassifier(
        **{**FAST, "max_iter": 200}, early_stopping=True, n_iter_no_change=2
    ).fit(X, y, groups=groups)
    assert clf.n_iter_ < 200


def test_early_stopping_with_a_class_of_one_row_says_what_to_do():
    X = np.random.default_rng(0).random((6, 3))
    with pytest.raises(ValueError, match="each class needs at least 2") as info:
        TorchMLPClassifier(**FAST, early_stopping=True).fit(X, [0, 0, 0, 1, 1, 2])
    assert "groups" not in str(info.value)
