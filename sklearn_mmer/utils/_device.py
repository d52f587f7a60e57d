"""Pick the torch device an estimator trains on."""

from __future__ import annotations

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
