"""Where a result came from: package versions, machine and devices."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

import torch

from .._version import __version__

PACKAGES = (
    "scikit-learn",
    "torch",
    "skorch",
    "numpy",
    "pandas",
    "scipy",
    "joblib",
    "matplotlib",
)


def environment() -> dict:
    """Versions, platform and the accelerators torch sees, as plain data.

    Examples
    --------
    >>> from sklearn_mmer.report import environment
    >>> info = environment()
    >>> sorted(info)[:3]
    ['cuda', 'machine', 'packages']
    """
    return {
        "sklearn_mmer": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": {name: _version(name) for name in PACKAGES},
        "torch_threads": torch.get_num_threads(),
        "cuda": _cuda(),
    }


def _version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _cuda():
    if not torch.cuda.is_available():
        return {"available": False, "devices": []}
    return {
        "available": True,
        "version": torch.version.cuda,
        "devices": [
            torch.cuda.get_device_name(index)
            for index in range(torch.cuda.device_count())
        ],
    }
