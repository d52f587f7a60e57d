"""Utilities shared by the subpackages: cell and table checks, devices.

This is the package's internal API: the other subpackages import these names
from here, never from the private modules, and they keep their signatures
across minor versions. They are also there for users writing their own
transformers over the multimodal table (one array per cell).
"""

from ._device import resolve_device, torch_threads
from ._frames import (
    POOL_STATISTICS,
    as_2d_frame,
    cell_as_array,
    check_column_dim,
    check_statistics,
    check_table,
    describe_row,
    frame_shapes,
    is_missing_cell,
    mean_of_sequences,
    missing_cells,
    segment_mean,
    stats_of_sequences,
)

__all__ = [
    "POOL_STATISTICS",
    "as_2d_frame",
    "cell_as_array",
    "check_column_dim",
    "check_statistics",
    "check_table",
    "frame_shapes",
    "describe_row",
    "is_missing_cell",
    "mean_of_sequences",
    "missing_cells",
    "segment_mean",
    "stats_of_sequences",
    "resolve_device",
    "torch_threads",
]
