"""A folder of recordings and a table -> the on-disk layout ``load_features`` reads."""

from __future__ import annotations

import copy
import math
import os
import pickle
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from .._version import __version__
from ..datasets import write_feature_set
from ..datasets._writer import _check_ids
from ._base import PROBLEM_COLUMNS, ExtractionError, MediaExtractor, MediaProblem

# Roles of the table's columns, and their default names.
DEFAULT_COLUMNS = {"id": "utterance", "speaker": "speaker", "label": "label"}

_INT_LABEL = re.compile(r"^[+-]?\d+$")


class TableError(ValueError):
    """The table of recordings cannot be used as it is (a column, an id, a path)."""


def problems_path(out: str | os.PathLike) -> Path:
    """Where :func:`extract_features` lists the rows it could not extract."""
    out = Path(out)
    return out.with_name(f"{out.name.removesuffix('.zip')}_extraction.csv")


def default_cache(out: str | os.PathLike) -> Path:
    """Return the cache folder beside ``out`` (``features.zip``: ``features_cache``)."""
    out = Path(out)
    return out.with_name(f"{out.name.removesuffix('.zip')}_cache")


def extract_features(
    media_dir: str | os.PathLike,
    table: str | os.PathLike | pd.DataFrame,
    out: str | os.PathLike,
    extractors: Sequence[tuple[str, MediaExtractor]],
    *,
    columns: dict[str, str] | None = None,
    on_error: str = "raise",
    n_jobs: int = 1,
    cache: str | os.PathLike | bool = True,
    progress: bool = False,
) -> Bunch:
    """Extract features from a folder of recordings and write the on-disk layout.

    Reads a table with one row per utterance (its id, speaker, label, and the
    media path or transcript each extractor reads), runs every extractor
    over its column, and writes ``dataset.csv`` and ``features/`` with
    :func:`~sklearn_mmer.write_feature_set`, as :func:`load_features` and
    ``sklearn-mmer run`` read them. Rows that cannot be extracted are listed
    in ``<out>_extraction.csv`` beside ``out``.

    Parameters
    ----------
    media_dir : str or path-like
        The folder holding the recordings; media paths in the table are
        relative to it, and none may point outside it.
    table : str, path-like or pandas.DataFrame
        The CSV table (or the DataFrame) of utterances.
    out : str or path-like
        The zip archive (``*.zip``) or folder to write; replaced if present.
    extractors : sequence of (column, extractor)
        Which table column each extractor reads (a media path or a
        transcript); the output modality is the extractor's ``modality``.
    columns : dict, default=None
        Names of the ``"id"``, ``"speaker"`` and ``"label"`` columns, where
        they differ from ``utterance``, ``speaker`` and ``label``.
    on_error : {"raise", "skip"}, default="raise"
        A recording that cannot be extracted (missing, empty, unreadable,
        truncated, silent, no face, empty transcript) stops with an error
        naming its row and file, or leaves that cell empty (a missing
        modality) and lists it. Overrides each extractor's own setting.
    n_jobs : int, default=1
        Processes that extract side by side (joblib); -1 for every core.
        Text is encoded in batches in one process.
    cache : bool, str or path-like, default=True
        Folder of features already extracted, keyed by the file (path, size,
        modification time) or transcript and the extractor's settings, so a
        second run reuses them. True: ``<out>_cache`` beside ``out``; False:
        no cache.
    progress : bool, default=False
        Show a progress bar with the time left.

    Returns
    -------
    result : Bunch
        ``path`` (the archive or folder written), ``problems`` (a DataFrame,
        one row per cell left empty: ``row``, ``utterance``, ``modality``,
        ``path``, ``problem``, ``reason``), ``problems_path``, ``n_rows``,
        ``n_cached`` and ``n_extracted`` (cells read from the cache or
        extracted now).

    Raises
    ------
    TableError
        If a column is missing, an id is empty or repeated, a speaker or
        label is empty, or a media path points outside ``media_dir``.
    ExtractionError
        With ``on_error="raise"``, for the first row that cannot be
        extracted.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import pandas as pd
    >>> import soundfile
    >>> from sklearn_mmer import load_features
    >>> from sklearn_mmer.features import AudioFrameFeatures, extract_features
    >>> folder = Path(tempfile.mkdtemp())
    >>> tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    >>> for name in ("a", "b"):
    ...     soundfile.write(folder / f"{name}.wav", tone, 16000)
    >>> table = pd.DataFrame({"utterance": ["a", "b"], "speaker": ["s1", "s2"],
    ...                       "label": [0, 1], "audio": ["a.wav", "b.wav"]})
    >>> done = extract_features(folder, table, folder / "features.zip",
    ...                         [("audio", AudioFrameFeatures("mfcc"))])
    >>> load_features(done.path).data["acoustic"].iloc[0].shape
    (101, 39)
    >>> import shutil
    >>> shutil.rmtree(folder)
    """
    media_dir = Path(media_dir).expanduser()
    if not media_dir.is_dir():
        raise TableError(f"MEDIA_DIR {str(media_dir)!r} is not a folder.")
    names = {**DEFAULT_COLUMNS, **(columns or {})}
    frame, source = _read_table(table)
    _check_table(frame, source, names, extractors)
    ids = frame[names["id"]].tolist()
    index = pd.Index(ids, name="utterance")
    cache_dir = _cache_dir(cache, out)

    data, all_problems, n_cached, n_extracted = {}, [], 0, 0
    extractors = [
        # A copy: the caller's extractor keeps its own on_error.
        (column, copy.copy(extractor).set_params(on_error=on_error))
        for column, extractor in extractors
    ]
    for _, extractor in extractors:
        extractor.check_extras()
    for column, extractor in extractors:
        items, empty = _column_items(frame, column, media_dir, extractor, source)
        results, cached = _extract_column(
            extractor, items, empty, cache_dir, n_jobs=n_jobs, progress=progress
        )
        n_cached += cached
        n_extracted += len(items) - len(empty) - cached
        try:
            cells, problems = extractor.collect(items, results, index)
        except ExtractionError as exc:
            exc.add_note(f"(line {exc.row + 2} of {source}, column {column!r})")
            raise
        for problem in problems:
            problem["line"] = problem["row"] + 2
        all_problems += problems
        data[extractor.modality] = cells
    bunch = Bunch(
        data=pd.DataFrame(data, index=index),
        target=_labels(frame[names["label"]]),
        groups=frame[names["speaker"]].to_numpy(dtype=object),
    )
    out = Path(out).expanduser()
    written = write_feature_set(
        bunch, out, archive=out.suffix.lower() == ".zip", overwrite=True
    )
    problems = pd.DataFrame(all_problems, columns=["line", *PROBLEM_COLUMNS])
    report = problems_path(out)
    problems.to_csv(report, index=False)
    return Bunch(
        path=written,
        problems=problems,
        problems_path=report,
        n_rows=len(frame),
        n_cached=n_cached,
        n_extracted=n_extracted,
    )


