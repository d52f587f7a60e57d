"""The command line's protocols, repeats, statistics, label names and search."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import assert_png
from sklearn.model_selection import GroupKFold

from sklearn_mmer import make_configurations, make_emotion_dataset, write_feature_set
from sklearn_mmer.cli import main
from sklearn_mmer.cli._run import classifier_params
from sklearn_mmer.evaluation import search_configuration

QUICK = ["--demo-samples", "60", "--max-iter", "3", "-q"]


def run_main(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_repeats_double_the_fits_and_never_share_a_speaker(capsys, tmp_path):
    status, _, _ = run_main(
        capsys, "run", *QUICK, "--folds", "2", "--configs", "lexical,acoustic",
        "--importance", "none", "--no-figures", "--repeats", "2",
        "--out", str(tmp_path / "two"),
    )  # fmt: skip
    assert status == 0
    two = json.loads((tmp_path / "two" / "results.json").read_text())
    # 2 configurations x 2 folds, twice: the fits of one repeat, doubled.
    assert len(two["per_fold"]) == 2 * 2 * 2
    assert [f["repeat"] for f in two["folds"]] == [0, 0, 1, 1]
    demo = make_emotion_dataset(60, random_state=0)
    speakers = pd.Series(demo.groups, index=demo.data.index)
    predictions = pd.read_csv(tmp_path / "two" / "predictions.csv")
    held_out = {f["fold"]: set(f["test_groups"]) for f in two["folds"]}
    for repeat in (0, 1):
        # The held-out speakers of a repeat's folds partition the speakers, so
        # a fold trains only on speakers other folds hold out.
        sets = [held_out[f["fold"]] for f in two["folds"] if f["repeat"] == repeat]
        assert set().union(*sets) == set(speakers)
        assert sum(map(len, sets)) == len(set(speakers))
    for fold, rows in predictions.groupby("fold"):
        assert set(speakers[rows["row"]]) == held_out[fold]
    assert "repeated 2 times" in two["protocol"]["description"]
    assert "### Spread of F1-micro" in (tmp_path / "two" / "report.md").read_text()


def test_loso_holds_out_one_session_per_fold_and_says_so(capsys, tmp_path):
    status, _, _ = run_main(
        capsys, "run", *QUICK, "--protocol", "loso", "--configs", "lexical,acoustic",
        "--importance", "none", "--reference", "acoustic", "--rope", "2",
        "--scoring", "UA", "--out", str(tmp_path),
    )  # fmt: skip
    assert status == 0
    record = json.loads((tmp_path / "results.json").read_text())
    assert [len(f["test_groups"]) for f in record["folds"]] == [1] * 5
    assert all(f["test_groups"][0].startswith("Session") for f in record["folds"])
    sentence = record["protocol"]["description"]
    assert sentence.startswith("Leave-one-session-out cross-validation (5 folds")
    assert sentence in (tmp_path / "report.md").read_text()
    assert record["protocol"]["scoring"] == "balanced_accuracy"
    pairs = record["pairwise"]
    assert pairs["settings"]["reference"] == "acoustic"
    assert pairs["settings"]["rope"] == pytest.approx(0.02)
    assert [(p["first"], p["second"]) for p in pairs["pairs"]] == [
        ("lexical", "acoustic")
    ]
    csv = pd.read_csv(tmp_path / "pairwise.csv")
    assert csv["p_holm"].tolist() == pytest.approx([pairs["pairs"][0]["p_holm"]])
    assert_png(tmp_path / "figures" / "pairwise.png")


def test_fusion_gets_modality_importance(capsys, tmp_path):
    status, _, _ = run_main(
        capsys, "run", *QUICK, "--folds", "2", "--configs", "early",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert status == 0
    table = pd.read_csv(tmp_path / "modality_importance.csv")
    assert set(table["method"]) == {"permutation", "leave_out"}
    assert set(table["modality"]) == {"visual", "acoustic", "lexical"}
    record = json.loads((tmp_path / "results.json").read_text())
    assert len(record["modality_importance"]["summary"]) == 6
    assert "## Modality contribution" in (tmp_path / "report.md").read_text()
    assert_png(tmp_path / "figures" / "modality_importance.png")


@pytest.fixture
def binary_set(tmp_path):
    demo = make_emotion_dataset(
        n_samples=40, dims={"acoustic": 4, "lexical": 6}, random_state=0
    )
    folder = write_feature_set(demo, tmp_path / "set", archive=False)
    table = pd.read_csv(folder / "dataset.csv", dtype=str, keep_default_na=False)
    table["emotion_labels"] = [str(i % 2) for i in range(len(table))]
    table.to_csv(folder / "dataset.csv", index=False)
    return folder


def test_a_binary_set_is_shown_as_its_labels_with_a_note(capsys, binary_set, tmp_path):
    out = tmp_path / "out"
    status, _, _ = run_main(
        capsys, "run", str(binary_set), "--max-iter", "2", "--folds", "2", "-q",
        "--configs", "lexical", "--out", str(out),
    )  # fmt: skip
    assert status == 0
    record = json.loads((out / "results.json").read_text())
    assert [c["name"] for c in record["classes"]] == ["0", "1"]
    assert record["class_names_given"] is False
    report = (out / "report.md").read_text()
    assert "anger" not in report and "--target-names" in report


def test_target_names_name_the_classes_everywhere(capsys, binary_set, tmp_path):
    out = tmp_path / "out"
    status, _, _ = run_main(
        capsys, "run", str(binary_set), "--max-iter", "2", "--folds", "2", "-q",
        "--configs", "lexical", "--target-names", "negative,positive",
        "--out", str(out),
    )  # fmt: skip
    assert status == 0
    record = json.loads((out / "results.json").read_text())
    assert [c["name"] for c in record["classes"]] == ["negative", "positive"]
    assert set(pd.read_csv(out / "per_class.csv")["class"]) == {
        "negative", "positive",
    }  # fmt: skip
    assert "negative" in (out / "report.md").read_text()
    status, _, stderr = run_main(
        capsys, "run", str(binary_set), "--folds", "2", "-q", "--configs",
        "lexical", "--target-names", "a,b,c", "--out", str(out),
    )  # fmt: skip
    assert status == 2 and "target_names gives 3 label names" in stderr
    status, _, stderr = run_main(
        capsys, "search", *QUICK, "--target-names", "a,b", "--out", str(out)
    )
    assert status == 2 and "--target-names gives 2 name(s)" in stderr


def test_search_configuration_and_the_command_agree(capsys, tmp_path):
    argv = ["search", *QUICK, "--folds", "2", "--repeats", "2", "--config",
            "lexical", "--hidden-sizes", "4", "8", "--out", str(tmp_path)]  # fmt: skip
    status, stdout, _ = run_main(capsys, *argv)
    assert status == 0
    record = json.loads((tmp_path / "search.json").read_text())

    data = make_emotion_dataset(60, random_state=0)
    from sklearn_mmer.preprocessing import pool_table

    args = type("Args", (), {"max_iter": 3, "early_stopping": True,
                             "device": "auto", "seed": 0})()  # fmt: skip
    estimator = make_configurations(
        list(data.data.columns), include=["lexical"], **classifier_params(args)
    )["lexical"]
    result = search_configuration(
        estimator, {"hidden_layer_sizes": [(4,), (8,)]}, pool_table(data.data),
        data.target, groups=data.groups, cv=2, n_repeats=2, random_state=0,
        name="lexical",
    )  # fmt: skip
    assert isinstance(result.cv, GroupKFold) and result.cv.n_splits == 2
    assert record["best_params"] == {
        "hidden_layer_sizes": list(result.best_params["hidden_layer_sizes"])
    }
    for row, candidate in zip(
        record["candidates"], result.candidates.to_dict("records"), strict=True
    ):
        assert row["f1_micro_mean"] == pytest.approx(candidate["f1_micro_mean"])
        assert row["balanced_accuracy_std"] == pytest.approx(
            candidate["balanced_accuracy_std"]
        )
    assert record["folds"] == [list(g) for g in result.folds["test_groups"]]
    assert np.isfinite([c["accuracy_mean"] for c in record["candidates"]]).all()
    assert "Best parameters for lexical" in stdout


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--reference", "text"], "--reference text: not one of the configurations"),
        (["--rope", "-1"], "--rope"),
        (["--scoring", "auc"], "scoring='auc'"),
        (["--protocol", "loocv"], "invalid choice"),
    ],
)
def test_bad_statistics_options_are_refused(capsys, tmp_path, argv, message):
    status, _, stderr = run_main(
        capsys, "run", *QUICK, "--configs", "lexical,acoustic", *argv,
        "--out", str(tmp_path),
    )  # fmt: skip
    assert status == 2 and message in stderr
    assert not (tmp_path / "results.json").exists()
