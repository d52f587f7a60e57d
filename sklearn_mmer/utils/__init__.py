"""Utilities shared by the subpackages: input checks and device selection."""

from ._device import resolve_device, torch_threads
from ._frames import describe_row

__all__ = ["describe_row", "resolve_device", "torch_threads"]