def _read_table(table):
    if isinstance(table, pd.DataFrame):
        return table.fillna("").astype(str).reset_index(drop=True), "the table"
    path = Path(table).expanduser()
    if not path.is_file():
        raise TableError(f"The table {str(path)!r} does not exist.")
    # Everything as text: ids such as "007" and labels keep their spelling.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame, repr(str(path))


def _check_table(frame, source, names, extractors):
    wanted = {f"the {role} column": name for role, name in names.items()}
    for column, extractor in extractors:
        wanted[f"the column {type(extractor).__name__} reads"] = column
    for role, name in wanted.items():
        if name not in frame.columns:
            raise TableError(
                f"{source} has no column {name!r} ({role}); its columns are "
                f"{list(frame.columns)}. Name the right one with --column "
                f"(columns= in Python)."
            )
    modalities = [extractor.modality for _, extractor in extractors]
    if len(set(modalities)) != len(modalities):
        raise TableError(
            f"Two extractors write the same modality among {modalities}; give each "
            "a distinct modality name."
        )
    for role in ("id", "speaker", "label"):
        values = frame[names[role]].str.strip()
        for row in np.flatnonzero(values == ""):
            raise TableError(
                f"{source}, line {row + 2}: the {role} ({names[role]!r}) is empty."
            )
    ids = frame[names["id"]]
    repeated = ids[ids.duplicated(keep=False)]
    if not len(repeated):
        # Ids name the feature files: check them as the writer will, before
        # any extraction rather than after it.
        try:
            _check_ids(ids.tolist())
        except ValueError as exc:
            raise TableError(
                f"{source}: {exc} (rows count from 0 after the header line)"
            ) from None
    if len(repeated):
        first = repeated.iloc[0]
        lines = [int(i) + 2 for i in repeated.index[repeated == first]]
        raise TableError(
            f"{source}: the id {first!r} appears on lines {lines}; ids name the "
            "feature files, so each must be unique."
        )


def _column_items(frame, column, media_dir, extractor, source):
    """Return the column's items (paths resolved in ``media_dir``) and empties."""
    values = frame[column].tolist()
    if not getattr(extractor, "_reads_files", False):
        return values, set()
    root = media_dir.resolve()
    items, empty = [], set()
    for row, value in enumerate(values):
        if not value.strip():
            items.append(None)
            empty.add(row)
            continue
        path = (media_dir / value).resolve()
        if not path.is_relative_to(root):
            raise TableError(
                f"{source}, line {row + 2}, column {column!r}: {value!r} points "
                f"outside MEDIA_DIR {str(media_dir)!r}; media paths must lie "
                "inside it."
            )
        items.append(path)
    return items, empty


