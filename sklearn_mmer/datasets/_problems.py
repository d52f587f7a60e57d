"""The bookkeeping of bad rows: what each problem is called, and the log of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Short names of the problems a row can have, as listed in ``report.skipped``.
PROBLEMS = {
    "missing_id": "the utterance id is empty",
    "duplicate_id": "the utterance id appears in more than one row",
    "missing_speaker": "the speaker is empty",
    "missing_label": "the label is empty",
    "unknown_label": "the label is not one of the known labels",
    "bad_path": "the path leads outside the feature set, or no file can have it",
    "missing_file": "the file does not exist",
    "unreadable": "the file is not a readable .npy array (truncated or corrupt)",
    "non_numeric": "the array does not hold numbers",
    "bad_shape": "the array is not (frames, dim) or (dim,)",
    "empty_array": "the array has zero frames or zero features",
    "non_finite": "the array holds NaN or infinite values",
    "overflow": "the array holds values too large for float32",
    "dimension": "the feature dimension differs from the rest of the modality",
}

SKIPPED_COLUMNS = ["row", "line", "utterance", "column", "path", "problem", "reason"]


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


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    path: str
    problem: str
    reason: str


class RowProblems:
    """The problems found in the rows of one CSV, raised or kept for the report.

    With ``on_error="raise"`` the first problem raises a
    :class:`FeatureSetError`; with ``"skip"`` each is kept, and its row is
    left out of the data.
    """

    def __init__(self, ids, csv_name, on_error):
        self.ids = ids
        self.csv_name = csv_name
        self.on_error = on_error
        self.problems: list[Problem] = []

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
        self.problems.append(Problem(row, column, path, problem, reason))

    def where(self, row):
        """Name a row: CSV line, position and utterance id."""
        utterance = self.ids[row]
        return f"{self.csv_name} line {row + 2} (row {row}, utterance {utterance!r})"

    def rows_to_keep(self):
        """Boolean mask of the rows without problems."""
        keep = np.ones(len(self.ids), dtype=bool)
        keep[[p.row for p in self.problems]] = False
        if not keep.any():
            first = self.problems[0]
            raise ValueError(
                f"No row of {self.csv_name} could be loaded ({len(self.ids)} "
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
        return pd.DataFrame.from_records(records, columns=SKIPPED_COLUMNS).astype(
            {"row": np.int64, "line": np.int64}
        )
