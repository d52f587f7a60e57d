"""The comparison and the search on a Dask cluster of worker processes.

One LocalCluster of two single-threaded worker *processes* (so that models,
data and results really are pickled) serves the whole module: starting one
costs seconds.
"""

import os
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from sklearn_mmer import evaluate_configurations, make_configurations
from sklearn_mmer.cli import main
from sklearn_mmer.evaluation._backend import dask_client
from sklearn_mmer.evaluation._compare import _fit_and_score

distributed = pytest.importorskip("distributed")  # the dask extra; in the test extra

QUICK = ["--demo-samples", "60", "--max-iter", "3", "--folds", "2"]


@pytest.fixture(scope="module")
def client():
    with dask_client("local:2") as client:
        yield client


class DiesOnce(ClassifierMixin, BaseEstimator):
    """Kill the worker process that fits it on one fold, once or every time.

    Column 0 of ``X`` is a row id; the fold is the one whose test part holds
    the row ``die_without`` (its training part lacks it). ``flag`` is a file
    that marks the first death, so that the retry lives, unless ``always``.
    """

    def __init__(self, flag=None, die_without=None, always=False):
        self.flag = flag
        self.die_without = die_without
        self.always = always

    def fit(self, X, y):
        on_the_fold = self.die_without is not None and self.die_without not in X[:, 0]
        if on_the_fold and (self.always or not Path(self.flag).exists()):
            Path(self.flag).touch()
            os._exit(1)  # as a crash in native code or the OOM killer would
        self.model_ = LogisticRegression().fit(X[:, 1:], y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X[:, 1:])


def plain_data(n=60):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    X = np.column_stack([np.arange(n), rng.normal(size=(n, 4)) + y[:, None]])
    return X, y, np.repeat(np.arange(6), n // 6)


def test_study_on_the_cluster_equals_the_local_one(client, emotion_data, monkeypatch):
    configurations = make_configurations(
        ["acoustic", "lexical"], include=["acoustic", "lexical", "late"],
        max_iter=5, random_state=0,
    )  # fmt: skip
    args = (configurations, emotion_data.data, emotion_data.target)
    local = evaluate_configurations(*args, groups=emotion_data.groups, cv=2)

    submitted = []
    submit = client.submit
    monkeypatch.setattr(
        client,
        "submit",
        lambda *args, **kw: submitted.append(args) or submit(*args, **kw),
    )
    with joblib.parallel_config(backend="dask"):
        remote = evaluate_configurations(*args, groups=emotion_data.groups, cv=2)

    pd.testing.assert_frame_equal(remote.predictions, local.predictions)
    columns = ["configuration", "fold", "f1_micro", "f1_macro", "balanced_accuracy"]
    pd.testing.assert_frame_equal(remote.per_fold[columns], local.per_fold[columns])
    # The data went to the cluster once; each fit (2 modalities x 2 folds;
    # the late fusion is assembled from them) got a reference to it.
    carries_data = [
        args
        for args in submitted
        if any(isinstance(a, tuple) and isinstance(a[0], pd.DataFrame) for a in args)
    ]
    assert len(carries_data) == 1
    fits = [args for args in submitted if args[0] is _fit_and_score]
    assert len(fits) == 4
    assert all(isinstance(args[2], distributed.Future) for args in fits)


def test_cli_run_and_search_on_the_cluster_equal_local_ones(client, tmp_path):
    address = client.scheduler.address
    for command, extra, table in [
        ("run", ["--configs", "lexical,late", "--no-figures"], "predictions.csv"),
        ("search", ["--config", "lexical", "--hidden-sizes", "4", "8"],
         "search_results.csv"),
    ]:  # fmt: skip
        local, remote = tmp_path / f"{command}-local", tmp_path / f"{command}-dask"
        assert main([command, *QUICK, *extra, "--out", str(local), "-q"]) == 0
        assert (
            main(
                [command, *QUICK, *extra, "--out", str(remote), "-q", "--dask", address]
            )
            == 0
        )
        left, right = pd.read_csv(local / table), pd.read_csv(remote / table)
        scores = [c for c in left.columns if "time" not in c]
        pd.testing.assert_frame_equal(left[scores], right[scores])


def test_a_worker_that_dies_once_does_not_lose_the_study(client, tmp_path):
    X, y, groups = plain_data()
    flag = tmp_path / "died"
    reference = evaluate_configurations(
        {"model": DiesOnce()}, X, y, groups=groups, cv=3
    )
    dying = {"model": DiesOnce(str(flag), die_without=float(groups.tolist().index(4)))}
    with joblib.parallel_config(backend="dask"):
        result = evaluate_configurations(dying, X, y, groups=groups, cv=3)
    assert flag.exists()  # a worker did die
    pd.testing.assert_frame_equal(result.predictions, reference.predictions)


def test_workers_that_keep_dying_name_the_fit(client, tmp_path):
    X, y, groups = plain_data()
    scheduler = client.cluster.scheduler
    allowed = scheduler.allowed_failures
    scheduler.allowed_failures = 0  # no retry: the first death is final
    dying = DiesOnce(str(tmp_path / "died"), die_without=float(0), always=True)
    try:
        with (
            joblib.parallel_config(backend="dask"),
            pytest.raises(RuntimeError, match=r"'model' on fold \d.*tcp://"),
        ):
            evaluate_configurations({"model": dying}, X, y, groups=groups, cv=3)
    finally:
        scheduler.allowed_failures = allowed
