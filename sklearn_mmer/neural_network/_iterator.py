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


def _fits_on(device, X, y):
    if device.type != "cuda":
        return True
    free_bytes, _ = torch.cuda.mem_get_info(device)
    needed = X.nbytes + (0 if y is None else y.nbytes)
    return needed <= _GPU_MEMORY_SHARE * free_bytes
