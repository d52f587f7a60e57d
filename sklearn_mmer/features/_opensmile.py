"""Audio, utterance level: openSMILE's eGeMAPS and ComParE functionals."""

from __future__ import annotations

from functools import cache
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._audio import AudioFrameFeatures, load_audio
from ._base import MediaExtractor

# The feature sets' names in the opensmile package, and their sizes.
FEATURE_SETS = {"eGeMAPSv02": 88, "ComParE_2016": 6373}


@cache
def _smile(feature_set: str):
    """One openSMILE extractor per feature set and process (building is slow)."""
    import opensmile

    return opensmile.Smile(
        feature_set=opensmile.FeatureSet[feature_set],
        feature_level=opensmile.FeatureLevel.Functionals,
    )


class OpenSmileFeatures(MediaExtractor):
    """openSMILE functionals (eGeMAPS or ComParE), one vector per utterance.

    The recording is read and resampled as :class:`AudioFrameFeatures` does
    (the same checks for missing, truncated and silent files), then the
    ``opensmile`` package computes the functionals of the chosen feature set:
    88 for eGeMAPS v02, 6373 for ComParE 2016. Each cell is a float32 array
    ``(dim,)``.

    Needs the optional extra ``[opensmile]``. openSMILE is distributed under
    audEERING's research licence: free for private, research and educational
    use, a commercial licence from audEERING otherwise.

    Parameters
    ----------
    feature_set : {"eGeMAPSv02", "ComParE_2016"}, default="eGeMAPSv02"
        The openSMILE feature set.
    sample_rate : int, default=16000
        Recordings are resampled to this rate first.
    input_sample_rate : int, default=None
        Sample rate of in-memory signals; files carry their own.
    silence_threshold_db : float or None, default=-60.0
        Peak level below which a recording is reported as silent.
    on_error : {"raise", "skip"}, default="raise"
        Raise :class:`ExtractionError` for a bad recording, or leave its
        cell ``None`` and list it in an ``ExtractionWarning``.
    modality : str, default="acoustic"
        Name of the output column.

    See Also
    --------
    AudioFrameFeatures : Log-mel or MFCC frames.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mmer.features import OpenSmileFeatures
    >>> t = np.arange(16000) / 16000
    >>> tone = 0.5 * np.sin(2 * np.pi * 220 * t)
    >>> cells = OpenSmileFeatures(input_sample_rate=16000).fit_transform([tone])
    >>> cells["acoustic"][0].shape
    (88,)
    """

    # ``extract_features`` resolves this column's cells as files in MEDIA_DIR.
    _reads_files = True
    _requires = (*AudioFrameFeatures._requires, ("opensmile", "opensmile"))

    _parameter_constraints: dict = {
        **MediaExtractor._parameter_constraints,
        "feature_set": [StrOptions(set(FEATURE_SETS))],
        "sample_rate": [Interval(Integral, 1000, None, closed="left")],
        "input_sample_rate": [Interval(Integral, 1, None, closed="left"), None],
        "silence_threshold_db": [Real, None],
    }

    def __init__(
        self,
        feature_set: str = "eGeMAPSv02",
        *,
        sample_rate: int = 16000,
        input_sample_rate: int | None = None,
        silence_threshold_db: float | None = -60.0,
        on_error: str = "raise",
        modality: str = "acoustic",
    ):
        self.feature_set = feature_set
        self.sample_rate = sample_rate
        self.input_sample_rate = input_sample_rate
        self.silence_threshold_db = silence_threshold_db
        self.on_error = on_error
        self.modality = modality

    def _extract_one(self, item) -> np.ndarray:
        self.check_extras()
        signal = load_audio(
            item,
            self.sample_rate,
            input_sample_rate=self.input_sample_rate,
            silence_threshold_db=self.silence_threshold_db,
        )
        table = _smile(self.feature_set).process_signal(signal, self.sample_rate)
        return table.to_numpy(dtype=np.float32).ravel()
