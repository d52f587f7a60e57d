import json
import re

import numpy as np
import pytest
from conftest import assert_png, report_files, written_files
from matplotlib.figure import Figure

from sklearn_mmer import (
    evaluate_configurations,
    format_summary,
    make_configurations,
    make_emotion_dataset,
    write_report,
)
from sklearn_mmer.evaluation import METRICS
from sklearn_mmer.report import (
    format_mean_std,
    plot_comparison,
    plot_confusion_matrices,
    plot_per_class_f1,
)


@pytest.fixture(scope="module")
def result():
    data = make_emotion_dataset(
        n_samples=90,
        dims={"visual": 6, "acoustic": 4, "lexical": 5},
        missing_rate=0.1,
        random_state=1,
    )
    configurations = make_configurations(
        ["acoustic", "lexical"], max_iter=3, random_state=0
    )
    return evaluate_configurations(
        configurations,
        data.data,
        data.target,
        groups=data.groups,
        cv=2,
        target_names=data.target_names,
    )


@pytest.fixture(scope="module")
def report(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    metadata = {
        "command": "sklearn-mmer run --folds 2",
        "data": {"description": "tiny demo"},
        "fold_speakers": [["Ses01F"], ["Ses01M"]],
    }
    return out, write_report(result, out, metadata=metadata)


def test_every_file_is_written(report, result):
    out, paths = report
    expected = report_files(result.summary.index)
    written = written_files(out)
    assert written == expected
    assert {p.relative_to(out).as_posix() for p in paths.values()} == expected


def test_figures_are_valid_pngs(report):
    out, _ = report
    pngs = sorted(out.glob("figures/*.png"))
    assert len(pngs) == 6
    for path in pngs:
        assert_png(path)


def test_json_holds_the_table_and_what_is_needed_to_redo_it(report, result):
    out, _ = report
    record = json.loads((out / "results.json").read_text())
    summary = {row["configuration"]: row for row in record["summary"]}
    assert list(summary) == list(result.summary.index)
    for name, row in result.summary.iterrows():
        assert summary[name]["f1_micro_mean"] == pytest.approx(row["f1_micro_mean"])
        assert summary[name]["rank"] == row["rank"]
    assert len(record["per_fold"]) == len(result.per_fold)
    assert record["configurations"]["early"]["params"]["classifier__max_iter"] == 3
    assert "TorchMLPClassifier" in record["configurations"]["late"]["estimator"]
    assert [f["test_groups"] for f in record["folds"]] == list(
        result.folds["test_groups"]
    )
    assert {"scikit-learn", "torch", "skorch"} <= set(record["environment"]["packages"])
    assert record["devices"] == ["cpu"]
    assert len(record["excluded"]) == len(result.excluded) > 0
    assert record["metadata"]["fold_speakers"] == [["Ses01F"], ["Ses01M"]]
    assert np.array(record["confusion_matrices"]["lexical"]).shape == (2, 4, 4)


def test_text_table_matches_the_json(report, result):
    out, _ = report
    record = json.loads((out / "results.json").read_text())
    lines = (out / "summary.txt").read_text().splitlines()
    assert lines[0].split()[:2] == ["Rank", "Configuration"]
    for line, row in zip(lines[1:], record["summary"], strict=True):
        rank, name, *cells = re.split(r"\s{2,}", line.strip())
        assert (int(rank), name) == (row["rank"], row["configuration"])
        for cell, metric in zip(cells, METRICS, strict=False):
            assert cell == format_mean_std(row[f"{metric}_mean"], row[f"{metric}_std"])


def test_report_md_links_every_figure_relatively(report):
    out, _ = report
    text = (out / "report.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(images) == 6
    for link in images:
        assert not link.startswith("/")
        assert (out / link).is_file()
    assert format_summary_markdown_lines(out) <= set(text.splitlines())
    assert "sklearn-mmer run --folds 2" in text
    assert "left out of every configuration" in text
    assert "Held-out speakers" in text


def format_summary_markdown_lines(out):
    return set((out / "summary.md").read_text().splitlines())


def test_markdown_table_has_a_row_per_configuration(result):
    lines = format_summary(result, "markdown").splitlines()
    assert len(lines) == 2 + len(result.summary)
    assert all(line.startswith("| ") and line.endswith(" |") for line in lines)


def test_format_summary_rejects_unknown_styles(result):
    with pytest.raises(ValueError, match="style"):
        format_summary(result, "html")


def test_plot_functions_return_figures(result):
    for figure in (
        plot_comparison(result),
        plot_per_class_f1(result),
        plot_confusion_matrices(result, "late"),
    ):
        assert isinstance(figure, Figure)


def test_without_figures_nothing_is_drawn(result, tmp_path):
    paths = write_report(result, tmp_path, figures=False)
    assert not (tmp_path / "figures").exists()
    assert "![" not in paths["report"].read_text()
