"""sklearn's common estimator checks over every public estimator."""

import warnings

import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    check_class_weight_classifiers,
    parametrize_with_checks,
)

from sklearn_mmer.utils._test_common import (
    estimators_for_common_checks,
    expected_failed_checks,
)


@parametrize_with_checks(
    estimators_for_common_checks(), expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize(
    "estimator",
    [
        estimator
        for estimator in estimators_for_common_checks()
        if "check_class_weight_classifiers" in expected_failed_checks(estimator)
    ],
    ids=lambda estimator: type(estimator).__name__,
)
def test_class_weights_work_without_early_stopping(estimator):
    # The reason given for the expected failure: early stopping alone.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_class_weight_classifiers(
            type(estimator).__name__, clone(estimator).set_params(early_stopping=False)
        )
