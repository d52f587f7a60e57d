"""Instances for sklearn's common estimator checks, and the checks they fail.

Like imbalanced-learn's ``_test_common``, this is the one place that lists
every common check an estimator cannot pass, each with its reason.
"""

from __future__ import annotations

import torch
from sklearn.linear_model import LogisticRegression

from ..features import (
    AudioFrameFeatures,
    FaceEmbeddings,
    OpenSmileFeatures,
    SentenceEmbeddings,
)
from ..fusion import GroupedStackingClassifier, PresentModalityVotingClassifier
from ..neural_network import (
    TorchMLPClassifier,
    TorchMultimodalClassifier,
    TorchSequenceClassifier,
)
from ..preprocessing import (
    ModalityScaler,
    ModalitySelector,
    TemporalMeanPool,
    TemporalStatsPool,
)

# Small, quick settings: the checks fit each estimator dozens of times.
_CHECK_MLP_PARAMS = {
    "hidden_layer_sizes": (16,),
    "max_iter": 60,
    "batch_size": 16,
    "learning_rate_init": 1e-2,
    "device": "cpu",
    "random_state": 0,
}


def estimators_for_common_checks():
    """Return one instance of every public estimator, set up for quick checks."""
    return [
        ModalitySelector(),
        ModalitySelector(modalities=0),
        TemporalMeanPool(),
        ModalityScaler(),
        TemporalStatsPool(),
        TemporalStatsPool(stats=("min", "max", "delta_mean")),
        TorchMLPClassifier(**_CHECK_MLP_PARAMS),
        # Every numeric column of the checks' data is a modality of size 1.
        TorchMultimodalClassifier(
            **{**_CHECK_MLP_PARAMS, "hidden_layer_sizes": (8,), "max_iter": 30},
            encoder_layer_sizes=(8,),
        ),
        # The API is the same for every encoder; the GRU's packing costs the
        # checks' hundreds of fits most (tests/test_sequence.py covers each).
        TorchSequenceClassifier("none", **_CHECK_MLP_PARAMS),
        GroupedStackingClassifier(
            [("strong", LogisticRegression()), ("weak", LogisticRegression(C=0.1))],
            cv=3,
        ),
        PresentModalityVotingClassifier(
            [("strong", LogisticRegression()), ("weak", LogisticRegression(C=0.1))]
        ),
        PresentModalityVotingClassifier(
            [("strong", LogisticRegression()), ("weak", LogisticRegression(C=0.1))],
            voting="soft",
        ),
        # The extractors read a column of media (paths, signals, transcripts),
        # not a numeric matrix, and say so in their input tags: sklearn then
        # runs only its clone check on them. tests/test_features.py checks
        # their estimator behaviour (clone, params, pickling, Pipeline).
        AudioFrameFeatures(),
        OpenSmileFeatures(),
        SentenceEmbeddings(),
        FaceEmbeddings(torch.nn.Flatten()),
    ]


_SELECTOR_NEVER_READS_CELLS = (
    "ModalitySelector only picks columns and never reads the cells, like "
    "ColumnTransformer's 'passthrough'; the next step (TemporalMeanPool or the "
    "classifier) rejects bad values with an error naming row and column."
)

_OBJECT_CELLS_ARE_ARRAYS = (
    "Object cells are the data model (one array per cell). A cell that is "
    "not numeric raises a ValueError naming its row and column, not the "
    "TypeError of numpy's float() conversion this check looks for."
)

# The three torch classifiers share the defaults of TorchMLPClassifier.
_EARLY_STOPPING_WEIGHS_CLASSES_EQUALLY = (
    "Early stopping (on by default) keeps the epoch with the best "
    "unweighted accuracy on held-out rows, which the check's extreme "
    "class weights (it wants class 0 nearly everywhere) work against; "
    "with early_stopping=False the check passes, as it does for "
    "MLPClassifier, whose early stopping is off by default."
)

_NAN_IS_A_MISSING_MODALITY_CELL = (
    "allow_nan says that a None or NaN cell of a DataFrame column is a "
    "missing modality, voted around by the members that read other columns. "
    "The check puts a NaN into a plain array, where every member reads every "
    "column and gets every row, and its LogisticRegression members reject NaN "
    "as they should (tests/test_voting.py covers pickling with missing cells)."
)

EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "ModalitySelector": {
        "check_complex_data": _SELECTOR_NEVER_READS_CELLS,
        "check_dtype_object": _SELECTOR_NEVER_READS_CELLS,
    },
    "TemporalMeanPool": {
        "check_dtype_object": _OBJECT_CELLS_ARE_ARRAYS,
    },
    "TemporalStatsPool": {"check_dtype_object": _OBJECT_CELLS_ARE_ARRAYS},
    "TorchMLPClassifier": {
        "check_class_weight_classifiers": _EARLY_STOPPING_WEIGHS_CLASSES_EQUALLY,
    },
    "TorchSequenceClassifier": {
        "check_dtype_object": _OBJECT_CELLS_ARE_ARRAYS,
        "check_class_weight_classifiers": _EARLY_STOPPING_WEIGHS_CLASSES_EQUALLY,
    },
    "ModalityScaler": {"check_dtype_object": _OBJECT_CELLS_ARE_ARRAYS},
    "PresentModalityVotingClassifier": {
        "check_estimators_pickle": _NAN_IS_A_MISSING_MODALITY_CELL,
        "check_estimators_pickle(readonly_memmap=True)": (
            _NAN_IS_A_MISSING_MODALITY_CELL
        ),
    },
    "TorchMultimodalClassifier": {
        "check_dtype_object": _OBJECT_CELLS_ARE_ARRAYS,
        "check_class_weight_classifiers": _EARLY_STOPPING_WEIGHS_CLASSES_EQUALLY,
    },
}


def expected_failed_checks(estimator) -> dict[str, str]:
    """Return the checks ``estimator`` is known to fail, mapped to the reason."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
