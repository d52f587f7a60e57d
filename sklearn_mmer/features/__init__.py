"""Extract features from recordings, transcripts and videos into the toolkit's cells.

Each extractor is a scikit-learn transformer that turns one column of media
paths (or in-memory signals, or transcripts) into one modality column whose
cells are float32 arrays: ``(frames, dim)`` frame sequences or ``(dim,)``
vectors. :func:`extract_features` (``sklearn-mmer extract``) runs them over
a folder of recordings and writes the layout :func:`load_features` reads.

The signal-processing libraries are optional extras: ``[audio]`` (librosa,
soundfile), ``[opensmile]``, ``[text]`` (sentence-transformers and a shipped
model), ``[video]`` (OpenCV).
"""

from ._audio import AudioFrameFeatures, load_audio
from ._base import (
    EXTRACTION_PROBLEMS,
    ExtractionError,
    ExtractionWarning,
    MediaExtractor,
)
from ._extract import TableError, extract_features
from ._opensmile import OpenSmileFeatures
from ._text import SentenceEmbeddings
from ._video import FaceEmbeddings

__all__ = [
    "AudioFrameFeatures",
    "OpenSmileFeatures",
    "SentenceEmbeddings",
    "FaceEmbeddings",
    "extract_features",
    "load_audio",
    "MediaExtractor",
    "ExtractionError",
    "ExtractionWarning",
    "TableError",
    "EXTRACTION_PROBLEMS",
]
