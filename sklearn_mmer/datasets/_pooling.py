"""Pooling frames as the loader reads them: ``load_features(pool=...)``.

The entry point is :func:`make_pooler`: the column reader hands it every
array it has read and checked, and it stores each cell, pooled, through the
``store`` callback. A new pooling statistic is a new ``pool`` value here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..utils import mean_of_sequences

# The values of load_features' ``pool`` option.
POOL_OPTIONS = (None, "mean")

# Frames pooled together with pool="mean": about the cache-sized chunks
# TemporalMeanPool reduces at once, small next to the pooled matrix.
_POOL_BATCH_BYTES = 4 * 2**20


def check_pool(pool) -> None:
    """Raise a ValueError for a ``pool`` option load_features lacks."""
    if pool not in POOL_OPTIONS:
        raise ValueError(f"pool must be None or 'mean'; got {pool!r}.")


def make_pooler(pool, store: Callable[[int, np.ndarray], None]) -> MeanPooler | None:
    """Return what pools the cells of one column for ``pool``; None keeps them."""
    if pool is None:
        return None
    return MeanPooler(store)


class MeanPooler:
    """Average each frame sequence over time; hand the means to ``store``.

    Sequences wait in batches of a few megabytes of one dimension, averaged
    together to spread the fixed cost of each reduction. Vectors, already
    one per utterance, are only made float32. Call :meth:`flush` after the
    last array.
    """

    def __init__(self, store: Callable[[int, np.ndarray], None]):
        self._store = store
        self._batch: list[tuple[int, np.ndarray]] = []
        self._bytes = 0

    def add(self, row: int, array: np.ndarray) -> None:
        """Pool the ``(frames, dim)`` or ``(dim,)`` array of ``row``."""
        if array.ndim == 1:
            self._store(row, array.astype(np.float32))
            return
        if self._batch and self._batch[0][1].shape[1] != array.shape[1]:
            self.flush()
        self._batch.append((row, array))
        self._bytes += array.nbytes
        if self._bytes >= _POOL_BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Average the waiting sequences over time, then store the means."""
        if not self._batch:
            return
        # TemporalMeanPool's own reduction; a mean depends on its own frames
        # only, so pooling as the files come gives identical floats.
        batch = self._batch
        lengths = np.fromiter((len(a) for _, a in batch), np.intp, len(batch))
        means = mean_of_sequences([array for _, array in batch], lengths)
        for (row, _), mean in zip(batch, means, strict=True):
            # A mean is non-finite exactly when a frame is.
            self._store(row, mean)
        self._batch, self._bytes = [], 0


def finish_column(cells, pool):
    """Return the kept cells of a column as the data frame will hold them."""
    if pool != "mean":
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
