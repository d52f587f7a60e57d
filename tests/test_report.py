import json
import re
import shutil
from dataclasses import FrozenInstanceError

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
    RunMetadata,
    format_mean_std,
    plot_comparison,
    plot_confusion_matrices,
    plot_per_class_f1,
)
from sklearn_mmer.report import _write as report_write
from sklearn_mmer.report._write import REPORT_ENTRIES, holds_report, report_entries


@pytest.fixture(scope="module")
def result():
    data = make_emotion_dataset(
        n_samples=90,
        dims={"visual": 6, "acoustic": 4, "lexical": 5},
        missing_rate=0.1,
        random_state=1,
    )
    # Two rows with neither modality: no configuration, not even late fusion
    # (which votes over the modalities a row has), can use them.
    data.data.loc[data.data.index[[4, 9]], ["acoustic", "lexical"]] = None
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
    assert len(pngs) == 7  # with the paired comparison
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
    assert len(images) == 7
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


def test_metadata_as_dict_or_object_is_recorded_alike(result, tmp_path):
    facts = {"command": "sklearn-mmer run", "fold_speakers": [["a"], ["b"]]}
    typed = RunMetadata(command="sklearn-mmer run", fold_speakers=[["a"], ["b"]])
    assert RunMetadata.coerce(facts) == typed
    dict_metadata = {**facts, "note": 1}
    write_report(result, tmp_path / "dict", metadata=dict_metadata, figures=False)
    typed = RunMetadata(
        command=typed.command, fold_speakers=typed.fold_speakers, extra={"note": 1}
    )
    write_report(result, tmp_path / "typed", metadata=typed, figures=False)
    records = [
        json.loads((tmp_path / name / "results.json").read_text())["metadata"]
        for name in ("dict", "typed")
    ]
    assert records[0] == records[1] == {**facts, "note": 1}


def test_run_metadata_is_frozen_and_copies_what_it_is_given():
    arguments = {"seed": 1}
    metadata = RunMetadata(arguments=arguments)
    arguments["seed"] = 2
    assert metadata.arguments["seed"] == 1
    with pytest.raises(FrozenInstanceError):
        metadata.command = "changed"
    with pytest.raises(TypeError):
        metadata.arguments["seed"] = 3
    with pytest.raises(TypeError, match="RunMetadata or a dict"):
        RunMetadata.coerce(["command"])


def folder_state(folder):
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_earlier_report_as_it_was(
    report, result, tmp_path, monkeypatch, error
):
    out = tmp_path / "out"
    shutil.copytree(report[0], out)
    before = folder_state(out)

    def fail(*args, **kwargs):
        raise error

    # Fails after the tables are written, before the JSON.
    monkeypatch.setattr(report_write, "environment", fail)
    with pytest.raises(type(error)):
        write_report(result, out, metadata={"command": "second"}, figures=False)
    assert folder_state(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no leftovers


def test_a_new_report_replaces_the_earlier_one_whole(report, result, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(report[0], out)
    (out / "notes.txt").write_text("mine")
    assert holds_report(out)
    paths = write_report(result, out, figures=False)
    assert written_files(out) == {
        p.relative_to(out).as_posix() for p in paths.values()
    } | {"notes.txt"}
    assert not (out / "figures").exists()  # no figure of the earlier report stays
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_report_goes_into_a_new_or_empty_folder(result, tmp_path):
    (tmp_path / "empty").mkdir()
    for name in ("empty", "new/nested"):
        assert not holds_report(tmp_path / name)
        paths = write_report(result, tmp_path / name, figures=False)
        assert paths["report"] == tmp_path / name / "report.md"
        assert paths["report"].is_file()


def test_an_output_folder_that_is_a_file_is_refused(result, tmp_path):
    out = tmp_path / "results"
    out.write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="is an existing file"):
        write_report(result, out, figures=False)
    assert out.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


def test_report_entries_name_everything_a_report_writes(report, tmp_path):
    out, _ = report
    # Every entry a report can write; this one has no modality contributions.
    # A file a report writes but REPORT_ENTRIES lacks is one --out could
    # hold an input at: add it there.
    assert {entry.name for entry in out.iterdir()} <= set(REPORT_ENTRIES) - {
        "modality_importance.csv",
        "modality_importance_summary.csv",
    }
    assert report_entries(tmp_path) == set(REPORT_ENTRIES)
    (tmp_path / "results.json").write_text('{"files": {"a": "../../x"}}')
    assert report_entries(tmp_path) == set(REPORT_ENTRIES)  # not a report's
