"""Mini-batches straight from tensors, without a per-sample DataLoader.

torch's ``DataLoader`` fetches samples one by one and collates them, which
costs more than the arithmetic of a small MLP step. For data that is already
one in-memory matrix, slicing views of one tensor is all a batch needs.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.dataset import Dataset
from torch.utils.data import DataLoader

# Keep the training data in host memory when it would take more than this
# share of the free GPU memory; the model and activations need the rest.
_GPU_MEMORY_SHARE = 0.5


class TensorBatchIterator:
    """Yield ``(X_batch, y_batch)`` views of tensors held on the device.

    skorch builds one iterator per fit (and one per predict), so the data
    moves to the device once per fit, not once per batch. With shuffling, one
    gather per epoch permutes the data, and the batches are slices (views).
    Anything other than a skorch :class:`~skorch.dataset.Dataset` over
    arrays falls back to a :class:`~torch.utils.data.DataLoader`.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch Dataset
        The data, as skorch hands it to ``iterator_train``/``iterator_valid``.
    batch_size : int
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default=False
        Reshuffle every epoch (training).
    device : str, default="cpu"
        Where the batches should live.
    """

    def __init__(self, dataset, batch_size, shuffle=False, device="cpu"):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.device = torch.device(device)
        self._tensors = _dataset_tensors(dataset, self.device)

    def __len__(self):
        n_rows = len(self.dataset)
        return (n_rows + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        if self._tensors is None:
            yield from DataLoader(
                self.dataset, batch_size=self.batch_size, shuffle=self.shuffle
            )
            return
        X, y = self._tensors
        if self.shuffle:
            order = torch.randperm(len(X), device=X.device)
            X = X.index_select(0, order)
            y = None if y is None else y.index_select(0, order)
        on_device = X.device == self.device
        for start in range(0, len(X), self.batch_size):
            X_batch = X[start : start + self.batch_size]
            y_batch = None if y is None else y[start : start + self.batch_size]
            if not on_device:
                X_batch = X_batch.to(self.device, non_blocking=True)
                if y_batch is not None:
                    y_batch = y_batch.to(self.device, non_blocking=True)
            yield X_batch, y_batch


def _dataset_tensors(dataset, device):
    """Return ``(X, y)`` tensors for a skorch Dataset over arrays, else None."""
    if type(dataset) is not Dataset:
        return None
    X, y = dataset.X, dataset.y
    if not isinstance(X, np.ndarray | torch.Tensor):
        return None
    if y is not None and not isinstance(y, np.ndarray | torch.Tensor):
        return None
    X = torch.as_tensor(X)
    y = None if y is None else torch.as_tensor(y)
    home = device if _fits_on(device, X, y) else torch.device("cpu")
    if home.type == "cpu" and device.type == "cuda":
        X = X.pin_memory()
        y = None if y is None else y.pin_memory()
    return X.to(home), None if y is None else y.to(home)


def _fits_on(device, *tensors):
    """Whether the tensors (None counts as nothing) fit the device's share."""
    if device.type != "cuda":
        return True
    free_bytes, _ = torch.cuda.mem_get_info(device)
    needed = sum(tensor.nbytes for tensor in tensors if tensor is not None)
    return needed <= _GPU_MEMORY_SHARE * free_bytes


# Training batches are drawn from random pools of this many batches' rows,
# sorted by length: batches pad little, yet differ from epoch to epoch.
_POOL_BATCHES = 16
# Prediction batches hold at most this many padded input values (64 MiB of
# float32), whatever the sequences' length and width.
_PREDICT_BATCH_VALUES = 2**24


