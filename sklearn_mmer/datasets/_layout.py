"""Conventions of the data model and of the on-disk layout."""

from __future__ import annotations

import re

# Labels 0..3 of the IEMOCAP four-class setup, in order.
IEMOCAP_LABELS = ("anger", "sadness", "happiness", "neutral")

# Feature dimensions of the extractors the reference study used.
IEMOCAP_DIMS = {"visual": 2048, "acoustic": 128, "lexical": 768}

# Columns of ``dataset.csv``; every ``<modality>_features`` column is a
# modality whose cells are paths to one ``.npy`` file per utterance.
ID_COLUMN = "file_name_list"
SPEAKER_COLUMN = "speakers"
LABEL_COLUMN = "emotion_labels"
FEATURE_SUFFIX = "_features"
REQUIRED_COLUMNS = (ID_COLUMN, SPEAKER_COLUMN, LABEL_COLUMN)

CSV_NAME = "dataset.csv"
FEATURES_DIR = "features"
# The archive of a set shipped as dataset.csv beside features.zip.
ARCHIVE_NAME = "features.zip"

# IEMOCAP utterance names start with the session: "Ses01F_impro01_F001".
_IEMOCAP_SESSION = re.compile(r"^Ses(\d+)[FM]?_")
# Paths of the layout keep the session as a folder: ".../Session1/x.npy".
_SESSION_FOLDER = re.compile(r"^Session\d+$", re.IGNORECASE)


def feature_column(modality: str) -> str:
    """CSV column of a modality: ``"visual"`` -> ``"visual_features"``."""
    return modality + FEATURE_SUFFIX


def session_from_utterance(utterance: str) -> str | None:
    """``"Ses01F_impro01_F001"`` -> ``"Session1"``; None for other names."""
    match = _IEMOCAP_SESSION.match(utterance)
    return f"Session{int(match.group(1))}" if match else None


def session_from_path(path: str) -> str | None:
    """Find the ``SessionN`` folder of a feature path; None without one."""
    for part in reversed(path.replace("\\", "/").split("/")[:-1]):
        if _SESSION_FOLDER.match(part):
            return part
    return None


def feature_path(modality: str, utterance: str, session: str | None) -> str:
    """Path written in the CSV: ``/features/<modality>_features/<session>/<id>.npy``."""
    folder = f"/{FEATURES_DIR}/{feature_column(modality)}"
    if session:
        folder += f"/{session}"
    return f"{folder}/{utterance}.npy"
