"""Classical baselines beside the networks, and any classifier in the study."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import sklearn
from matplotlib.container import BarContainer
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.svm import SVC

from sklearn_mmer import (
    GroupedStackingClassifier,
    evaluate_configurations,
    make_configurations,
    make_emotion_dataset,
    make_late_fusion,
    make_unimodal,
    write_report,
)
from sklearn_mmer.cli import main
from sklearn_mmer.evaluation import METRICS, is_baseline
from sklearn_mmer.evaluation._reuse import reusable_votes
from sklearn_mmer.fusion import request_groups
from sklearn_mmer.report import format_summary, plot_comparison

DIMS = {"visual": 16, "acoustic": 8, "lexical": 12}
MODALITIES = list(DIMS)


@pytest.fixture(scope="module")
def data():
    return make_emotion_dataset(
        n_samples=120, dims=DIMS, missing_rate=0.1, random_state=0
    )


def test_baselines_follow_every_configuration():
    configurations = make_configurations(MODALITIES, baselines=True, max_iter=3)
    base = ["visual", "acoustic", "lexical", "early", "late"]
    assert list(configurations) == [
        *base,
        *(f"{name} [logreg]" for name in base),
        *(f"{name} [svc]" for name in base),
    ]
    assert [is_baseline(name) for name in configurations] == [False] * 5 + [True] * 10
    early_svc = configurations["early [svc]"]
    assert isinstance(early_svc[-1], SVC)
    # The same pooled, scaled inputs as the network's configuration.
    network_steps = configurations["early"][:-1].get_params()
    assert repr(early_svc[:-1].get_params()) == repr(network_steps)
    late_logreg = configurations["late [logreg]"]
    assert late_logreg.voting == "hard"
    assert {type(m[-1]) for _, m in late_logreg.estimators} == {LogisticRegression}
    assert late_logreg.get_params()["lexical__classifier__C"] == 0.01


def test_baselines_can_be_chosen_and_stacking_is_on_request():
    only = make_configurations(
        ["acoustic", "lexical"], include=["lexical", "stacking"], baselines=["svc"]
    )
    assert list(only) == ["lexical", "stacking", "lexical [svc]", "stacking [svc]"]
    stacking_svc = only["stacking [svc]"]
    assert isinstance(stacking_svc, GroupedStackingClassifier)
    assert isinstance(stacking_svc.estimators[0][1][-1], CalibratedClassifierCV)
    assert "stacking" not in make_configurations(["acoustic", "lexical"])
    with pytest.raises(ValueError, match="Unknown baseline"):
        make_configurations(["lexical"], baselines=["forest"])


def test_make_configurations_passes_any_classifier():
    configurations = make_configurations(
        ["acoustic", "lexical"], classifier=LogisticRegression(C=0.5)
    )
    assert configurations["early"].get_params()["classifier__C"] == 0.5
    assert configurations["late"].get_params()["lexical__classifier__C"] == 0.5


def test_baselines_are_scored_on_the_same_rows_and_folds(data):
    configurations = make_configurations(
        ["acoustic", "lexical"], include=["lexical"], baselines=True, max_iter=2
    )
    result = evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups, cv=3
    )
    assert set(result.summary.index) == {"lexical", "lexical [logreg]", "lexical [svc]"}
    rows = result.predictions.groupby("configuration")[["fold", "row"]]
    reference = rows.get_group("lexical").to_numpy()
    for name in ("lexical [logreg]", "lexical [svc]"):
        np.testing.assert_array_equal(rows.get_group(name).to_numpy(), reference)
    # No network inside: nothing trained by epochs, no device.
    baseline_folds = result.per_fold[result.per_fold["configuration"] != "lexical"]
    assert baseline_folds["n_iter"].isna().all()


def test_shortcuts_are_exact_for_classical_classifiers(data):
    """Pooling once and reusing the unimodal models inside late fusion give
    the predictions of refitting every configuration on the raw frames, on
    its own rows (late fusion also keeps rows with missing cells)."""
    configurations = {
        name: estimator
        for name, estimator in make_configurations(
            ["acoustic", "lexical"], baselines=True
        ).items()
        if is_baseline(name)
    }
    trees = HistGradientBoostingClassifier(max_iter=5, random_state=0)
    configurations["acoustic [trees]"] = make_unimodal("acoustic", classifier=trees)
    configurations["late [mixed]"] = make_late_fusion(
        ["acoustic"], classifier={"acoustic": trees}
    )
    configurations["stacking [logreg]"] = make_configurations(
        ["acoustic", "lexical"], include=["stacking"], baselines=["logreg"]
    )["stacking [logreg]"].set_params(cv=2)
    assert set(reusable_votes(configurations)) == {
        "late [logreg]",
        "late [svc]",
        "late [mixed]",
    }
    X, y, groups = data.data, data.target, data.groups
    result = evaluate_configurations(configurations, X, y, groups=groups, cv=3)
    used = np.setdiff1d(np.arange(len(X)), result.excluded["position"])
    X, y, groups = X.iloc[used], y[used], groups[used]
    predictions = result.predictions.set_index(["configuration", "fold"])["y_pred"]
    for name, estimator in configurations.items():
        own = result.rows_used[name].to_numpy()
        for fold, (all_train, all_test) in enumerate(result.splits):
            train, test = all_train[own[all_train]], all_test[own[all_test]]
            with sklearn.config_context(enable_metadata_routing=True):
                model = request_groups(clone(estimator))
                fit_params = (
                    {"groups": groups[train]}
                    if model.get_metadata_routing().consumes("fit", ["groups"])
                    else {}
                )
                model.fit(X.iloc[train], y[train], **fit_params)
            np.testing.assert_array_equal(
                model.predict(X.iloc[test]),
                predictions.loc[(name, fold)].to_numpy(),
                err_msg=f"{name}, fold {fold}",
            )


@pytest.fixture(scope="module")
def baseline_result(data):
    configurations = make_configurations(
        ["acoustic", "lexical"], include=["lexical", "late"], baselines=True
    )
    # A non-baseline configuration without the (slower) network.
    configurations["lexical"] = make_unimodal(
        "lexical", classifier=LogisticRegression()
    )
    del configurations["late"]
    return evaluate_configurations(
        configurations, data.data, data.target, groups=data.groups, cv=3
    )


def test_the_table_marks_the_baselines(baseline_result):
    lines = format_summary(baseline_result).splitlines()
    assert lines[0].split()[:3] == ["Rank", "Configuration", "Baseline"]
    marks = {}
    for line in lines[1:]:
        _, name, mark, *_ = re.split(r"\s{2,}", line.strip())
        marks[name] = mark
    assert marks == {
        "lexical": "no",
        "lexical [logreg]": "yes",
        "lexical [svc]": "yes",
        "late [logreg]": "yes",
        "late [svc]": "yes",
    }


def test_no_baseline_column_without_baselines(data):
    result = evaluate_configurations(
        {"lexical": make_unimodal("lexical", classifier=LogisticRegression())},
        data.data,
        data.target,
        groups=data.groups,
        cv=3,
    )
    assert "Baseline" not in format_summary(result)


def test_json_and_markdown_mark_the_baselines(baseline_result, tmp_path):
    write_report(baseline_result, tmp_path, figures=False)
    record = json.loads((tmp_path / "results.json").read_text())
    flags = {name: c["baseline"] for name, c in record["configurations"].items()}
    assert flags == {name: name != "lexical" for name in baseline_result.configurations}
    report = (tmp_path / "report.md").read_text()
    assert "| Rank | Configuration | Baseline |" in report
    assert "`[svc]` is `SVC()`" in report


def test_the_figure_hatches_the_baselines(baseline_result):
    figure = plot_comparison(baseline_result)
    ax = figure.axes[0]
    names = [label.get_text() for label in ax.get_xticklabels()]
    assert names == list(baseline_result.summary.index)
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == len(METRICS)  # one per metric
    for container in bars:
        hatched = [bool(bar.get_hatch()) for bar in container.patches]
        assert hatched == [is_baseline(name) for name in names]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "Classical baseline" in legend


def test_command_line_baselines_add_rows_on_the_same_folds(capsys, tmp_path):
    argv = ["run", "--demo-samples", "60", "--max-iter", "3", "--folds", "2"]
    argv += ["--configs", "lexical", "--baselines", "--no-figures"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    stdout = capsys.readouterr().out
    assert "Baseline" in stdout.splitlines()[0]
    record = json.loads((tmp_path / "results.json").read_text())
    assert {n: c["baseline"] for n, c in record["configurations"].items()} == {
        "lexical": False,
        "lexical [logreg]": True,
        "lexical [svc]": True,
    }
    per_fold = pd.DataFrame(record["per_fold"])
    # Every configuration, the same test rows in each fold.
    sizes = per_fold.groupby("fold")[["n_train", "n_test"]].agg(set)
    assert sizes.map(len).eq(1).all().all()
    assert per_fold.groupby("fold").size().eq(3).all()
    assert record["metadata"]["arguments"]["baselines"] is True
