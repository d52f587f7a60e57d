"""What every extractor shares: input handling, problems, ``on_error``."""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions

from ..utils._frames import describe_row

# Short names of what can be wrong with one row's media, as listed in the
# problems table that ``sklearn-mmer extract`` writes.
EXTRACTION_PROBLEMS = {
    "missing_file": "the file does not exist",
    "unreadable": "the file cannot be decoded (not a supported format, or corrupt)",
    "truncated": "the file is shorter than its header says (cut off)",
    "empty": "the recording holds no samples or no frames",
    "silent": "the recording is silent (its peak is below the silence threshold)",
    "non_finite": "the signal holds NaN or infinite values",
    "empty_transcript": "the transcript is empty",
    "no_face": "no sampled video frame shows a face",
    "no_media": "the table gives no media file for this row",
    "bad_input": "the cell is neither a path nor an array of the expected shape",
}

PROBLEM_COLUMNS = ["row", "utterance", "modality", "path", "problem", "reason"]


class ExtractionError(ValueError):
    """One row's media cannot be turned into features.

    Raised by the extractors with ``on_error="raise"``. The message names
    the row, the file and what is wrong; the same facts are attributes.

    Attributes
    ----------
    row : int
        Position of the row in the input.
    utterance : str
        The row's label (its utterance id) or its position as text.
    path : str
        The media file, or ``""`` for an in-memory signal or a transcript.
    problem : str
        Short name of the problem, a key of ``EXTRACTION_PROBLEMS``.
    """

    def __init__(self, message, *, row, utterance, path, problem):
        super().__init__(message)
        self.row = row
        self.utterance = utterance
        self.path = path
        self.problem = problem


class ExtractionWarning(UserWarning):
    """Rows left empty by an extractor with ``on_error="skip"``."""


class MediaProblem(Exception):
    """Raised inside an extractor for one item; turned into a row's problem."""

    def __init__(self, problem: str, reason: str):
        super().__init__(reason)
        self.problem = problem
        self.reason = reason


def require(module: str, extra: str) -> None:
    """Fail with the install command when an optional dependency is missing."""
    if importlib.util.find_spec(module) is None:
        raise ImportError(
            f"This extractor needs the optional package {module!r}: "
            f"pip install 'sklearn-mmer[{extra}]'"
        )


def media_path(item) -> str | None:
    """Return the item as a path string, or None when it is not a path."""
    if isinstance(item, str | os.PathLike):
        return os.fspath(item)
    return None


def check_file(path: str) -> None:
    """Name a missing or empty file before a decoder gives a vaguer error."""
    if not os.path.exists(path):
        raise MediaProblem("missing_file", f"{path!r} does not exist")
    if os.path.getsize(path) == 0:
        raise MediaProblem("empty", f"{path!r} is an empty file (0 bytes)")


