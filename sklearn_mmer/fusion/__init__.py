"""Builders of unimodal, early-fusion, late-fusion and stacking models."""

from ._builders import (
    make_early_fusion,
    make_late_fusion,
    make_stacking_fusion,
    make_unimodal,
    request_groups,
)
from ._stacking import GroupedStackingClassifier

__all__ = [
    "GroupedStackingClassifier",
    "make_early_fusion",
    "make_late_fusion",
    "make_stacking_fusion",
    "make_unimodal",
    "request_groups",
]
