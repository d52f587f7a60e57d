"""Builders of unimodal, early-fusion and late-fusion pipelines."""

from ._builders import (
    make_early_fusion,
    make_late_fusion,
    make_unimodal,
    request_groups,
)
from ._neural import make_neural_fusion

__all__ = [
    "make_early_fusion",
    "make_late_fusion",
    "make_neural_fusion",
    "make_unimodal",
    "request_groups",
]
