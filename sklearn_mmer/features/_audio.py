"""Audio: log-mel and MFCC frames per utterance (librosa, soundfile)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from threadpoolctl import threadpool_limits

from ._base import MediaExtractor, MediaProblem, check_file, media_path, require


def load_audio(
    item,
    sample_rate: int,
    *,
    input_sample_rate: int | None = None,
    silence_threshold_db: float | None = -60.0,
) -> np.ndarray:
    """Read one recording as a mono float32 signal at ``sample_rate``.

    ``item`` is a path that libsndfile reads (WAV, FLAC, OGG, ...) or a 1-D
    array (or ``(samples, channels)``) recorded at ``input_sample_rate``.
    Raises :class:`MediaProblem` for a missing, empty, unreadable, truncated,
    non-finite or silent recording.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.features import load_audio
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    >>> load_audio(tone, 16000, input_sample_rate=8000).shape  # resampled
    (16000,)
    """
    require("soundfile", "audio")
    require("librosa", "audio")
    import librosa
    import soundfile

    path = media_path(item)
    if path is not None:
        check_file(path)
        try:
            with soundfile.SoundFile(path) as audio:
                # libsndfile notes "(should be N)" when a header promises more
                # data than the file holds: a recording cut off mid-copy.
                if "should be" in audio.extra_info:
                    raise MediaProblem(
                        "truncated",
                        f"{path!r} is truncated: its header promises more audio "
                        "than the file holds",
                    )
                signal = audio.read(dtype="float32", always_2d=True)
                rate = audio.samplerate
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise MediaProblem(
                "unreadable", f"{path!r} cannot be decoded as audio: {exc}"
            ) from None
        signal = signal.mean(axis=1)
        where = repr(path)
    else:
        if input_sample_rate is None:
            raise MediaProblem(
                "bad_input",
                "an in-memory signal needs its sample rate: set input_sample_rate",
            )
        signal = np.asarray(item)
        if signal.dtype.kind not in "biuf" or signal.ndim not in (1, 2):
            raise MediaProblem(
                "bad_input",
                "expected a path or a 1-D signal (or samples x channels), got "
                f"{type(item).__name__} of shape {np.shape(item)}",
            )
        signal = signal.astype(np.float32, copy=False)
        if signal.ndim == 2:
            signal = signal.mean(axis=1)
        rate = input_sample_rate
        where = "the signal"
    if signal.size == 0:
        raise MediaProblem("empty", f"{where} holds no samples")
    if not np.isfinite(signal).all():
        raise MediaProblem("non_finite", f"{where} holds NaN or infinite samples")
    peak = float(np.abs(signal).max())
    if silence_threshold_db is not None:
        peak_db = 20 * np.log10(peak) if peak > 0 else -np.inf
        if peak_db < silence_threshold_db:
            raise MediaProblem(
                "silent",
                f"{where} is silent: its peak is {peak_db:.1f} dBFS, below "
                f"silence_threshold_db={silence_threshold_db}",
            )
    if rate != sample_rate:
        signal = librosa.resample(signal, orig_sr=rate, target_sr=sample_rate)
    return signal.astype(np.float32, copy=False)


class AudioFrameFeatures(MediaExtractor):
    """Log-mel or MFCC frames, with deltas, from recordings at any sample rate.

    Each recording (a path to a WAV, FLAC, OGG... file, or an in-memory
    signal) is read with soundfile, mixed down to mono, resampled to
    ``sample_rate`` and cut into frames of ``frame_length`` seconds every
    ``hop_length`` seconds; librosa computes the mel spectrogram and the
    MFCCs. Each cell is a float32 array ``(frames, dim)``, frames centred on
    ``t * hop_length``, so a recording of ``n`` samples (after resampling)
    has ``1 + n // hop`` frames.

    Needs the optional extra ``[audio]`` (librosa, soundfile).

    Parameters
    ----------
    features : {"logmel", "mfcc"}, default="logmel"
        Log-mel energies (dB) of ``n_mels`` bands, or ``n_mfcc`` MFCCs
        computed from them.
    sample_rate : int, default=16000
        Every recording is resampled to this rate first, so features from
        recordings at different rates are comparable.
    frame_length : float, default=0.025
        Window length in seconds.
    hop_length : float, default=0.010
        Step between frames in seconds.
    n_mels : int, default=64
        Mel bands.
    n_mfcc : int, default=13
        MFCCs kept, with ``features="mfcc"``.
    deltas : {0, 1, 2}, default=2
        Append the first (1) and second (2) time derivatives of the features:
        ``dim`` is ``(deltas + 1) * n_mels`` or ``(deltas + 1) * n_mfcc``.
    input_sample_rate : int, default=None
        Sample rate of in-memory signals; files carry their own.
    silence_threshold_db : float or None, default=-60.0
        A recording whose peak is below this level (dB full scale) is
        reported as silent rather than turned into features of silence.
        ``None`` accepts silence.
    on_error : {"raise", "skip"}, default="raise"
        A missing, empty, unreadable, truncated or silent recording raises
        :class:`ExtractionError` naming row and file, or (``"skip"``) leaves
        the row's cell ``None`` and lists it in an ``ExtractionWarning``.
    modality : str, default="acoustic"
        Name of the output column.

    See Also
    --------
    OpenSmileFeatures : Utterance-level openSMILE functionals.
    sklearn_mmer.TemporalMeanPool : Pools the frames for a classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.features import AudioFrameFeatures
    >>> t = np.arange(8000) / 8000
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * t)  # one second at 8 kHz
    >>> mfcc = AudioFrameFeatures("mfcc", input_sample_rate=8000)
    >>> cells = mfcc.fit_transform([tone])
    >>> cells["acoustic"][0].shape
    (101, 39)
    """

    # ``extract_features`` resolves this column's cells as files in MEDIA_DIR.
    _reads_files = True
    _requires = (("soundfile", "audio"), ("librosa", "audio"))

    _parameter_constraints: dict = {
        **MediaExtractor._parameter_constraints,
        "features": [StrOptions({"logmel", "mfcc"})],
        "sample_rate": [Interval(Integral, 1000, None, closed="left")],
        "frame_length": [Interval(Real, 0, None, closed="neither")],
        "hop_length": [Interval(Real, 0, None, closed="neither")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "deltas": [Interval(Integral, 0, 2, closed="both")],
        "input_sample_rate": [Interval(Integral, 1, None, closed="left"), None],
        "silence_threshold_db": [Real, None],
    }

    def __init__(
        self,
        features: str = "logmel",
        *,
        sample_rate: int = 16000,
        frame_length: float = 0.025,
        hop_length: float = 0.010,
        n_mels: int = 64,
        n_mfcc: int = 13,
        deltas: int = 2,
        input_sample_rate: int | None = None,
        silence_threshold_db: float | None = -60.0,
        on_error: str = "raise",
        modality: str = "acoustic",
    ):
        self.features = features
        self.sample_rate = sample_rate
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.n_mfcc = n_mfcc
        self.deltas = deltas
        self.input_sample_rate = input_sample_rate
        self.silence_threshold_db = silence_threshold_db
        self.on_error = on_error
        self.modality = modality

    @property
    def hop_samples(self) -> int:
        """The hop between frames in samples at ``sample_rate``."""
        return max(1, round(self.hop_length * self.sample_rate))

    def _extract_items(self, items) -> list:
        # One utterance's matrices are small: BLAS threads only wait on each
        # other (4x slower with two threads on a busy two-core machine; see
        # benchmarks/bench_extraction.py). Processes (n_jobs) scale instead.
        with threadpool_limits(limits=1, user_api="blas"):
            return super()._extract_items(items)

    def _extract_one(self, item) -> np.ndarray:
        import librosa

        signal = load_audio(
            item,
            self.sample_rate,
            input_sample_rate=self.input_sample_rate,
            silence_threshold_db=self.silence_threshold_db,
        )
        window = max(1, round(self.frame_length * self.sample_rate))
        n_fft = 1 << (window - 1).bit_length()  # next power of two
        mel = librosa.feature.melspectrogram(
            y=signal,
            sr=self.sample_rate,
            n_fft=n_fft,
            win_length=window,
            hop_length=self.hop_samples,
            n_mels=self.n_mels,
        )
        # Absolute levels (ref=1), not relative to each recording's loudest
        # frame: loudness is part of how an emotion sounds.
        features = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
        if self.features == "mfcc":
            features = librosa.feature.mfcc(S=features, n_mfcc=self.n_mfcc)
        blocks = [features]
        for order in range(1, self.deltas + 1):
            # mode="nearest" works for clips shorter than the delta window.
            blocks.append(librosa.feature.delta(features, order=order, mode="nearest"))
        return np.ascontiguousarray(np.concatenate(blocks).T, dtype=np.float32)
