"""Builders of unimodal, early-fusion, late-fusion and stacking models.

Also the look inside composite estimators that evaluation and report rely
on (``iter_estimators``, ``torch_classifiers``, ``groups_consumers``,
``required_columns``, ``pools_before_reading``): the internal API other
subpackages import from here, and a way for users to ask the same questions
of their own pipelines.
"""

from ._builders import (
    make_early_fusion,
    make_late_fusion,
    make_stacking_fusion,
    make_unimodal,
    request_groups,
)
from ._ensemble import make_seed_ensemble
from ._inspect import (
    groups_consumers,
    iter_estimators,
    pools_before_reading,
    required_columns,
    torch_classifiers,
)
from ._neural import make_neural_fusion
from ._stacking import GroupedStackingClassifier
from ._voting import PresentModalityVotingClassifier

__all__ = [
    "GroupedStackingClassifier",
    "PresentModalityVotingClassifier",
    "make_early_fusion",
    "make_late_fusion",
    "make_neural_fusion",
    "make_seed_ensemble",
    "make_stacking_fusion",
    "make_unimodal",
    "request_groups",
    # inspection of composite estimators
    "groups_consumers",
    "iter_estimators",
    "pools_before_reading",
    "required_columns",
    "torch_classifiers",
]
