"""Write a Bunch in the on-disk layout that :func:`load_features` reads."""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..utils import is_missing_cell
from ._layout import (
    CSV_NAME,
    FEATURES_DIR,
    ID_COLUMN,
    LABEL_COLUMN,
    SPEAKER_COLUMN,
    feature_column,
    feature_path,
    session_from_utterance,
)

_UNSAFE_ID_CHARACTERS = set('/\\:*?"<>|\0')


def write_feature_set(
    bunch: Mapping,
    path: str | os.PathLike,
    *,
    archive: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write a feature set in the on-disk layout, as a zip archive or a folder.

    The layout is the one :func:`load_features` reads: a ``dataset.csv``
    with columns ``file_name_list, speakers, <modality>_features...,
    emotion_labels``, and one ``.npy`` file per cell under
    ``features/<modality>_features/<session>/<utterance>.npy``. The CSV
    names each file as ``/features/...``, relative to the archive or folder.

    Parameters
    ----------
    bunch : Bunch or dict
        ``data`` (a DataFrame indexed by utterance id, one column per
        modality, cells NumPy arrays or ``None``), ``target`` and ``groups``
        (speakers); ``sessions`` is used when present, else the session is
        read from IEMOCAP-style utterance ids, else files go straight under
        ``<modality>_features/``. What :func:`make_emotion_dataset` and
        :func:`load_features` return.
    path : str or path-like
        The zip archive to write (``archive=True``, e.g. ``features.zip``),
        or the folder (``archive=False``). Both get ``dataset.csv`` and
        ``features/`` at their top.
    archive : bool, default=True
        Write one zip archive (members stored uncompressed: float features
        barely compress, and stored members read fastest) instead of a
        folder.
    overwrite : bool, default=False
        Replace an existing archive, or write into a folder that already
        holds ``dataset.csv`` or ``features/`` (its ``features/`` folder is
        removed first, so no stale file is left behind).

    Returns
    -------
    path : pathlib.Path
        The archive or folder written; pass it to :func:`load_features`.

    Raises
    ------
    FileExistsError
        If the target exists and ``overwrite`` is False.
    ValueError
        If an utterance id is empty, repeated or unusable as a file name, if
        a cell is not a numeric array or ``None``, or if the lengths of
        ``data``, ``target`` and ``groups`` differ.

    See Also
    --------
    load_features : Read the layout back.

    Notes
    -----
    A missing cell (``None`` or NaN) becomes an empty CSV cell and no file.
    Arrays are written as they are (dtype and shape kept). Integer labels
    are written as integers, string labels as strings; ``target_names`` is
    not part of the layout, so pass it again to :func:`load_features` for
    labels other than IEMOCAP's four.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mmer import make_emotion_dataset, write_feature_set
    >>> demo = make_emotion_dataset(
    ...     n_samples=10, dims={"visual": 8, "acoustic": 4, "lexical": 6},
    ...     random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_feature_set(demo, f"{folder}/demo", archive=False)
    ...     print(sorted(p.name for p in written.iterdir()))
    ...     print(sorted(p.name for p in (written / "features").iterdir()))
    ['dataset.csv', 'features']
    ['acoustic_features', 'lexical_features', 'visual_features']
    """
    path = Path(os.fspath(path)).expanduser()
    table, files = _plan(bunch)
    if archive:
        _write_archive(path, table, files, overwrite)
    else:
        _write_folder(path, table, files, overwrite)
    return path


def _plan(bunch):
    """Build the CSV table and the ``(member name, array)`` pairs to write."""
    data = bunch["data"]
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"bunch['data'] must be a pandas DataFrame, got {type(data).__name__}."
        )
    target = np.asarray(bunch["target"])
    groups = np.asarray(bunch["groups"], dtype=object)
    sessions = bunch.get("sessions")
    if len(target) != len(data) or len(groups) != len(data):
        raise ValueError(
            f"data has {len(data)} rows but target has {len(target)} and "
            f"groups {len(groups)}; they must match."
        )
    ids = [str(i) for i in data.index]
    _check_ids(ids)
    if sessions is None:
        sessions = [session_from_utterance(i) for i in ids]
    table = {ID_COLUMN: ids, SPEAKER_COLUMN: [str(g) for g in groups]}
    files = []
    for modality in data.columns:
        column = []
        for position, (utterance, cell) in enumerate(
            zip(ids, data[modality], strict=True)
        ):
            if is_missing_cell(cell):
                column.append("")
                continue
            if not (isinstance(cell, np.ndarray) and cell.dtype.kind in "biuf"):
                raise ValueError(
                    f"row {utterance!r} (position {position}), column "
                    f"{modality!r}: expected a numeric NumPy array or None, got "
                    f"{type(cell).__name__}."
                )
            session = sessions[position]
            name = feature_path(
                str(modality), utterance, None if pd.isna(session) else str(session)
            )
            column.append(name)
            files.append((name.lstrip("/"), cell))
        table[feature_column(str(modality))] = column
    table[LABEL_COLUMN] = list(target)
    return pd.DataFrame(table), files


def _check_ids(ids):
    seen = set()
    for position, utterance in enumerate(ids):
        if not utterance.strip() or utterance in {".", ".."}:
            raise ValueError(
                f"row {position}: the utterance id {utterance!r} is not a name."
            )
        if _UNSAFE_ID_CHARACTERS & set(utterance) or utterance != utterance.strip():
            raise ValueError(
                f"row {position}: the utterance id {utterance!r} cannot be a file "
                "name (it has a path separator, a character such as ':' or '*', "
                "or surrounding spaces)."
            )
        if utterance in seen:
            raise ValueError(
                f"row {position}: the utterance id {utterance!r} appears twice; "
                "ids name the files, so they must be unique."
            )
        seen.add(utterance)


def _csv_bytes(table):
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _write_archive(path, table, files, overwrite):
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{str(path)!r} exists; pass overwrite=True to replace it."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write next to the target, then move: an interrupted export never
    # leaves a half-written archive under the final name.
    handle, partial = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".partial", dir=path.parent
    )
    os.close(handle)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(CSV_NAME, _csv_bytes(table))
            for name, array in files:
                with zf.open(name, "w") as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise


def _write_folder(path, table, files, overwrite):
    features = path / FEATURES_DIR
    existing = [p for p in (path / CSV_NAME, features) if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{[str(p) for p in existing]} exist(s); pass overwrite=True to "
            "replace them."
        )
    if features.exists():
        shutil.rmtree(features)
    path.mkdir(parents=True, exist_ok=True)
    for name, array in files:
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            np.lib.format.write_array(handle, array, allow_pickle=False)
    (path / CSV_NAME).write_bytes(_csv_bytes(table))
