"""Transformers that turn the multimodal table into model-ready matrices."""

from ._pooling import TemporalMeanPool, TemporalStatsPool, pool_table
from ._selector import ModalitySelector

__all__ = ["ModalitySelector", "TemporalMeanPool", "TemporalStatsPool", "pool_table"]
