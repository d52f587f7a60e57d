"""sklearn's common estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_mmer.utils._test_common import (
    estimators_for_common_checks,
    expected_failed_checks,
)


@parametrize_with_checks(
    estimators_for_common_checks(), expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
