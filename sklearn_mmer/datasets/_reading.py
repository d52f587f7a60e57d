"""Read the ``.npy`` files of a feature column, and check each array."""

from __future__ import annotations

import zipfile
import zlib

import numpy as np

from ._pooling import make_pooler
from ._problems import PROBLEMS
from ._sources import MemberUnreadable, PathRefused


class ColumnReader:
    """Read feature columns from a source, recording each bad cell's problem."""

    def __init__(self, source, table, problems):
        self.source = source
        self.table = table
        self.problems = problems
        # Per column: frame count of each row's array as stored (0 for a
        # (dim,) vector, -1 where nothing was read), and its dimension.
        self.frames: dict[str, np.ndarray] = {}
        self.dims: dict[str, np.ndarray] = {}

    def read_column(self, column, *, pool):
        """Read every file of one feature column; cells of bad rows are None."""
        paths = self.table[column].to_numpy(dtype=object)
        cells = np.empty(len(paths), dtype=object)
        dims = np.full(len(paths), -1, dtype=np.intp)
        frames = np.full(len(paths), -1, dtype=np.intp)

        def store(row, cell):
            self._store(row, column, paths, cell, cells, dims)

        pooler = make_pooler(pool, store)
        for row, path in enumerate(paths):
            if not path:
                continue  # a missing modality for this row, kept as None
            try:
                key = self.source.resolve(path)
            except PathRefused as exc:
                self.problems.add(row, column, path, "bad_path", str(exc))
                continue
            if key is None:
                self.problems.add(
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
            if pooler is None:
                store(row, array)
            else:
                pooler.add(row, array)
        if pooler is not None:
            pooler.flush()
        self._check_dims(column, paths, cells, dims)
        self.dims[column], self.frames[column] = dims, frames
        return cells

    def _store(self, row, column, paths, cell, cells, dims):
        if _all_finite(cell):
            cells[row] = cell
        else:
            self.problems.add(
                row, column, paths[row], "non_finite", PROBLEMS["non_finite"]
            )
            dims[row] = -1  # out of the dimension count and the report

    def _read_array(self, row, column, path, key):
        try:
            array = self.source.read_array(key)
        except MemberUnreadable as exc:
            self.problems.add(row, column, path, "unreadable", str(exc))
            return None
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
            self.problems.add(
                row,
                column,
                path,
                "unreadable",
                f"cannot be read as a .npy array ({type(exc).__name__}: {exc})",
            )
            return None
        if array.dtype.kind not in "biuf":
            self.problems.add(
                row,
                column,
                path,
                "non_numeric",
                f"the array holds {array.dtype} values, not numbers",
            )
            return None
        if array.ndim not in (1, 2):
            self.problems.add(
                row,
                column,
                path,
                "bad_shape",
                f"expected a (frames, dim) or (dim,) array, got shape {array.shape}",
            )
            return None
        if array.size == 0:
            self.problems.add(
                row,
                column,
                path,
                "empty_array",
                f"the array of shape {array.shape} has zero frames or zero features",
            )
            return None
        largest = _largest_finite_magnitude(array)
        if largest > _FLOAT32_MAX:
            # The models train in float32, where these values are infinite.
            self.problems.add(
                row,
                column,
                path,
                "overflow",
                f"the array holds values up to {largest:.3g}, which overflow "
                f"float32 (largest {_FLOAT32_MAX:.3g}), the precision the models "
                "train in; rescale or standardise the features",
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
            self.problems.add(
                row,
                column,
                paths[row],
                "dimension",
                f"feature dimension {dims[row]} differs from {expected}, that of "
                f"{counts.max()} other rows of this modality",
            )
            cells[row] = None


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _largest_finite_magnitude(array):
    """Largest absolute finite value of a wider-than-float32 array, else 0."""
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4:
        return 0.0  # integers up to 2**63 and float32 values fit float32
    low, high = float(np.min(array)), float(np.max(array))
    if not (np.isfinite(low) and np.isfinite(high)):
        return 0.0  # NaN or infinity: the non_finite check names it
    return max(-low, high)


def _all_finite(array):
    if array.dtype.kind in "biu":
        return True
    # NaN propagates through min and max, and an infinity is one of them:
    # two reductions, no temporary array.
    return bool(np.isfinite(array.min()) and np.isfinite(array.max()))
