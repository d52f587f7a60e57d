"""The table of a feature set: find it, read it, check its columns."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from ._layout import (
    CSV_NAME,
    FEATURE_SUFFIX,
    ID_COLUMN,
    LABEL_COLUMN,
    REQUIRED_COLUMNS,
    SPEAKER_COLUMN,
)


def read_table(source, features, csv):
    """Find the CSV, read it as strings, and check its structure."""
    handle, name = _open_csv(source, features, csv)
    try:
        with handle:
            table = pd.read_csv(
                handle, dtype=str, keep_default_na=False, na_filter=False
            )
    except pd.errors.EmptyDataError:
        raise ValueError(f"The CSV {name} is empty.") from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"The CSV {name} is not UTF-8 text (byte {exc.object[exc.start]:#04x} "
            f"at offset {exc.start} cannot be decoded). Save it as UTF-8 (in a "
            "spreadsheet: 'CSV UTF-8'; or iconv -f latin1 -t utf-8)."
        ) from None
    except pd.errors.ParserError as exc:
        raise ValueError(
            f"The CSV {name} cannot be parsed: {_parser_problem(exc)}"
        ) from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise ValueError(f"The CSV {name} has no rows, only a header.")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if not any(is_feature_column(c) for c in table.columns):
        missing.append(f"<modality>{FEATURE_SUFFIX}")
    if missing:
        raise ValueError(
            f"The CSV {name} lacks the required column(s) {missing}; its columns "
            f"are {list(table.columns)}. Expected {ID_COLUMN}, {SPEAKER_COLUMN}, "
            f"one <modality>{FEATURE_SUFFIX} column per modality (e.g. "
            f"visual{FEATURE_SUFFIX}) and {LABEL_COLUMN}."
        )
    for column in table.columns:
        table[column] = table[column].str.strip()
    return table, name


_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _parser_problem(exc):
    """Say what pandas' tokenizer found wrong, and what to do."""
    match = _FIELD_COUNT.search(str(exc))
    if match is None:
        return f"{exc}."
    expected, line, seen = match.groups()
    return (
        f"line {line} has {seen} fields where the header has {expected}. Quote "
        'fields that hold a comma ("a, b"), or remove the extra fields.'
    )


def _open_csv(source, features, csv):
    if csv is not None:
        path = Path(os.fspath(csv)).expanduser()
        if path.is_file():
            return open(path, "rb"), str(path)
        key = source.resolve_csv(os.fspath(csv))
        if key is None:
            raise FileNotFoundError(
                f"No CSV {os.fspath(csv)!r}: neither a file nor a file at the "
                f"top of the {source.kind} {str(source.path)!r}."
            )
        return source.open(key), source.describe(key)
    found = source.find_csv()
    if len(found) > 1:
        raise ValueError(
            f"The {source.kind} {str(source.path)!r} holds several CSV files "
            f"{found} and none is named {CSV_NAME!r}; pass csv= to pick one."
        )
    if found:
        key = source.resolve_csv(found[0])
        return source.open(key), source.describe(key)
    root = Path(os.fspath(features)).expanduser()
    nearby = [root.parent / CSV_NAME]
    if root.is_file():
        nearby.append(root.with_suffix(".csv"))
    for path in nearby:
        if path.is_file():
            return open(path, "rb"), str(path)
    raise ValueError(
        f"No csv= given, and no {CSV_NAME!r} (or single *.csv) at the top of the "
        f"{source.kind} {str(source.path)!r}, nor "
        f"{' or '.join(repr(str(p)) for p in nearby)}; pass csv=."
    )


def is_feature_column(column: str) -> bool:
    """Whether a CSV column is a modality: ``<name>_features``."""
    return column.endswith(FEATURE_SUFFIX) and len(column) > len(FEATURE_SUFFIX)


def select_modalities(table, csv_name, modalities):
    """Pick the feature columns to load; list those empty in every row."""
    available = [c for c in table.columns if is_feature_column(c)]
    absent = [c for c in available if not table[c].astype(bool).any()]
    if modalities is None:
        columns = [c for c in available if c not in absent]
        if not columns:
            raise ValueError(
                f"Every feature column of {csv_name} is empty: "
                f"{available}; there is nothing to load."
            )
        return columns, absent
    if isinstance(modalities, str):
        modalities = [modalities]
    columns = [
        m if m.endswith(FEATURE_SUFFIX) else m + FEATURE_SUFFIX for m in modalities
    ]
    pairs = list(zip(modalities, columns, strict=True))
    unknown = [m for m, c in pairs if c not in available]
    if unknown:
        raise ValueError(
            f"Unknown modalities {unknown}; {csv_name} has "
            f"{[c[: -len(FEATURE_SUFFIX)] for c in available]}."
        )
    empty = [m for m, c in pairs if c in absent]
    if empty:
        raise ValueError(f"Modalities {empty} are empty in every row of {csv_name}.")
    if not columns or len(set(columns)) != len(columns):
        raise ValueError(f"modalities must be distinct names; got {modalities!r}.")
    return columns, [c for c in absent if c not in columns]
