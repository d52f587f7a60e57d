"""Load the feature sets users already have: a CSV and one ``.npy`` per cell."""

from __future__ import annotations

import logging
import os
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..utils._frames import check_statistics, stats_of_sequences
from ._layout import (
    CSV_NAME,
    FEATURE_SUFFIX,
    ID_COLUMN,
    IEMOCAP_LABELS,
    LABEL_COLUMN,
    REQUIRED_COLUMNS,
    SPEAKER_COLUMN,
    session_from_path,
    session_from_utterance,
)
from ._sources import open_source

logger = logging.getLogger("sklearn_mmer")

# Integer labels, also as pandas writes them next to missing values ("3.0").
_INT_LABEL = re.compile(r"^[+-]?\d+(?:\.0*)?$")

# Short names of the problems a row can have, as listed in ``report.skipped``.
PROBLEMS = {
    "missing_id": "the utterance id is empty",
    "duplicate_id": "the utterance id appears in more than one row",
    "missing_speaker": "the speaker is empty",
    "missing_label": "the label is empty",
    "unknown_label": "the label is not one of the known labels",
    "missing_file": "the file does not exist",
    "unreadable": "the file is not a readable .npy array (truncated or corrupt)",
    "non_numeric": "the array does not hold numbers",
    "bad_shape": "the array is not (frames, dim) or (dim,)",
    "empty_array": "the array has zero frames or zero features",
    "non_finite": "the array holds NaN or infinite values",
    "dimension": "the feature dimension differs from the rest of the modality",
}

# Frames pooled together with pool="mean": about the cache-sized chunks
# TemporalMeanPool reduces at once, small next to the pooled matrix.
_POOL_BATCH_BYTES = 4 * 2**20

_SKIPPED_COLUMNS = ["row", "line", "utterance", "column", "path", "problem", "reason"]


class FeatureSetError(ValueError):
    """A row of a feature set that cannot be loaded.

    Raised by :func:`load_features` with ``on_error="raise"``. The message
    names the CSV line, the row, the utterance, the column and the path; the
    same facts are attributes, for programs that catch the error.

    Attributes
    ----------
    row : int
        Position of the row in the CSV (0 for the first row after the header).
    line : int
        Line of the CSV file (the header is line 1).
    utterance : str
        The row's utterance id.
    column : str
        The CSV column at fault.
    path : str
        The feature path in that cell, or ``""`` for columns that hold none.
    problem : str
        Short name of the problem, e.g. ``"missing_file"`` or ``"non_finite"``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_mmer import load_features, make_emotion_dataset
    >>> from sklearn_mmer import write_feature_set
    >>> from sklearn_mmer.datasets import FeatureSetError
    >>> demo = make_emotion_dataset(
    ...     n_samples=6, dims={"visual": 4, "acoustic": 3, "lexical": 5},
    ...     random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     root = write_feature_set(demo, Path(folder) / "set", archive=False)
    ...     (root / "features" / "lexical_features" / "Session1" /
    ...      f"{demo.data.index[0]}.npy").unlink()
    ...     try:
    ...         load_features(root)
    ...     except FeatureSetError as error:
    ...         print(error.problem, error.line, error.column)
    missing_file 2 lexical_features
    """

    def __init__(self, message, *, row, line, utterance, column, path, problem):
        super().__init__(message)
        self.row = row
        self.line = line
        self.utterance = utterance
        self.column = column
        self.path = path
        self.problem = problem


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
    pool : str, tuple of str or None
        The ``pool`` option the data was loaded with (a tuple when it
        named several statistics).

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


@dataclass(frozen=True)
class _Problem:
    row: int
    column: str
    path: str
    problem: str
    reason: str


