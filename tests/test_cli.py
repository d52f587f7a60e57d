import json
import os
import re
import subprocess
import sys

import pytest
from conftest import assert_png, report_files, written_files

from sklearn_mmer import __version__
from sklearn_mmer.cli import main
from sklearn_mmer.evaluation import METRICS
from sklearn_mmer.report import format_mean_std

# Small and quick: a few utterances of demo data, three epochs, two folds.
QUICK = ["--demo-samples", "60", "--max-iter", "3", "--folds", "2"]


def run_main(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def table_rows(stdout):
    """The ranked table's data rows, as (rank, name, cells)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Rank"))
    rows = []
    for line in lines[start + 1 :]:
        if not re.match(r"^\s*\d+\s", line):
            break
        rank, name, *cells = re.split(r"\s{2,}", line.strip())
        rows.append((int(rank), name, cells))
    return rows


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    status = main(["run", *QUICK, "--out", str(out), "--seed", "3"])
    return status, out


def test_run_on_demo_data_writes_every_file(demo_run):
    status, out = demo_run
    assert status == 0
    names = ["visual", "acoustic", "lexical", "early", "late"]
    expected = report_files(names, importance=True)
    written = written_files(out)
    # Beside the report, each finished fit (kept for --resume).
    fits = {name for name in written if name.startswith("fits/")}
    assert written - fits == expected
    assert "fits/fingerprint.json" in fits
    assert len(fits) == 1 + len(names) * 2  # 2 folds
    for path in out.glob("figures/*.png"):
        assert_png(path)


def test_printed_table_matches_the_json(capsys, tmp_path):
    status, stdout, _ = run_main(
        capsys, "run", *QUICK, "--configs", "acoustic,late", "--out", str(tmp_path)
    )
    assert status == 0
    record = json.loads((tmp_path / "results.json").read_text())
    rows = table_rows(stdout)
    assert len(rows) == len(record["summary"]) == 2
    for (rank, name, cells), row in zip(rows, record["summary"], strict=True):
        assert (rank, name) == (row["rank"], row["configuration"])
        for cell, metric in zip(cells, METRICS, strict=False):
            assert cell == format_mean_std(row[f"{metric}_mean"], row[f"{metric}_std"])
    assert (tmp_path / "summary.txt").read_text().strip() in stdout


def test_json_records_parameters_folds_versions_and_device(demo_run):
    _, out = demo_run
    record = json.loads((out / "results.json").read_text())
    params = record["configurations"]["early"]["params"]
    assert params["classifier__max_iter"] == 3
    assert params["classifier__random_state"] == 3
    assert record["metadata"]["arguments"]["seed"] == 3
    assert record["metadata"]["command"].startswith("sklearn-mmer run")
    speakers = record["metadata"]["fold_speakers"]
    assert len(speakers) == 2
    assert set(speakers[0]).isdisjoint(speakers[1])
    assert record["environment"]["packages"]["torch"]
    assert record["devices"] == ["cpu"]
    assert record["metadata"]["data"]["n_rows"] == 60


def test_configurations_and_grouping_options(capsys, tmp_path):
    status, stdout, _ = run_main(
        capsys,
        "run",
        *QUICK,
        "--configs",
        "lexical",
        "--group-by",
        "session",
        "--early-stopping",
        "--no-figures",
        "--out",
        str(tmp_path),
    )
    assert status == 0
    assert [name for _, name, _ in table_rows(stdout)] == ["lexical"]
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["configurations"]["lexical"]["params"]["classifier__early_stopping"]
    for fold in record["folds"]:
        assert all(group.startswith("Session") for group in fold["test_groups"])
    assert not (tmp_path / "figures").exists()


def test_quiet_prints_only_the_table(capsys, tmp_path):
    status, stdout, stderr = run_main(
        capsys, "run", *QUICK, "--configs", "lexical", "--quiet", "--out", str(tmp_path)
    )
    assert status == 0
    assert stderr == ""
    assert stdout.startswith("Rank")


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys, tmp_path):
    status, _, stderr = run_main(
        capsys, "run", *QUICK, "--configs", "lexical", "--out", str(tmp_path)
    )
    assert status == 0
    assert "\r" not in stderr and "fit/s" not in stderr
    assert "Report:" in stderr


def test_a_second_run_says_it_replaces_the_report(capsys, tmp_path):
    argv = ["run", *QUICK, "--configs", "lexical", "--no-figures", "--out"]
    status, _, stderr = run_main(capsys, *argv, str(tmp_path))
    assert status == 0
    assert "Replacing" not in stderr
    status, _, stderr = run_main(capsys, *argv, str(tmp_path))
    assert status == 0
    replacing = [line for line in stderr.splitlines() if "Replacing" in line]
    assert replacing == [f"Replacing the earlier report in {tmp_path}."]


def test_search_end_to_end(capsys, tmp_path):
    status, stdout, _ = run_main(
        capsys,
        "search",
        *QUICK,
        "--config",
        "late",
        "--hidden-sizes",
        "8",
        "16,8",
        "--param",
        "learning_rate_init=1e-3,1e-2",
        "--out",
        str(tmp_path),
    )
    assert status == 0
    assert "Best parameters for late" in stdout
    record = json.loads((tmp_path / "search.json").read_text())
    assert len(record["candidates"]) == 4
    ranks = [c["rank"] for c in record["candidates"]]
    assert ranks == sorted(ranks)
    best = record["best_params"]
    assert set(best) == {"hidden_layer_sizes", "learning_rate_init"}
    # Late fusion: every modality's classifier got the same candidate values.
    paths = record["best_params_paths"]
    assert {k.split("__")[0] for k in paths} == {"visual", "acoustic", "lexical"}
    assert len({str(v) for k, v in paths.items() if "hidden" in k}) == 1
    assert f"{best['learning_rate_init']!r}" in stdout
    assert (tmp_path / "search_results.csv").is_file()
    assert "# Grid search: late" in (tmp_path / "search.md").read_text()


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice"),
        (["run", "--folds", "1"], "--folds: must be at least 2"),
        (["run", "--folds", "many"], "expected an integer"),
        (["run", "--n-jobs", "0"], "--n-jobs"),
        (["run", "--group-by", "room"], "invalid choice"),
        (["run", "--configs", ","], "comma-separated"),
        (["search", "--hidden-sizes", "0"], "layer widths"),
        (["search", "--param", "nonsense"], "NAME=V1,V2"),
    ],
)
def test_bad_arguments_exit_2_with_usage(capsys, argv, message):
    status, _, stderr = run_main(capsys, *argv)
    assert status == 2
    assert message in stderr
    assert "usage:" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "/no/such/features.zip"], "does not exist"),
        (["run", "--csv", "dataset.csv"], "no DATA"),
        (["run", "--device", "tpu:0"], "not a torch device"),
        (["run", *QUICK, "--configs", "visual,smell"], "--configs"),
        (["run", "--demo-samples", "20", "--folds", "11"], "Lower --folds"),
        (["search", *QUICK, "--config", "smell"], "--config"),
        (["search", *QUICK, "--param", "bogus=1,2"], "no parameter 'bogus'"),
        (["search", *QUICK, "--param", "dropout=0,1.5"], "dropout"),
        (["search", *QUICK, "--param", "hidden_layer_sizes=8"], "--hidden-sizes"),
    ],
)
def test_bad_input_exits_2_with_one_paragraph(capsys, tmp_path, argv, message):
    status, _, stderr = run_main(capsys, *argv, "--out", str(tmp_path))
    assert status == 2
    assert message in stderr
    assert "Traceback" not in stderr
    error_lines = [line for line in stderr.splitlines() if "error:" in line]
    assert len(error_lines) == 1


def test_help_and_version_exit_0(capsys):
    status, stdout, _ = run_main(capsys, "run", "--help")
    assert status == 0
    assert "--early-stopping" in stdout and "--group-by" in stdout
    status, stdout, _ = run_main(capsys, "--version")
    assert status == 0
    assert __version__ in stdout


def test_python_dash_m_runs_the_command(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "sklearn_mmer", "run", *QUICK, "--configs", "lexical",
         "--quiet", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Rank")
    assert (tmp_path / "report.md").is_file()


# Feature sets on disk, in the layout users bring.

SMALL_DIMS = {"visual": 6, "acoustic": 4, "lexical": 5}


def write_demo_set(path, *, modalities=None, archive=True, rename=False):
    from sklearn_mmer import make_emotion_dataset, write_feature_set

    demo = make_emotion_dataset(n_samples=50, dims=SMALL_DIMS, random_state=0)
    if modalities is not None:
        demo.data = demo.data[modalities]
    if rename:
        # Ids that tell no session, and no sessions given.
        demo.data.index = [f"utt{i:03d}" for i in range(len(demo.data))]
        demo.pop("sessions")
    return write_feature_set(demo, path, archive=archive)


def test_run_on_a_feature_set_with_two_modalities(capsys, tmp_path):
    archive = write_demo_set(
        tmp_path / "features.zip", modalities=["acoustic", "lexical"]
    )
    out = tmp_path / "out"
    status, stdout, _ = run_main(capsys, "run", str(archive), "--max-iter", "3",
                                 "--folds", "2", "--out", str(out))  # fmt: skip
    assert status == 0
    names = {name for _, name, _ in table_rows(stdout)}
    assert names == {"acoustic", "lexical", "early", "late"}
    record = json.loads((out / "results.json").read_text())
    assert set(record["metadata"]["data"]["modalities"]) == {"acoustic", "lexical"}
    assert record["metadata"]["data"]["source"] == str(archive)
    assert (out / "figures" / "confusion_late.png").is_file()


def test_a_broken_file_stops_the_run_unless_skipped(capsys, tmp_path):
    folder = write_demo_set(tmp_path / "features", archive=False)
    broken = sorted((folder / "features" / "acoustic_features").rglob("*.npy"))[3]
    broken.write_bytes(broken.read_bytes()[:20])  # truncated
    argv = ["run", str(folder), "--max-iter", "2", "--folds", "2", "--no-figures"]

    status, _, stderr = run_main(capsys, *argv, "--out", str(tmp_path / "a"))
    assert status == 2
    assert broken.stem in stderr
    assert "--on-error skip" in stderr
    assert "Traceback" not in stderr

    out = tmp_path / "b"
    status, _, stderr = run_main(capsys, *argv, "--on-error", "skip", "--out", str(out))
    assert status == 0
    assert "left out" in stderr
    record = json.loads((out / "results.json").read_text())
    skipped = record["metadata"]["data"]["skipped_rows"]
    assert [row["utterance"] for row in skipped] == [broken.stem]
    assert record["n_rows_used"] == 49
    assert broken.stem in (out / "report.md").read_text()


def test_bad_feature_sets_exit_2(capsys, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    status, _, stderr = run_main(capsys, "run", str(empty), "--out", str(tmp_path))
    assert status == 2
    assert "dataset.csv" in stderr and "Traceback" not in stderr

    not_a_zip = tmp_path / "features.zip"
    not_a_zip.write_text("hello")
    status, _, stderr = run_main(capsys, "run", str(not_a_zip), "--out", str(tmp_path))
    assert status == 2
    assert "Traceback" not in stderr

    folder = write_demo_set(tmp_path / "renamed", archive=False, rename=True)
    status, _, stderr = run_main(
        capsys, "run", str(folder), "--group-by", "session", "--out", str(tmp_path)
    )
    assert status == 2
    assert "--group-by speaker" in stderr
