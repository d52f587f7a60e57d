"""Load the feature sets users already have: a CSV and one ``.npy`` per cell.

:func:`load_features` puts the steps together, each in its own module:
``_table`` finds, reads and checks the CSV; ``_rows`` checks ids and speakers
and parses labels; ``_reading`` reads and checks each feature file through a
``_sources`` reader (zip or folder); ``_pooling`` pools frames as they are
read; ``_problems`` keeps the bad rows, raised or reported; ``_report``
describes what was loaded.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._labels import check_name_count, read_label_names
from ._layout import FEATURE_SUFFIX, ID_COLUMN, SPEAKER_COLUMN
from ._pooling import check_pool, finish_column
from ._problems import PROBLEMS, FeatureSetError, RowProblems
from ._reading import ColumnReader
from ._report import LoadReport, describe, describe_modalities
from ._rows import check_ids, check_target_names, parse_labels, sessions
from ._sources import open_source
from ._table import read_table, select_modalities

__all__ = ["PROBLEMS", "FeatureSetError", "LoadReport", "load_features"]

logger = logging.getLogger("sklearn_mmer")


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
        ``features/`` itself). A folder with no ``features/`` but a
        ``features.zip`` (beside ``dataset.csv``) is read through that
        archive.
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
        labels outside ``0..len(target_names) - 1`` are unknown, and more
        names than labels is an error. Defaults to the lines of a
        ``labels.txt`` beside the CSV (one name per line, in label order)
        when there is one; else IEMOCAP's anger, sadness, happiness, neutral
        when the labels are exactly 0..3, and otherwise the labels
        themselves (``"0"``, ``"1"``, ...). With string labels, the known
        labels (others are unknown); default: every label found.
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
    is no telling which is right); an unknown label; a feature path that
    leads outside the archive or folder (through ``..`` or a symbolic link;
    the file is never opened), holds a NUL character or is longer than a
    file system allows; a feature file that does not exist, an archive
    member that is encrypted or compressed with a method Python cannot read
    (Deflate64), a file that cannot be read as a ``.npy`` array
    (truncated, corrupt, pickled objects), does not hold numbers, is not
    ``(frames, dim)`` or ``(dim,)``, is empty, holds NaN or infinite
    values or values too large for float32, or has a feature dimension
    that differs from that of most rows of its modality.

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
    check_pool(pool)
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip'; got {on_error!r}.")
    target_names = check_target_names(target_names)

    source = open_source(features)
    try:
        table, csv_name = read_table(source, features, csv)
        ids = table[ID_COLUMN].to_numpy(dtype=object)
        speakers = table[SPEAKER_COLUMN].to_numpy(dtype=object)
        problems = RowProblems(ids, csv_name, on_error)
        columns, absent = select_modalities(table, csv_name, modalities)
        check_ids(ids, speakers, problems)
        names_from = "target_names"
        if target_names is None:
            target_names, names_from = read_label_names(source, csv_name)
        target, names = parse_labels(table, target_names, problems)
        if target_names is not None and target.dtype != object:
            check_name_count(target_names, target, names_from)
        reader = ColumnReader(source, table, problems)
        cells = {column: reader.read_column(column, pool=pool) for column in columns}
    finally:
        source.close()

    keep = problems.rows_to_keep()
    if problems.problems:
        counts = Counter(p.problem for p in problems.problems)
        logger.warning(
            "load_features left out %d of %d rows of %s (%s); see report.skipped.",
            len(table) - int(keep.sum()),
            len(table),
            csv_name,
            ", ".join(f"{n} {name}" for name, n in counts.most_common()),
        )

    target = target[keep]
    data = pd.DataFrame(
        {
            column[: -len(FEATURE_SUFFIX)]: finish_column(values[keep], pool)
            for column, values in cells.items()
        },
        index=pd.Index(ids[keep], name="utterance"),
    )
    if target.dtype == object and target_names is None:
        names = np.array(sorted(set(target)), dtype=object)
    report = LoadReport(
        source=str(source.path),
        csv=csv_name,
        n_rows=len(table),
        n_loaded=len(data),
        modalities=describe_modalities(reader, cells, keep, pool),
        absent_modalities=tuple(absent),
        skipped=problems.skipped_frame(),
        pool=pool,
    )
    kept_speakers = speakers[keep]
    if return_X_y:
        data.attrs["speakers"] = dict(zip(ids[keep], kept_speakers, strict=True))
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=names,
        groups=kept_speakers,
        sessions=sessions(table, ids, columns, keep),
        report=report,
        DESCR=describe(report, data, kept_speakers, names),
    )
