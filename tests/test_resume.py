"""Finished fits kept on disk: resuming, checking what they came from, damage."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from sklearn_mmer import evaluate_configurations, make_configurations
from sklearn_mmer.cli import main
from sklearn_mmer.evaluation import ResumeMismatchError


def configurations(max_iter=3):
    return make_configurations(
        ["acoustic", "lexical"],
        include=["acoustic", "lexical", "late"],
        max_iter=max_iter,
        random_state=0,
    )


def evaluate(data, folder, *, resume=False, max_iter=3, y=None):
    return evaluate_configurations(
        configurations(max_iter),
        data.data,
        data.target if y is None else y,
        groups=data.groups,
        cv=2,
        checkpoint_dir=folder,
        resume=resume,
    )


def test_resume_reuses_the_fits_and_redoes_a_damaged_one(emotion_data, tmp_path):
    first = evaluate(emotion_data, tmp_path)
    fits = sorted(tmp_path.glob("*.fit"))
    assert first.fits_reused == 0 and len(fits) == 6  # 3 configurations, 2 folds
    assert (tmp_path / "fingerprint.json").is_file()

    damaged = next(p for p in fits if p.name.startswith("acoustic-1-"))
    blob = damaged.read_bytes()
    damaged.write_bytes(blob[: len(blob) // 2])  # as a crash mid-write would
    with pytest.warns(RuntimeWarning, match="incomplete or damaged.*'acoustic'"):
        second = evaluate(emotion_data, tmp_path, resume=True)
    assert second.fits_reused == 5
    pd.testing.assert_frame_equal(second.predictions, first.predictions)
    assert damaged.read_bytes() != blob[: len(blob) // 2]  # written again, whole

    third = evaluate(emotion_data, tmp_path)  # not resuming: start afresh
    assert third.fits_reused == 0


def test_resume_refuses_fits_of_other_parameters_or_data(emotion_data, tmp_path):
    evaluate(emotion_data, tmp_path)
    with pytest.raises(ResumeMismatchError, match=r"'acoustic'.*max_iter was 3, now 4"):
        evaluate(emotion_data, tmp_path, resume=True, max_iter=4)
    shuffled = np.random.default_rng(0).permutation(emotion_data.target)
    with pytest.raises(ResumeMismatchError, match="other data"):
        evaluate(emotion_data, tmp_path, resume=True, y=shuffled)


RUN = ["run", "--demo-samples", "60", "--folds", "3", "--max-iter", "15",
       "--configs", "acoustic,lexical,late", "--no-figures"]  # fmt: skip


def test_sigterm_keeps_the_finished_fits_and_resume_completes_the_run(tmp_path, capsys):
    out = tmp_path / "stopped"
    process = subprocess.Popen(
        [sys.executable, "-m", "sklearn_mmer", *RUN, "-q", "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    deadline = time.monotonic() + 300  # a safety net, not a measurement
    while not list((out / "fits").glob("*.fit")):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped (SIGTERM)" in stderr
    assert "--resume" in stderr
    kept = len(list((out / "fits").glob("*.fit")))
    assert 0 < kept < 9
    assert not (out / "report.md").exists()

    assert main([*RUN, "--out", str(out), "--resume"]) == 0
    assert f"Reused {kept} of 9 fits" in capsys.readouterr().err
    reference = tmp_path / "whole"
    assert main([*RUN, "--out", str(reference), "-q"]) == 0
    for table in ("predictions.csv", "per_fold.csv", "per_class.csv"):
        resumed, whole = pd.read_csv(out / table), pd.read_csv(reference / table)
        columns = [c for c in whole.columns if not c.endswith("_time")]
        pd.testing.assert_frame_equal(resumed[columns], whole[columns])
