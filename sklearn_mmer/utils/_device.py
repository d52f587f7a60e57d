"""Pick the torch device an estimator trains on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


def resolve_device(device: str | torch.device = "auto") -> str:
    """Turn a device request into a concrete torch device string.

    Parameters
    ----------
    device : str or torch.device, default="auto"
        ``"auto"`` picks ``"cuda"`` when a CUDA device is available and
        ``"cpu"`` otherwise. Any other value (``"cpu"``, ``"cuda"``,
        ``"cuda:1"``) is checked and returned as given.

    Returns
    -------
    device : str
        A string that :class:`torch.device` accepts.

    Raises
    ------
    ValueError
        If the string is not a device torch knows, or names CUDA on a machine
        without it.

    Examples
    --------
    >>> from sklearn_mmer.utils import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("auto") in {"cpu", "cuda"}
    True
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', "
            "'cuda' or 'cuda:<index>'."
        ) from exc
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} asks for CUDA, but torch sees no CUDA device "
                f"(torch {torch.__version__}). Use device='auto' or 'cpu'."
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r}: only {torch.cuda.device_count()} CUDA "
                "device(s) are visible."
            )
    return str(parsed)


@contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Run a block with torch limited to ``n_threads`` CPU threads.

    The count is process-wide in torch; it is restored on leaving, so callers
    (a fit, a worker, the command line) leave torch as they found it.

    Parameters
    ----------
    n_threads : int or None
        Threads for the block; None changes nothing.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mmer.utils import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    if n_threads is None or n_threads == previous:
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
