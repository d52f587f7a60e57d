"""The loader's account of what it read: LoadReport and the set's description."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..utils import check_statistics
from ._layout import FEATURE_SUFFIX


@dataclass(frozen=True, eq=False)
class LoadReport:
    """What :func:`load_features` read, and what it left out and why.

    ``str(report)`` is a plain-text summary; the attributes are structured,
    for report writers.

    Attributes
    ----------
    source : str
        The features archive or folder.
    csv : str
        The CSV that was read (``archive.zip!dataset.csv`` for a CSV inside
        the archive).
    n_rows : int
        Rows in the CSV.
    n_loaded : int
        Rows in the loaded data.
    modalities : pandas.DataFrame
        One row per loaded modality (index): ``column`` (CSV column),
        ``cells`` (arrays loaded), ``missing`` (empty cells, kept as
        ``None``), ``dim`` (feature dimension), ``shape`` (``"(frames, dim)"``
        or ``"(dim,)"`` as stored), ``min_frames`` and ``max_frames``
        (``<NA>`` for vectors), ``pooled`` (whether ``pool`` reduced it).
    absent_modalities : tuple of str
        Feature columns that are empty in every row, left out.
    skipped : pandas.DataFrame
        One row per problem found: ``row``, ``line``, ``utterance``,
        ``column``, ``path``, ``problem`` (a short name, see
        ``sklearn_mmer.datasets.PROBLEMS``) and ``reason`` (a sentence). With
        ``on_error="skip"`` every row listed here was left out; a row with
        several problems is listed once per problem.
    pool : str, sequence of str or None
        The ``pool`` option the data was loaded with.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mmer import load_features, make_emotion_dataset
    >>> from sklearn_mmer import write_feature_set
    >>> demo = make_emotion_dataset(
    ...     n_samples=6, dims={"visual": 4, "acoustic": 3, "lexical": 5},
    ...     random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     report = load_features(
    ...         write_feature_set(demo, f"{folder}/set.zip")).report
    >>> report.n_loaded, report.n_skipped
    (6, 0)
    >>> report.modalities[["cells", "missing", "dim", "shape"]]
              cells  missing  dim          shape
    modality
    visual        6        0    4  (frames, 4)
    acoustic      6        0    3  (frames, 3)
    lexical       6        0    5           (5,)
    >>> report.skipped.columns.tolist()
    ['row', 'line', 'utterance', 'column', 'path', 'problem', 'reason']
    """

    source: str
    csv: str
    n_rows: int
    n_loaded: int
    modalities: pd.DataFrame
    absent_modalities: tuple[str, ...]
    skipped: pd.DataFrame
    pool: str | tuple[str, ...] | None = None

    @property
    def n_skipped(self) -> int:
        """Number of CSV rows left out."""
        return self.n_rows - self.n_loaded

    def __str__(self) -> str:
        lines = [
            f"Loaded {self.n_loaded} of {self.n_rows} rows; features from "
            f"{self.source}, table from {self.csv}"
            + (f", frames pooled ({self.pool})." if self.pool else ".")
        ]
        for name, info in self.modalities.iterrows():
            frames = (
                ""
                if pd.isna(info["min_frames"])
                else f", {info['min_frames']}..{info['max_frames']} frames"
            )
            lines.append(
                f"  {name}: {info['cells']} arrays {info['shape']}{frames}, "
                f"{info['missing']} missing cells"
            )
        if self.absent_modalities:
            lines.append(
                "  empty in every row, left out: " + ", ".join(self.absent_modalities)
            )
        if self.n_skipped:
            lines.append(f"Rows left out: {self.n_skipped}")
            lines.extend(
                f"  line {p.line} ({p.utterance!r}), {p.column}"
                + (f", {p.path}" if p.path else "")
                + f": {p.reason}"
                for p in self.skipped.itertuples()
            )
        return "\n".join(lines)


def describe_modalities(reader, cells, keep, pool):
    records = []
    for column in cells:
        read = keep & (reader.dims[column] >= 0)
        frames = reader.frames[column][read]
        dims = reader.dims[column][read]
        dim = int(dims[0]) if dims.size else 0
        sequences = frames[frames > 0]
        records.append(
            {
                "modality": column[: -len(FEATURE_SUFFIX)],
                "column": column,
                "cells": int(read.sum()),
                "missing": int(keep.sum() - read.sum()),
                "dim": dim,
                "shape": f"(frames, {dim})" if sequences.size else f"({dim},)",
                "min_frames": int(sequences.min()) if sequences.size else pd.NA,
                "max_frames": int(sequences.max()) if sequences.size else pd.NA,
                "pooled": pool is not None,
            }
        )
    frame = pd.DataFrame.from_records(records).set_index("modality")
    return frame.astype({"min_frames": "Int64", "max_frames": "Int64"})


def describe(report, data, speakers, names):
    modalities = ", ".join(
        f"{name} {info['shape']}" for name, info in report.modalities.iterrows()
    )
    stats = check_statistics(report.pool, "pool") if report.pool else ()
    pooled = f" (frames pooled: {', '.join(stats)})" if stats else ""
    return (
        f"Feature set loaded by sklearn_mmer.load_features\n"
        f"Features: {report.source}; table: {report.csv}.\n"
        f"{len(data)} utterances by {len(set(speakers))} speakers; modalities "
        f"{modalities}{pooled}; labels {', '.join(map(str, names))}.\n"
        f"{report.n_skipped} of {report.n_rows} rows left out "
        "(see report.skipped)."
    )