class BucketBatchIterator(TensorBatchIterator):
    """Yield padded batches of sequences of similar length, with masks.

    Batches are ``({"x": x, "mask": mask}, y)``: ``x`` of shape
    ``[B, T, dim]`` with ``T`` the longest sequence *of the batch*, zero on
    padded frames, and ``mask`` ``[B, T]``, True on real frames. The frames
    move to the device once per iterator (as in :class:`TensorBatchIterator`);
    each batch is one gather from them.

    In training (``shuffle=True``), every epoch shuffles the rows, sorts each
    pool of ``16 * batch_size`` random rows by length, cuts the pools into
    batches and shuffles the batches: each row comes exactly once per epoch
    and sits with rows of similar length. Otherwise the rows come in dataset
    order, in batches of at most ``batch_size`` rows and about 16 million
    padded values (lay the dataset out by length to pad little).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        ``X`` the :class:`~sklearn_mmer.neural_network._ragged.RaggedSequences`,
        ``y`` the targets or None.
    batch_size : int
        Rows per batch (training), most rows per batch (otherwise).
    shuffle : bool, default=False
        Bucket and reshuffle every epoch (training).
    device : str, default="cpu"
        Where the batches should live.
    """

    def __init__(self, dataset, batch_size, shuffle=False, device="cpu"):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.device = torch.device(device)
        sequences = dataset.X
        y = None if dataset.y is None else torch.as_tensor(dataset.y)
        frames = sequences.frames
        home = self.device if _fits_on(self.device, frames, y) else torch.device("cpu")
        self._frames = frames.to(home)
        self._y = None if y is None else y.to(self.device)
        self._lengths = sequences.lengths.to(home)
        self._starts = sequences.starts.to(home)
        self._host_lengths = sequences.lengths.numpy()
        self._values_per_frame = max(1, frames.shape[1])
        self._in_order = None if shuffle else self._ordered_batches()

    def __len__(self):
        if self._in_order is not None:
            return len(self._in_order[1])
        return (len(self.dataset) + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        rows, bounds, longest = self._in_order or self._bucketed_batches()
        rows = rows.to(self._frames.device, non_blocking=True)
        for (start, stop), n_frames in zip(bounds, longest, strict=True):
            yield self._batch(rows[start:stop], int(n_frames))

    def _bucketed_batches(self):
        """Return rows, batch bounds and longest sequence per batch for an epoch."""
        lengths = self._host_lengths
        rows = torch.randperm(len(lengths)).numpy()
        pool = np.arange(len(lengths)) // (_POOL_BATCHES * self.batch_size)
        rows = rows[np.lexsort((lengths[rows], pool))]
        batches = np.split(rows, np.arange(self.batch_size, len(rows), self.batch_size))
        # The batches' order comes from torch too: one seed drives the epoch.
        batches = [batches[i] for i in torch.randperm(len(batches)).tolist()]
        sizes = np.fromiter(map(len, batches), dtype=np.intp, count=len(batches))
        longest = [lengths[batch].max() for batch in batches]
        return torch.from_numpy(np.concatenate(batches)), _bounds(sizes), longest

    def _ordered_batches(self):
        """Return consecutive rows cut into batches of bounded padded size."""
        width = self._values_per_frame
        bounds, longest = [], []
        start = batch_longest = 0
        for position, length in enumerate(self._host_lengths.tolist()):
            grown, n_rows = max(batch_longest, length), position - start + 1
            too_big = n_rows * grown * width > _PREDICT_BATCH_VALUES
            if position > start and (n_rows > self.batch_size or too_big):
                bounds.append((start, position))
                longest.append(batch_longest)
                start, grown = position, length
            batch_longest = grown
        bounds.append((start, len(self._host_lengths)))
        longest.append(batch_longest)
        return torch.arange(len(self._host_lengths)), bounds, longest

    def _batch(self, rows, n_frames):
        x, mask = _padded(self._frames, self._starts, self._lengths, rows, n_frames)
        y = None if self._y is None else self._y[rows.to(self._y.device)]
        if x.device != self.device:
            x, mask = x.to(self.device), mask.to(self.device)
        return {"x": x, "mask": mask}, y


def _padded(frames, starts, lengths, rows, n_frames):
    """Pad the rows' sequences to ``n_frames``: ``x [B, T, dim]`` and ``mask``."""
    positions = torch.arange(n_frames, device=rows.device)
    mask = positions < lengths[rows].unsqueeze(1)
    # Padded positions gather the row's first frame, then become zeros.
    index = starts[rows].unsqueeze(1) + positions * mask
    x = frames.index_select(0, index.view(-1))
    x = x.view(len(rows), n_frames, frames.shape[1])
    x.masked_fill_(~mask.unsqueeze(-1), 0.0)
    return x, mask


def _bounds(sizes):
    """``(start, stop)`` of consecutive batches of the given sizes."""
    stops = np.cumsum(sizes)
    return list(zip((stops - sizes).tolist(), stops.tolist(), strict=True))


class MultimodalBatchIterator(BucketBatchIterator):
    """Batches of a multimodal table whose frame modalities stay sequences.

    Batches are ``({"X": X, "frames": [x, ...], "masks": [mask, ...]}, y)``:
    ``X`` the batch's rows of the matrix of vector modalities and presence
    columns, then, per frame modality, its sequences padded to the longest
    one *of that modality in the batch* and their mask (True on real
    frames), as :class:`BucketBatchIterator` pads one column. Rows are
    bucketed by their longest frame modality: in training, random pools of
    rows sorted by it; otherwise dataset order, batches bounded in padded
    size (every frame modality padded to the longest row counts).

    Parameters
    ----------
    dataset : skorch.dataset.Dataset
        ``X`` the :class:`~sklearn_mmer.neural_network._table.MultimodalInputs`
        (at least one frame modality), ``y`` the targets or None.
    batch_size : int
        Rows per batch (training), most rows per batch (otherwise).
    shuffle : bool, default=False
        Bucket and reshuffle every epoch (training).
    device : str, default="cpu"
        Where the batches should live.
    """

    def __init__(self, dataset, batch_size, shuffle=False, device="cpu"):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.device = torch.device(device)
        inputs = dataset.X
        y = None if dataset.y is None else torch.as_tensor(dataset.y)
        frames = [sequences.frames for sequences in inputs.sequences]
        fits = _fits_on(self.device, inputs.matrix, *frames, y)
        home = self.device if fits else torch.device("cpu")
        self._matrix = inputs.matrix.to(home)
        self._frames = [modality.to(home) for modality in frames]
        self._lengths = [s.lengths.to(home) for s in inputs.sequences]
        self._starts = [s.starts.to(home) for s in inputs.sequences]
        self._y = None if y is None else y.to(self.device)
        self._modality_lengths = [s.lengths.numpy() for s in inputs.sequences]
        self._host_lengths = np.max(self._modality_lengths, axis=0)
        self._values_per_frame = max(1, sum(f.shape[1] for f in frames))
        self._in_order = None if shuffle else self._ordered_batches()

    def __iter__(self):
        rows, bounds, _ = self._in_order or self._bucketed_batches()
        host_rows = rows.numpy()
        rows = rows.to(self._matrix.device, non_blocking=True)
        for start, stop in bounds:
            batch = host_rows[start:stop]
            longest = [int(lengths[batch].max()) for lengths in self._modality_lengths]
            yield self._batch(rows[start:stop], longest)

    def _batch(self, rows, longest):
        padded = [
            _padded(frames, starts, lengths, rows, n_frames)
            for frames, starts, lengths, n_frames in zip(
                self._frames, self._starts, self._lengths, longest, strict=True
            )
        ]
        X = self._matrix.index_select(0, rows)
        y = None if self._y is None else self._y[rows.to(self._y.device)]
        if X.device != self.device:
            X = X.to(self.device)
            padded = [(x.to(self.device), m.to(self.device)) for x, m in padded]
        frames = [x for x, _ in padded]
        masks = [mask for _, mask in padded]
        return {"X": X, "frames": frames, "masks": masks}, y