def column_items(X) -> tuple[list, pd.Index | None]:
    """Return the cells of one media column and their row labels.

    ``X`` is a path, a sequence of paths or arrays, a pandas Series, or a
    one-column DataFrame (a column of the user's table).
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[1] != 1:
            raise ValueError(
                "Expected one column of media paths, arrays or transcripts; got "
                f"a DataFrame with {X.shape[1]} columns {list(X.columns)}. Select "
                "the column first, e.g. X['audio'] or ColumnTransformer."
            )
        return list(X.iloc[:, 0]), X.index
    if isinstance(X, pd.Series):
        return list(X), X.index
    if isinstance(X, str | os.PathLike):
        return [X], None
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
        # A numeric matrix: one signal per row.
        return list(np.atleast_2d(X)), None
    if isinstance(X, Sequence | np.ndarray):
        return list(X), None
    raise TypeError(
        "Expected a column of media paths, arrays or transcripts (a list, a "
        f"pandas Series or a one-column DataFrame); got {type(X).__name__}."
    )


class MediaExtractor(TransformerMixin, BaseEstimator):
    """Base of the extractors: one column of media in, one modality out.

    Subclasses implement ``_extract_one(item)``, which returns a float32
    array or raises :class:`MediaProblem`; extractors that batch (text)
    override ``_extract_items``. Nothing is learned: :meth:`fit` only checks
    the parameters, and :meth:`transform` works on an unfitted extractor too.
    """

    _reads_files = False  # cells are paths in MEDIA_DIR (audio, video)
    _parallel = True  # extract_features may spread rows over processes
    _requires: tuple = ()  # (module, extra) pairs the extractor imports

    _parameter_constraints: dict = {
        "on_error": [StrOptions({"raise", "skip"})],
        "modality": [str],
    }

    def fit(self, X=None, y=None):
        """Check the parameters; nothing is learned from ``X``.

        Parameters
        ----------
        X : ignored
        y : ignored

        Returns
        -------
        self : object
        """
        self._validate_params()
        return self

    def transform(self, X) -> pd.DataFrame:
        """Extract one cell per row.

        Parameters
        ----------
        X : str, sequence, pandas Series or one-column DataFrame
            Media paths, in-memory signals or transcripts, one per row.

        Returns
        -------
        cells : pandas.DataFrame
            One column named ``modality``, indexed like ``X``; each cell a
            float32 array, or ``None`` for a row skipped with
            ``on_error="skip"`` (listed in an :class:`ExtractionWarning`).

        Raises
        ------
        ExtractionError
            With ``on_error="raise"``, for the first row that cannot be
            extracted; the message names the row, the file and the problem.
        """
        self._validate_params()
        items, index = column_items(X)
        cells, problems = self.extract_rows(items, index)
        if problems:
            lines = "; ".join(
                f"{describe_row(index, p['row'])}: {p['reason']}" for p in problems
            )
            warnings.warn(
                f"{type(self).__name__} left {len(problems)} row(s) empty: {lines}",
                ExtractionWarning,
                stacklevel=2,
            )
        return pd.DataFrame({self.modality: cells}, index=index)

    def extract_rows(self, items, index=None) -> tuple[list, list[dict]]:
        """Extract every item; return the cells and the problems found.

        With ``on_error="raise"`` the first problem raises
        :class:`ExtractionError`; with ``"skip"`` the row's cell is ``None``
        and the problem is returned, as a dict with the keys of
        ``PROBLEM_COLUMNS``.
        """
        return self.collect(items, self._extract_items(items), index)

    def collect(self, items, results, index=None) -> tuple[list, list[dict]]:
        """Turn per-item results (arrays or problems) into cells and problems."""
        cells, problems = [], []
        for position, (item, result) in enumerate(zip(items, results, strict=True)):
            if not isinstance(result, MediaProblem):
                cells.append(result)
                continue
            where = describe_row(index, position)
            path = media_path(item) or ""
            if self.on_error == "raise":
                raise ExtractionError(
                    f"{where}: {result.reason} ({result.problem}). Use "
                    "on_error='skip' to leave such rows empty and list them.",
                    row=position,
                    utterance=str(index[position]) if index is not None else "",
                    path=path,
                    problem=result.problem,
                )
            cells.append(None)
            problems.append(
                {
                    "row": position,
                    "utterance": str(index[position])
                    if index is not None
                    else str(position),
                    "modality": self.modality,
                    "path": path,
                    "problem": result.problem,
                    "reason": result.reason,
                }
            )
        return cells, problems

    def check_extras(self) -> None:
        """Raise ImportError naming the extra to install, if a library is missing."""
        for module, extra in self._requires:
            require(module, extra)

    def _extract_items(self, items) -> list:
        """Return an array or a :class:`MediaProblem` per item."""
        results = []
        for item in items:
            try:
                results.append(self._extract_one(item))
            except MediaProblem as problem:
                results.append(problem)
        return results

    def _extract_one(self, item) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Return the one output column: the modality's name.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str
        """
        return np.asarray([self.modality], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Nothing to learn; the input is a column of media, not a matrix.
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags
