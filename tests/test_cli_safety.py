"""The command line never writes over its input, and says what to do."""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from test_feature_paths import patch_member

from sklearn_mmer import load_features, make_emotion_dataset, write_feature_set
from sklearn_mmer.cli import main
from sklearn_mmer.datasets import PROBLEMS

FAST = ["--configs", "lexical", "--max-iter", "2", "--folds", "2", "--no-figures"]


def run_main(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_error_paragraph(stderr):
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if "error:" in line]
    assert len(lines) == 1
    return lines[0]


@pytest.fixture
def feature_folder(tmp_path):
    demo = make_emotion_dataset(24, dims={"lexical": 4}, random_state=0)
    return write_feature_set(demo, tmp_path / "set", archive=False)


def test_out_that_is_the_feature_folder_is_refused(capsys, feature_folder):
    table = feature_folder / "dataset.csv"
    table.rename(feature_folder / "predictions.csv")
    before = {p: p.read_bytes() for p in feature_folder.rglob("*") if p.is_file()}
    status, _, stderr = run_main(
        capsys, "run", str(feature_folder), "--csv", "predictions.csv",
        "--out", str(feature_folder), *FAST,
    )  # fmt: skip
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "is the feature set" in message and "Give another --out" in message
    assert "Loading" not in stderr  # refused before reading anything
    after = {p: p.read_bytes() for p in feature_folder.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.parametrize("command", ["run", "search"])
def test_out_that_holds_the_input_table_is_refused(capsys, tmp_path, feature_folder,
                                                   command):  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    name = "predictions.csv" if command == "run" else "search_results.csv"
    table = out / name
    (feature_folder / "dataset.csv").rename(table)
    before = table.read_bytes()
    status, _, stderr = run_main(
        capsys, command, str(feature_folder), "--csv", str(table), "--out", str(out)
    )
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "holds the input table" in message and repr(name) in message
    assert table.read_bytes() == before


def test_out_beside_an_archive_is_refused_only_where_it_collides(capsys, tmp_path):
    demo = make_emotion_dataset(24, dims={"lexical": 4}, random_state=0)
    archive = write_feature_set(demo, tmp_path / "predictions.zip")
    with zipfile.ZipFile(archive) as zf:  # the table beside the archive
        (tmp_path / "predictions.csv").write_bytes(zf.read("dataset.csv"))
    status, _, stderr = run_main(capsys, "run", str(archive), "--out", str(tmp_path))
    assert status == 2
    assert "predictions.csv" in one_error_paragraph(stderr)

    (tmp_path / "predictions.csv").unlink()
    status, _, stderr = run_main(
        capsys, "run", str(archive), *FAST, "--quiet", "--out", str(tmp_path)
    )
    assert status == 0, stderr
    assert (tmp_path / "report.md").is_file() and archive.is_file()


def test_out_that_is_a_file_fails_before_loading(capsys, tmp_path):
    out = tmp_path / "results"
    out.write_text("keep me")
    status, _, stderr = run_main(capsys, "run", *FAST, "--out", str(out))
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "--out" in message and "is an existing file" in message
    assert "Errno" not in message and "Loading" not in stderr
    assert out.read_text() == "keep me"


def test_a_path_leading_outside_is_an_error_or_a_skip(capsys, tmp_path,
                                                      feature_folder):  # fmt: skip
    table = pd.read_csv(feature_folder / "dataset.csv", dtype=str)
    table.loc[3, "lexical_features"] = "../../outside.npy"
    table.to_csv(feature_folder / "dataset.csv", index=False)
    argv = ["run", str(feature_folder), *FAST]
    status, _, stderr = run_main(capsys, *argv, "--out", str(tmp_path / "a"))
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "leads outside" in message and "--on-error skip" in message
    assert not (tmp_path / "a").exists()

    status, _, stderr = run_main(
        capsys, *argv, "--on-error", "skip", "--quiet", "--out", str(tmp_path / "b")
    )
    assert status == 0
    assert "../../outside.npy" in (tmp_path / "b" / "report.md").read_text()


def test_an_encrypted_member_is_an_error_or_a_skip(capsys, tmp_path):
    demo = make_emotion_dataset(24, dims={"lexical": 4}, random_state=0)
    archive = write_feature_set(demo, tmp_path / "set.zip")
    with zipfile.ZipFile(archive) as zf:
        member = pd.read_csv(zf.open("dataset.csv"))["lexical_features"][5]
    patch_member(archive, member.lstrip("/"), flag_bits=0x1)
    argv = ["run", str(archive), *FAST, "--out"]

    status, _, stderr = run_main(capsys, *argv, str(tmp_path / "a"))
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "encrypted" in message and "--on-error skip" in message

    skip = ["--on-error", "skip"]
    status, _, stderr = run_main(capsys, *argv, str(tmp_path / "b"), *skip)
    assert status == 0
    assert "left out 1 row" in stderr
    assert "encrypted" in (tmp_path / "b" / "report.md").read_text()


# -- messages that say what is wrong and what to do ----------------------------


def rewrite_table(folder, edit):
    table = pd.read_csv(folder / "dataset.csv", dtype=str, keep_default_na=False)
    edit(table)
    table.to_csv(folder / "dataset.csv", index=False)


def test_csv_decoding_and_parsing_errors_name_the_file(capsys, tmp_path,
                                                       feature_folder):  # fmt: skip
    table = feature_folder / "dataset.csv"
    lines = table.read_text().splitlines()
    argv = ["run", str(feature_folder), *FAST, "--out", str(tmp_path / "out")]

    table.write_bytes("\n".join([*lines, lines[1] + "é"]).encode("latin-1"))
    status, _, stderr = run_main(capsys, *argv)
    assert status == 2
    message = one_error_paragraph(stderr)
    assert str(table) in message and "not UTF-8" in message and "0xe9" in message

    table.write_text("\n".join([lines[0], lines[1], lines[2] + ",extra", *lines[3:]]))
    status, _, stderr = run_main(capsys, *argv)
    assert status == 2
    message = one_error_paragraph(stderr)
    assert str(table) in message
    assert "line 3 has 7 fields where the header has 6" in message


def test_advice_names_options_not_python(capsys, tmp_path, feature_folder):
    table = feature_folder / "dataset.csv"
    status, _, stderr = run_main(capsys, "run", str(table), "--out", str(tmp_path))
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "--csv" in message and "load_features" not in message

    (feature_folder / "other.csv").write_bytes(table.read_bytes())
    table.rename(feature_folder / "first.csv")
    status, _, stderr = run_main(
        capsys, "run", str(feature_folder), "--out", str(tmp_path)
    )
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "--csv" in message and "csv=" not in message


def test_one_speaker_is_told_what_can_be_done(capsys, tmp_path, feature_folder):
    rewrite_table(feature_folder, lambda t: t.__setitem__("speakers", "Ses01F"))
    status, _, stderr = run_main(
        capsys, "run", str(feature_folder), *FAST, "--out", str(tmp_path / "o")
    )
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "one speaker (Ses01F)" in message and "at most 1" not in message
    assert "--group-by session" in message  # the demo ids tell five sessions


def test_early_stopping_needs_two_speakers_in_each_training_fold(
    capsys, tmp_path, feature_folder
):
    def two_speakers(table):
        table["speakers"] = ["A", "B"] * (len(table) // 2)

    rewrite_table(feature_folder, two_speakers)
    argv = ["run", str(feature_folder), *FAST, "--out", str(tmp_path / "o")]
    status, _, stderr = run_main(capsys, *argv, "--early-stopping")
    # Two speakers in two folds: each training fold holds one.
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "--early-stopping" in message and "needs at least 2 speakers" in message
    assert "groups" not in message
    assert "--no-early-stopping" in message
    status, _, stderr = run_main(capsys, *argv, "--no-early-stopping", "--quiet")
    assert status == 0, stderr


def test_skipped_rows_are_not_promised_in_a_report_never_written(
    capsys, tmp_path, feature_folder
):
    broken = sorted(feature_folder.rglob("lexical_features/**/*.npy"))[0]
    broken.write_bytes(b"garbage")
    status, _, stderr = run_main(
        capsys, "run", str(feature_folder), *FAST, "--folds", "20",
        "--on-error", "skip", "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert status == 2  # too few speakers: stops before any report
    assert "left out 1 row(s) that could not be read" in stderr
    assert broken.stem not in stderr or "cannot be read" in stderr
    assert "report.md" not in stderr


def test_values_beyond_float32_are_said_to_overflow(capsys, tmp_path,
                                                    feature_folder):  # fmt: skip
    path = sorted(feature_folder.rglob("lexical_features/**/*.npy"))[2]
    np.save(path, np.full(4, 1e300))
    status, _, stderr = run_main(
        capsys, "run", str(feature_folder), *FAST, "--out", str(tmp_path / "o")
    )
    assert status == 2
    message = one_error_paragraph(stderr)
    assert "up to 1e+300, which overflow float32" in message
    assert "NaN" not in message and "RuntimeWarning" not in stderr

    data = load_features(feature_folder, on_error="skip")
    assert data.report.skipped["problem"].tolist() == ["overflow"]
    assert "overflow" in PROBLEMS


def test_search_shows_none_as_none(capsys, tmp_path):
    status, stdout, _ = run_main(
        capsys, "search", "--demo-samples", "40", "--config", "lexical",
        "--max-iter", "2", "--folds", "2", "--hidden-sizes", "8",
        "--param", "class_weight=balanced,None", "--quiet", "--out", str(tmp_path),
    )  # fmt: skip
    assert status == 0
    assert "nan" not in stdout.lower()
    assert " None " in stdout and "'balanced'" in stdout
    record = json.loads((tmp_path / "search.json").read_text())
    assert {c["class_weight"] for c in record["candidates"]} == {None, "balanced"}
