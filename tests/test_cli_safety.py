"""The command line never writes over its input, and says what to do."""

import zipfile

import pandas as pd
import pytest
from test_feature_paths import patch_member

from sklearn_mmer import make_emotion_dataset, write_feature_set
from sklearn_mmer.cli import main

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
