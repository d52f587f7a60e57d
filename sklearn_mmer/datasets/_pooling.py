"""Pooling frames as the loader reads them: ``load_features(pool=...)``.

The entry point is :func:`make_pooler`: the column reader hands it every
array it has read and checked, and it stores each cell, pooled, through the
``store`` callback. A new pooling statistic is a new ``pool`` value here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..utils import check_statistics, stats_of_sequences

# Frames pooled together with pool="mean": about the cache-sized chunks
# TemporalMeanPool reduces at once, small next to the pooled matrix.
_POOL_BATCH_BYTES = 4 * 2**20


def check_pool(pool) -> tuple[str, ...] | None:
    """Return the statistics ``pool`` names (TemporalStatsPool's), or None."""
    return None if pool is None else check_statistics(pool, "pool")


def make_pooler(pool, store: Callable[[int, np.ndarray], None]) -> StatsPooler | None:
    """Return what pools the cells of one column for ``pool``; None keeps them."""
    if pool is None:
        return None
    return StatsPooler(store, check_pool(pool))


class StatsPooler:
    """Reduce each frame sequence over time; hand the results to ``store``.

    Sequences wait in batches of a few megabytes of one dimension, reduced
    together to spread the fixed cost of each reduction. Vectors, already
    one per utterance, are only made float32 (see :func:`finish_column`).
    Call :meth:`flush` after the last array.
    """

    def __init__(self, store: Callable[[int, np.ndarray], None], stats):
        self._store = store
        self._stats = stats
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
        # TemporalStatsPool's own reduction; a row's statistics depend on its
        # own frames only, so pooling as the files come gives identical floats.
        batch = self._batch
        lengths = np.fromiter((len(a) for _, a in batch), np.intp, len(batch))
        arrays = [array for _, array in batch]
        means = stats_of_sequences(arrays, lengths, self._stats)
        for (row, _), mean in zip(batch, means, strict=True):
            # Non-finite exactly when a frame is.
            self._store(row, mean)
        self._batch, self._bytes = [], 0


def finish_column(cells, pool):
    """Return the kept cells of a column as the data frame will hold them."""
    if pool is None:
        return cells
    # One matrix per modality; cells are views of its rows, so the pooled
    # data costs one (n_rows, dim) float32 block.
    present = np.array([cell is not None for cell in cells], dtype=bool)
    if present.any():
        _pool_vectors_among_sequences(cells, present, check_pool(pool))
        matrix = np.stack(cells[present])
        out = np.empty(len(cells), dtype=object)
        out[np.flatnonzero(present)] = list(matrix)
        return out
    return cells


def _pool_vectors_among_sequences(cells, present, stats):
    """Pool each vector of a modality with frames as a sequence of one frame.

    As TemporalStatsPool does. A vector kept as stored has ``dim`` values,
    a pooled sequence ``len(stats) * dim``: only a column holding both
    sizes has vectors among sequences.
    """
    sizes = np.array([len(cell) for cell in cells[present]])
    if len(stats) == 1 or sizes.min() * len(stats) != sizes.max():
        return
    for row in np.flatnonzero(present)[sizes == sizes.min()]:
        cells[row] = stats_of_sequences([cells[row][None]], np.ones(1, int), stats)[0]
