"""Transformers that turn the multimodal table into model-ready matrices."""

from ._pooling import TemporalMeanPool, TemporalStatsPool, pool_table
from ._scaling import ModalityScaler
from ._selector import ModalitySelector

__all__ = [
    "ModalityScaler",
    "ModalitySelector",
    "TemporalMeanPool",
    "TemporalStatsPool",
    "pool_table",
]
