"""skorch's classifier with less work per training batch.

skorch stays the training engine: its history, callbacks, scoring, early
stopping and checkpointing work as usual. What changes is bookkeeping that
costs more than a small MLP step itself:

- batches come from :class:`TensorBatchIterator` (views of device tensors)
  instead of a per-sample ``DataLoader``;
- training batches send their events only when some callback listens to
  them; otherwise the epoch loop records the same history entries, with the
  batch losses read back from the device once per epoch instead of once per
  batch. Validation epochs (a few large batches) always run skorch's loop.

It also lets a user's Ctrl-C through: skorch catches ``KeyboardInterrupt``
around its training loop (its callbacks raise it to stop training) and
returns a model cut short as if it had finished.

Some of the overridden methods (``run_single_epoch``, ``_set_training``) are
skorch internals rather than documented hooks, so ``pyproject.toml`` bounds
skorch to the minor versions this code is tested with.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import BatchScoring, Callback, EpochScoring
from skorch.dataset import get_len

from ._iterator import TensorBatchIterator

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


def _overrides(callback, hook) -> bool:
    return getattr(type(callback), hook) is not getattr(Callback, hook)


def _needs_training_batches(callback) -> bool:
    """Whether a callback does anything on a training batch's events."""
    if isinstance(callback, EpochScoring | BatchScoring):
        # skorch's scorers act on the batches of one phase only.
        return callback.on_train
    return any(_overrides(callback, hook) for hook in _BATCH_HOOKS)


class LeanNeuralNetClassifier(NeuralNetClassifier):
    """:class:`skorch.NeuralNetClassifier` with a lean training loop.

    Falls back to skorch's own training loop, event for event, as soon as a
    callback acts on training batches (e.g. :class:`skorch.callbacks.ProgressBar`,
    or a scorer with ``on_train=True``), and to skorch's closure-based step
    when one acts on gradients (e.g. gradient clipping).
    """

    def __init__(
        self,
        *args,
        iterator_train=TensorBatchIterator,
        iterator_valid=TensorBatchIterator,
        iterator_train__shuffle=True,
        **kwargs,
    ):
        super().__init__(
            *args,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            iterator_train__shuffle=iterator_train__shuffle,
            **kwargs,
        )

    def get_iterator(self, dataset, training=False):
        """Batch iterator; tensor iterators follow the net's current device.

        The device is read at each call rather than stored as a parameter, so
        a net trained on CUDA and unpickled on a CPU-only machine (skorch then
        moves it to the CPU) also feeds its batches from the CPU.
        """
        iterator_cls = self.iterator_train if training else self.iterator_valid
        if not issubclass(iterator_cls, TensorBatchIterator):
            return super().get_iterator(dataset, training=training)
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = {"batch_size": self.batch_size, **self.get_params_for(prefix)}
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        return iterator_cls(dataset, device=self.device, **kwargs)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        """Train as skorch does, but let a user's interrupt (Ctrl-C) through.

        skorch ends training quietly on ``KeyboardInterrupt``, which is also
        how its callbacks (early stopping) stop it. A SIGINT that arrives
        during training is told apart by a signal handler and raised again
        once skorch has tidied up, so the caller never takes a model cut
        short for a finished one.
        """
        with _reraise_user_interrupt():
            return super().partial_fit(X, y, classes=classes, **fit_params)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Note, once per fit, which batch events some callback needs."""
        super().on_train_begin(net, X=X, y=y, **kwargs)
        callbacks = [callback for _, callback in self.callbacks_]
        self._lean_training = not any(map(_needs_training_batches, callbacks))
        self._gradient_events = any(
            _overrides(c, "on_grad_computed") for c in callbacks
        )

    def _set_training(self, training=True):
        """Switch train/eval mode only when it changes.

        skorch sets the mode at every batch; ``Module.train`` walks all
        submodules through ``Module.__setattr__``, a cost comparable to a
        small layer's matrix product. The modules' own flags say whether a
        switch is needed.
        """
        components = [
            getattr(self, name + "_") for name in self._modules + self._criteria
        ]
        if all(
            not isinstance(c, torch.nn.Module) or c.training == training
            for c in components
        ):
            return
        super()._set_training(training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run one epoch; same history entries as skorch, fewer events."""
        if iterator is None:
            return
        if not (training and getattr(self, "_lean_training", False)):
            super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
            return
        losses, sizes = [], []
        for batch in iterator:
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach())
            sizes.append(get_len(batch[0]))  # X may be a dict of tensors
        if not losses:
            return
        # One device-to-host transfer per epoch instead of one per batch.
        for loss, size in zip(torch.stack(losses).tolist(), sizes, strict=True):
            self.history.new_batch()
            self.history.record_batch(prefix + "_loss", loss)
            self.history.record_batch(prefix + "_batch_size", size)
        self.history.record(prefix + "_batch_count", len(sizes))

    def train_step(self, batch, **fit_params):
        """Zero the gradients, backpropagate, step; no closure unless needed."""
        if getattr(self, "_gradient_events", True):
            return super().train_step(batch, **fit_params)
        self._zero_grad_optimizer()
        step = self.train_step_single(batch, **fit_params)
        self._step_optimizer(None)
        return step


@contextmanager
def _reraise_user_interrupt():
    """Raise ``KeyboardInterrupt`` after the block if SIGINT arrived within it.

    Signal handlers can only be set from the main thread; elsewhere (a
    joblib thread) the block runs as it is, and the main thread receives the
    interrupt itself.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    interrupted = False

    def note_and_interrupt(signum, frame):
        nonlocal interrupted
        if previous is signal.SIG_IGN:
            return
        try:
            if not callable(previous):
                raise KeyboardInterrupt
            previous(signum, frame)  # Python's own handler raises
        except KeyboardInterrupt:
            interrupted = True
            raise

    signal.signal(signal.SIGINT, note_and_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt
