"""The rows of a feature set: their ids, speakers, labels and sessions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ._labels import default_label_names
from ._layout import (
    ID_COLUMN,
    LABEL_COLUMN,
    SPEAKER_COLUMN,
    session_from_path,
    session_from_utterance,
)
from ._problems import PROBLEMS

# Integer labels, also as pandas writes them next to missing values ("3.0").
_INT_LABEL = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def check_target_names(target_names):
    """Check the ``target_names`` option: distinct names, as strings."""
    if target_names is None:
        return None
    if isinstance(target_names, str):
        raise TypeError(
            "target_names must be a list of label names, not the string "
            f"{target_names!r}."
        )
    names = [str(name) for name in target_names]
    if not names or len(set(names)) != len(names):
        raise ValueError(
            f"target_names must be distinct names, at least one; got {names!r}."
        )
    return names


def check_ids(ids, speakers, problems):
    """Record empty and duplicated utterance ids, and empty speakers."""
    duplicated = pd.Series(ids).duplicated(keep=False).to_numpy()
    for row in np.flatnonzero(duplicated):
        if not ids[row]:
            continue
        others = [int(r) for r in np.flatnonzero(ids == ids[row]) if r != row]
        lines = ", ".join(str(r + 2) for r in others)
        problems.add(
            row,
            ID_COLUMN,
            "",
            "duplicate_id",
            f"utterance id {ids[row]!r} also appears on line(s) {lines}",
        )
    for row in np.flatnonzero(ids == ""):
        problems.add(row, ID_COLUMN, "", "missing_id", PROBLEMS["missing_id"])
    for row in np.flatnonzero(speakers == ""):
        problems.add(row, SPEAKER_COLUMN, "", "missing_speaker", "the speaker is empty")


def parse_labels(table, target_names, problems):
    """Read the labels; return ``(target, target_names)``, recording bad ones."""
    raw = table[LABEL_COLUMN].to_numpy(dtype=object)
    present = raw != ""
    is_int = np.array([bool(_INT_LABEL.match(v)) for v in raw], dtype=bool)
    for row in np.flatnonzero(~present):
        problems.add(row, LABEL_COLUMN, "", "missing_label", "the label is empty")
    if is_int[present].sum() * 2 > present.sum():
        names = target_names
        if names is None:
            integral = raw[present & is_int]
            names = default_label_names([int(float(v)) for v in integral])
        target = np.full(len(raw), -1, dtype=np.int64)
        for row in np.flatnonzero(present):
            if not is_int[row]:
                problems.add(
                    row,
                    LABEL_COLUMN,
                    "",
                    "unknown_label",
                    f"label {raw[row]!r} is not an integer, unlike most labels",
                )
                continue
            label = int(float(raw[row]))
            if not 0 <= label < len(names):
                problems.add(
                    row,
                    LABEL_COLUMN,
                    "",
                    "unknown_label",
                    f"label {label} is not in 0..{len(names) - 1} "
                    f"({', '.join(names)}); pass target_names= for another "
                    "label set",
                )
                continue
            target[row] = label
        return target, np.array(names, dtype=object)
    if target_names is not None:
        known = set(target_names)
        for row in np.flatnonzero(present):
            if raw[row] not in known:
                problems.add(
                    row,
                    LABEL_COLUMN,
                    "",
                    "unknown_label",
                    f"label {raw[row]!r} is not one of target_names {target_names}",
                )
        return raw, np.array(target_names, dtype=object)
    return raw, None


def sessions(table, ids, columns, keep):
    """Session of each kept row, from its id or else its feature paths."""
    sessions = []
    for row in np.flatnonzero(keep):
        session = session_from_utterance(ids[row])
        for column in columns:
            if session is not None:
                break
            path = table[column].to_numpy()[row]
            session = session_from_path(path) if path else None
        sessions.append(session)
    if all(s is None for s in sessions):
        return None
    return np.array(sessions, dtype=object)


_FLOAT32_MAX = float(np.finfo(np.float32).max)