def load_features(
    features: str | os.PathLike,
    csv: str | os.PathLike | None = None,
    *,
    modalities: Sequence[str] | None = None,
    pool: str | Sequence[str] | None = None,
    target_names: Sequence[str] | None = None,
    on_error: Literal["raise", "skip"] = "raise",
    return_X_y: bool = False,
) -> Bunch | tuple[pd.DataFrame, np.ndarray]:
    """Load per-utterance features from a zip archive or a folder.

    Reads the table (``dataset.csv``) and, for every row and modality, the
    ``.npy`` file its cell names. A zip archive is read in place: nothing
    is extracted to disk.

    Parameters
    ----------
    features : str or path-like
        A zip archive (``features.zip``) or a folder. Paths in the CSV such
        as ``/features/visual_features/Session1/x.npy`` are resolved against
        its root, whether they start with ``/`` or not; leading folders
        above the ``<modality>_features`` folder may be absent from it (an
        archive of the ``features/`` folder's contents, or the folder
        ``features/`` itself).
    csv : str or path-like, default=None
        The table. A file on disk, or else a file of that name at the top of
        the archive or folder. When None, ``dataset.csv`` (or the only
        ``*.csv``) at the top of the archive or folder is used, else
        ``dataset.csv`` next to it (or, for ``features.zip``,
        ``features.csv``).
    modalities : list of str, default=None
        Modalities to load, named without the ``_features`` suffix (e.g.
        ``["acoustic", "lexical"]``). Default: every ``<name>_features``
        column that is not empty in every row.
    pool : str, sequence of str or None, default=None
        ``"mean"`` averages each frame sequence over time as it is read, so
        memory stays near the size of the pooled matrix; each cell is then a
        ``(dim,)`` float32 vector, equal to what
        :class:`~sklearn_mmer.TemporalMeanPool` gives. Statistics of
        :class:`~sklearn_mmer.TemporalStatsPool` (``"mean"``, ``"std"``,
        ``"min"``, ``"max"``, ``"delta_mean"``), one or several such as
        ``("mean", "std")``, give a ``(len(pool) * dim,)`` vector equal to a
        row of ``TemporalStatsPool(stats=pool)``, vectors of a modality
        without frames staying as they are. None keeps the arrays as
        stored.
    target_names : list of str, default=None
        Names of integer labels, ``target_names[k]`` naming label ``k``;
        labels outside ``0..len(target_names) - 1`` are unknown. Defaults to
        IEMOCAP's anger, sadness, happiness, neutral for labels 0..3. With
        string labels, the known labels (others are unknown); default: every
        label found.
    on_error : {"raise", "skip"}, default="raise"
        What to do with a row that cannot be loaded (see Notes). ``"raise"``
        raises a :class:`FeatureSetError` naming the line, the row, the
        column and the path. ``"skip"`` leaves the row out, lists it in
        ``report.skipped`` with its reason, and logs how many were left out
        on the ``"sklearn_mmer"`` logger.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch, as sklearn's
        loaders do. The speakers are then in ``data.attrs["speakers"]``, a
        dict from utterance id to speaker, which stays right for any slice
        of ``data``: ``groups = X.index.map(X.attrs["speakers"])``.

    Returns
    -------
    data : sklearn.utils.Bunch
        Dictionary-like object with:

        data : pandas.DataFrame
            Indexed by utterance id (``file_name_list``), one column per
            modality. Cells are NumPy arrays as stored, ``(frames, dim)`` or
            ``(dim,)`` (``(dim,)`` float32 with ``pool="mean"``); an empty
            CSV cell gives a missing cell, ``None``.
        target : ndarray of shape (n_samples,)
            The labels: integers, or strings as written in the CSV.
        target_names : ndarray of str
            Names of the labels.
        groups : ndarray of shape (n_samples,)
            The speaker of each row, for speaker-independent splits.
        sessions : ndarray of shape (n_samples,) or None
            The session of each row (``"Session1"``), from IEMOCAP-style
            utterance ids (``Ses01F_impro01_F001``) or else from a
            ``SessionN`` folder in the feature paths; None where neither
            tells, and None instead of the array if no row tells.
        report : LoadReport
            What was read, and what was left out and why.
        DESCR : str
            A description of the loaded set.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If ``features`` or ``csv`` does not exist.
    ValueError
        For problems with the table as a whole, whatever ``on_error``: an
        empty CSV, a missing required column (``file_name_list``,
        ``speakers``, ``emotion_labels``, one ``<modality>_features``), an
        unknown modality, no row left to load.
    FeatureSetError
        For a bad row with ``on_error="raise"`` (a ``ValueError``).

    See Also
    --------
    write_feature_set : Write a Bunch in this layout.
    make_emotion_dataset : Demo data in the same Bunch, with no files.

    Notes
    -----
    A feature column that is empty in every row is an absent modality and
    is left out (``report.absent_modalities``); an empty cell is a missing
    modality for that row, kept as ``None``.

    These make a row bad: an empty utterance id, speaker or label; an
    utterance id used by several rows (every one of them is bad, as there
    is no telling which is right); an unknown label; a feature file that
    does not exist, cannot be read as a ``.npy`` array (truncated, corrupt,
    pickled objects), does not hold numbers, is not ``(frames, dim)`` or
    ``(dim,)``, is empty, holds NaN or infinite values, or has a feature
    dimension that differs from that of most rows of its modality.

    Labels are integers when most of them are; a label that is not an
    integer among them is unknown.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mmer import load_features, make_emotion_dataset
    >>> from sklearn_mmer import write_feature_set
    >>> demo = make_emotion_dataset(
    ...     n_samples=20, dims={"visual": 8, "acoustic": 4, "lexical": 6},
    ...     random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     archive = write_feature_set(demo, f"{folder}/features.zip")
    ...     data = load_features(archive)
    ...     pooled = load_features(archive, pool="mean")
    >>> data.data.shape, data.data["visual"].iloc[0].shape[1]
    ((20, 3), 8)
    >>> pooled.data["visual"].iloc[0].shape
    (8,)
    >>> data.target_names.tolist()
    ['anger', 'sadness', 'happiness', 'neutral']
    >>> data.report.n_skipped
    0
    """
    stats = None if pool is None else check_statistics(pool, "pool")
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}.")
    target_names = _check_target_names(target_names)

    source = open_source(features)
    try:
        table, csv_name = _read_table(source, features, csv)
        loader = _Loader(source, table, csv_name, on_error)
        columns, absent = loader.select_modalities(modalities)
        target, names = loader.check_rows(target_names)
        cells = {column: loader.read_column(column, pool=stats) for column in columns}
    finally:
        source.close()

    keep = loader.rows_to_keep()
    problems = loader.problems
    if problems:
        counts = Counter(p.problem for p in problems)
        logger.warning(
            "load_features left out %d of %d rows of %s (%s); see report.skipped.",
            len(table) - int(keep.sum()),
            len(table),
            csv_name,
            ", ".join(f"{n} {name}" for name, n in counts.most_common()),
        )

    ids = loader.ids[keep]
    speakers = loader.speakers[keep]
    target = target[keep]
    data = pd.DataFrame(
        {
            column[: -len(FEATURE_SUFFIX)]: _finish_column(values[keep], pool)
            for column, values in cells.items()
        },
        index=pd.Index(ids, name="utterance"),
    )
    if target.dtype == object and target_names is None:
        names = np.array(sorted(set(target)), dtype=object)
    report = LoadReport(
        source=str(source.path),
        csv=csv_name,
        n_rows=len(table),
        n_loaded=len(data),
        modalities=_describe_modalities(loader, cells, keep, pool),
        absent_modalities=tuple(absent),
        skipped=loader.skipped_frame(),
        pool=pool if pool is None or isinstance(pool, str) else stats,
    )
    if return_X_y:
        data.attrs["speakers"] = dict(zip(ids, speakers, strict=True))
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=names,
        groups=speakers,
        sessions=loader.sessions(columns, keep),
        report=report,
        DESCR=_describe(report, data, speakers, names),
    )


