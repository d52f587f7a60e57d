"""Names of the labels: ``labels.txt`` beside the table, and the defaults."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ._layout import IEMOCAP_LABELS

LABELS_NAME = "labels.txt"


def read_label_names(source, csv_name: str) -> tuple[list[str] | None, str | None]:
    """Read ``labels.txt`` beside the table: one name per line, in label order.

    Looked for next to the CSV on disk, else at the top of the archive or
    folder. Blank lines are ignored.

    Returns
    -------
    names, where : list of str or None, str or None
        The names and the file they came from; ``(None, None)`` without a
        ``labels.txt``.
    """
    beside = Path(csv_name).parent / LABELS_NAME
    if Path(csv_name).is_file() and beside.is_file():
        text, where = beside.read_bytes(), str(beside)
    else:
        key = source.resolve_csv(LABELS_NAME)
        if key is None:
            return None, None
        with source.open(key) as handle:
            text, where = handle.read(), source.describe(key)
    try:
        lines = io.StringIO(text.decode("utf-8-sig")).read().splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text.") from None
    names = [line.strip() for line in lines if line.strip()]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if not names or duplicated:
        raise ValueError(
            f"{where} must name each label once, one name per line in label "
            f"order (0, 1, ...); it has {len(names)} name(s)"
            + (f", {duplicated} more than once." if duplicated else ".")
        )
    return names, where


def default_label_names(labels) -> list[str]:
    """Names for integer labels nobody named.

    IEMOCAP's anger, sadness, happiness and neutral only when the labels are
    exactly its four codes 0..3; otherwise each label is shown as it is
    (``"0"``, ``"1"``...), one name per label from 0 up to the largest.
    """
    present = sorted({int(label) for label in labels if label >= 0})
    if present == list(range(len(IEMOCAP_LABELS))):
        return list(IEMOCAP_LABELS)
    return [str(k) for k in range(max(present, default=-1) + 1)]


def check_name_count(names, labels, where: str) -> None:
    """Fail clearly when there are more names than labels up to the largest."""
    labels = np.asarray(labels)
    valid = labels[labels >= 0]
    if valid.size and len(names) > int(valid.max()) + 1:
        raise ValueError(
            f"{where} gives {len(names)} label names ({', '.join(names)}) but "
            f"the labels are {sorted(set(valid.tolist()))}: give one name per "
            "label, in label order from 0."
        )