def _cache_dir(cache, out):
    if cache is False or cache is None:
        return None
    folder = default_cache(out) if cache is True else Path(cache).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cache_keys(extractor, items, empty):
    """One key per item: the extractor's settings and the file (or text)."""
    # on_error and the column's name change no feature.
    params = {
        name: _model_token(value)
        for name, value in extractor.get_params(deep=False).items()
        if name not in {"on_error", "modality"}
    }
    settings = joblib.hash((type(extractor).__name__, params, __version__))
    keys = []
    for row, item in enumerate(items):
        if row in empty:
            keys.append(None)
        elif isinstance(item, Path):
            try:
                stat = item.stat()
            except OSError:
                keys.append(None)  # missing: extracted (and reported) each time
                continue
            stamp = (str(item), stat.st_size, stat.st_mtime_ns)
            keys.append(joblib.hash((settings, stamp)))
        else:
            keys.append(joblib.hash((settings, item)))
    return keys


def _model_token(value):
    """Stand a torch model in by its architecture and weights (some do not pickle)."""
    state_dict = getattr(value, "state_dict", None)
    if not callable(state_dict):
        return value
    weights = {k: v.detach().cpu().numpy() for k, v in state_dict().items()}
    return ("torch model", repr(value), weights)


def _extract_column(extractor, items, empty, cache_dir, *, n_jobs, progress):
    """Return one result per item (array, problem or None) and the cache hits."""
    results: list = [None] * len(items)
    keys = _cache_keys(extractor, items, empty) if cache_dir else [None] * len(items)
    todo = []
    for row, key in enumerate(keys):
        if row in empty:
            continue
        stored = cache_dir / f"{key}.npy" if key else None
        if stored is not None and stored.is_file():
            results[row] = np.load(stored, allow_pickle=False)
        else:
            todo.append(row)
    n_cached = len(items) - len(empty) - len(todo)
    parallel = (
        extractor._parallel and n_jobs != 1 and len(todo) > 1 and _picklable(extractor)
    )
    chunk = _chunk_size(len(todo), n_jobs if parallel else 1)
    chunks = [todo[start : start + chunk] for start in range(0, len(todo), chunk)]
    jobs = (
        joblib.delayed(_extract_chunk)(extractor, [items[row] for row in rows])
        for rows in chunks
    )
    bar = tqdm(
        total=len(todo),
        desc=f"{extractor.modality} ({type(extractor).__name__})",
        unit="utt",
        disable=not progress,
    )
    with bar:
        outputs = joblib.Parallel(
            n_jobs=n_jobs if parallel else 1, return_as="generator"
        )(jobs)
        for rows, output in zip(chunks, outputs, strict=True):
            for row, result in zip(rows, output, strict=True):
                results[row] = result
                if keys[row] and not isinstance(result, MediaProblem):
                    _store(cache_dir / f"{keys[row]}.npy", result)
            bar.update(len(rows))
    for row in empty:
        results[row] = MediaProblem("no_media", "no media file is given")
    return results, n_cached


def _picklable(extractor):
    """Whether worker processes can receive the extractor (and its model)."""
    try:
        pickle.dumps(extractor)
    except Exception as exc:  # pickling raises many types; any means "no"
        warnings.warn(
            f"{type(extractor).__name__} cannot be sent to worker processes "
            f"({type(exc).__name__}: {exc}); extracting {extractor.modality} in "
            "this process. A torch.export model does not pickle: give the model "
            "as 'package.module:function' to extract it in parallel.",
            UserWarning,
            stacklevel=3,
        )
        return False
    return True


def _store(path, array):
    # Write, then rename: an interrupted run never leaves a half-written
    # entry that a later run would read.
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        np.lib.format.write_array(handle, array, allow_pickle=False)
    os.replace(partial, path)


def _chunk_size(n_items, n_jobs):
    """Small enough chunks for every worker and a lively bar; big enough to batch."""
    workers = joblib.effective_n_jobs(n_jobs)
    return max(1, min(32, math.ceil(n_items / (4 * workers))))


def _extract_chunk(extractor, items):
    return extractor._extract_items(
        [os.fspath(item) if isinstance(item, Path) else item for item in items]
    )


def _labels(column):
    values = column.str.strip()
    if values.map(lambda v: bool(_INT_LABEL.match(v))).all():
        return values.astype(np.int64).to_numpy()
    return values.to_numpy(dtype=object)