def _check_target_names(target_names):
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


def _read_table(source, features, csv):
    """Find the CSV, read it as strings, and check its structure."""
    handle, name = _open_csv(source, features, csv)
    try:
        with handle:
            table = pd.read_csv(
                handle, dtype=str, keep_default_na=False, na_filter=False
            )
    except pd.errors.EmptyDataError:
        raise ValueError(f"The CSV {name} is empty.") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise ValueError(f"The CSV {name} has no rows, only a header.")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if not any(_is_feature_column(c) for c in table.columns):
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


def _is_feature_column(column):
    return column.endswith(FEATURE_SUFFIX) and len(column) > len(FEATURE_SUFFIX)


class _Loader:
    """The rows of one CSV: their checks, their files, their problems."""

    def __init__(self, source, table, csv_name, on_error):
        self.source = source
        self.table = table
        self.csv_name = csv_name
        self.on_error = on_error
        self.ids = table[ID_COLUMN].to_numpy(dtype=object)
        self.speakers = table[SPEAKER_COLUMN].to_numpy(dtype=object)
        self.problems: list[_Problem] = []
        # Per column: frame count of each row's array as stored (0 for a
        # (dim,) vector, -1 where nothing was read), and its dimension.
        self.frames: dict[str, np.ndarray] = {}
        self.dims: dict[str, np.ndarray] = {}

    def select_modalities(self, modalities):
        """Pick the feature columns to load; list those empty in every row."""
        available = [c for c in self.table.columns if _is_feature_column(c)]
        absent = [c for c in available if not self.table[c].astype(bool).any()]
        if modalities is None:
            columns = [c for c in available if c not in absent]
            if not columns:
                raise ValueError(
                    f"Every feature column of {self.csv_name} is empty: "
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
                f"Unknown modalities {unknown}; {self.csv_name} has "
                f"{[c[: -len(FEATURE_SUFFIX)] for c in available]}."
            )
        empty = [m for m, c in pairs if c in absent]
        if empty:
            raise ValueError(
                f"Modalities {empty} are empty in every row of {self.csv_name}."
            )
        if not columns or len(set(columns)) != len(columns):
            raise ValueError(f"modalities must be distinct names; got {modalities!r}.")
        return columns, [c for c in absent if c not in columns]

    def check_rows(self, target_names):
        """Check ids, speakers and labels; return ``(target, target_names)``."""
        duplicated = pd.Series(self.ids).duplicated(keep=False).to_numpy()
        for row in np.flatnonzero(duplicated):
            if not self.ids[row]:
                continue
            others = [
                int(r) for r in np.flatnonzero(self.ids == self.ids[row]) if r != row
            ]
            lines = ", ".join(str(r + 2) for r in others)
            self.add(
                row,
                ID_COLUMN,
                "",
                "duplicate_id",
                f"utterance id {self.ids[row]!r} also appears on line(s) {lines}",
            )
        for row in np.flatnonzero(self.ids == ""):
            self.add(row, ID_COLUMN, "", "missing_id", PROBLEMS["missing_id"])
        for row in np.flatnonzero(self.speakers == ""):
            self.add(row, SPEAKER_COLUMN, "", "missing_speaker", "the speaker is empty")
        return self._parse_labels(target_names)

    def _parse_labels(self, target_names):
        raw = self.table[LABEL_COLUMN].to_numpy(dtype=object)
        present = raw != ""
        is_int = np.array([bool(_INT_LABEL.match(v)) for v in raw], dtype=bool)
        for row in np.flatnonzero(~present):
            self.add(row, LABEL_COLUMN, "", "missing_label", "the label is empty")
        if is_int[present].sum() * 2 > present.sum():
            names = list(IEMOCAP_LABELS) if target_names is None else target_names
            target = np.full(len(raw), -1, dtype=np.int64)
            for row in np.flatnonzero(present):
                if not is_int[row]:
                    self.add(
                        row,
                        LABEL_COLUMN,
                        "",
                        "unknown_label",
                        f"label {raw[row]!r} is not an integer, unlike most labels",
                    )
                    continue
                label = int(float(raw[row]))
                if not 0 <= label < len(names):
                    self.add(
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
                    self.add(
                        row,
                        LABEL_COLUMN,
                        "",
                        "unknown_label",
                        f"label {raw[row]!r} is not one of target_names {target_names}",
                    )
            return raw, np.array(target_names, dtype=object)
        return raw, None

    def read_column(self, column, *, pool):
        """Read every file of one feature column; cells of bad rows are None."""
        paths = self.table[column].to_numpy(dtype=object)
        cells = np.empty(len(paths), dtype=object)
        dims = np.full(len(paths), -1, dtype=np.intp)
        frames = np.full(len(paths), -1, dtype=np.intp)
        # Sequences waiting to be pooled: a few megabytes of one dimension,
        # averaged together to spread the fixed cost of each reduction.
        batch, batch_bytes = [], 0
        for row, path in enumerate(paths):
            if not path:
                continue  # a missing modality for this row, kept as None
            key = self.source.resolve(path)
            if key is None:
                self.add(
                    row,
                    column,
                    path,
                    "missing_file",
                    f"no such file in the {self.source.kind} {str(self.source.path)!r}",
                )
                continue
            array = self._read_array(row, column, path, key)
            if array is None:
                continue
            dims[row] = array.shape[-1]
            frames[row] = array.shape[0] if array.ndim == 2 else 0
            if pool is None:
                self._store(row, column, paths, array, cells, dims)
            elif array.ndim == 1:
                self._store(row, column, paths, array.astype(np.float32), cells, dims)
            else:
                if batch and batch[0][1].shape[1] != array.shape[1]:
                    self._pool(batch, column, paths, cells, dims, pool)
                    batch_bytes = 0
                batch.append((row, array))
                batch_bytes += array.nbytes
                if batch_bytes >= _POOL_BATCH_BYTES:
                    self._pool(batch, column, paths, cells, dims, pool)
                    batch_bytes = 0
        self._pool(batch, column, paths, cells, dims, pool)
        if pool is not None and (frames > 0).any():
            _pool_vectors_among_sequences(cells, frames, pool)
        self._check_dims(column, paths, cells, dims)
        self.dims[column], self.frames[column] = dims, frames
        return cells

    def _pool(self, batch, column, paths, cells, dims, stats):
        """Pool a batch of sequences over time, then store the results."""
        if not batch:
            return
        # TemporalMeanPool's own reduction; a mean depends on its own frames
        # only, so pooling as the files come gives identical floats.
        lengths = np.fromiter((len(a) for _, a in batch), np.intp, len(batch))
        means = stats_of_sequences([array for _, array in batch], lengths, stats)
        for (row, _), mean in zip(batch, means, strict=True):
            # A mean is non-finite exactly when a frame is.
            self._store(row, column, paths, mean, cells, dims)
        batch.clear()

    def _store(self, row, column, paths, cell, cells, dims):
        if _all_finite(cell):
            cells[row] = cell
        else:
            self.add(row, column, paths[row], "non_finite", PROBLEMS["non_finite"])
            dims[row] = -1  # out of the dimension count and the report

    def _read_array(self, row, column, path, key):
        try:
            array = self.source.read_array(key)
        # What a broken file, a broken header or a broken archive member
        # raises: each means the same thing here.
        except (
            ValueError,
            OSError,
            EOFError,
            SyntaxError,
            NotImplementedError,
            zipfile.BadZipFile,
            zlib.error,
        ) as exc:
            self.add(
                row,
                column,
                path,
                "unreadable",
                f"cannot be read as a .npy array ({type(exc).__name__}: {exc})",
            )
            return None
        if array.dtype.kind not in "biuf":
            self.add(
                row,
                column,
                path,
                "non_numeric",
                f"the array holds {array.dtype} values, not numbers",
            )
            return None
        if array.ndim not in (1, 2):
            self.add(
                row,
                column,
                path,
                "bad_shape",
                f"expected a (frames, dim) or (dim,) array, got shape {array.shape}",
            )
            return None
        if array.size == 0:
            self.add(
                row,
                column,
                path,
                "empty_array",
                f"the array of shape {array.shape} has zero frames or zero features",
            )
            return None
        return array

    def _check_dims(self, column, paths, cells, dims):
        read = dims >= 0
        if not read.any():
            return
        values, counts = np.unique(dims[read], return_counts=True)
        expected = values[np.argmax(counts)]
        for row in np.flatnonzero(read & (dims != expected)):
            self.add(
                row,
                column,
                paths[row],
                "dimension",
                f"feature dimension {dims[row]} differs from {expected}, that of "
                f"{counts.max()} other rows of this modality",
            )
            cells[row] = None

    def add(self, row, column, path, problem, reason):
        """Record a problem; raise it at once with ``on_error="raise"``."""
        row = int(row)
        if self.on_error == "raise":
            raise FeatureSetError(
                f"{self.where(row)}, column {column!r}"
                + (f", path {path!r}" if path else "")
                + f": {reason}. Fix the row, or pass on_error='skip' to leave "
                "such rows out (they are listed in the report).",
                row=row,
                line=row + 2,
                utterance=self.ids[row],
                column=column,
                path=path,
                problem=problem,
            )
        self.problems.append(_Problem(row, column, path, problem, reason))

    def where(self, row):
        """Name a row: CSV line, position and utterance id."""
        utterance = self.ids[row]
        return f"{self.csv_name} line {row + 2} (row {row}, utterance {utterance!r})"

    def rows_to_keep(self):
        """Boolean mask of the rows without problems."""
        keep = np.ones(len(self.table), dtype=bool)
        keep[[p.row for p in self.problems]] = False
        if not keep.any():
            first = self.problems[0]
            raise ValueError(
                f"No row of {self.csv_name} could be loaded ({len(self.table)} "
                f"rows). The first problem: {self.where(first.row)}, column "
                f"{first.column!r}: {first.reason}."
            )
        return keep

    def skipped_frame(self):
        """``report.skipped``: one row per problem, in CSV order."""
        records = [
            (p.row, p.row + 2, self.ids[p.row], p.column, p.path, p.problem, p.reason)
            for p in sorted(self.problems, key=lambda p: p.row)
        ]
        return pd.DataFrame.from_records(records, columns=_SKIPPED_COLUMNS).astype(
            {"row": np.int64, "line": np.int64}
        )

    def sessions(self, columns, keep):
        """Session of each kept row, from its id or else its feature paths."""
        sessions = []
        for row in np.flatnonzero(keep):
            session = session_from_utterance(self.ids[row])
            for column in columns:
                if session is not None:
                    break
                path = self.table[column].to_numpy()[row]
                session = session_from_path(path) if path else None
            sessions.append(session)
        if all(s is None for s in sessions):
            return None
        return np.array(sessions, dtype=object)


def _all_finite(array):
    if array.dtype.kind in "biu":
        return True
    # NaN propagates through min and max, and an infinity is one of them:
    # two reductions, no temporary array.
    return bool(np.isfinite(array.min()) and np.isfinite(array.max()))


def _pool_vectors_among_sequences(cells, frames, stats):
    """Pool each vector of a modality with frames as a sequence of one frame.

    As TemporalStatsPool does; the mean of one frame is the vector itself.
    """
    if stats == ("mean",):
        return
    for row in np.flatnonzero(frames == 0):
        if cells[row] is not None:
            cells[row] = stats_of_sequences([cells[row][None]], np.ones(1, int), stats)[
                0
            ]


def _finish_column(cells, pool):
    if pool is None:
        return cells
    # One matrix per modality; cells are views of its rows, so the pooled
    # data costs one (n_rows, dim) float32 block.
    present = np.array([cell is not None for cell in cells], dtype=bool)
    if present.any():
        matrix = np.stack(cells[present])
        out = np.empty(len(cells), dtype=object)
        out[np.flatnonzero(present)] = list(matrix)
        return out
    return cells


def _describe_modalities(loader, cells, keep, pool):
    records = []
    for column in cells:
        read = keep & (loader.dims[column] >= 0)
        frames = loader.frames[column][read]
        dims = loader.dims[column][read]
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


def _describe(report, data, speakers, names):
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
