"""Paired tests for scores measured on the same cross-validation folds.

Fold scores of two configurations are not independent samples: the folds'
training parts overlap, so a plain paired t-test over folds is far too
confident. The corrected resampled t-test of Nadeau and Bengio (2003)
inflates the variance by ``n_test / n_train``; the Bayesian correlated
t-test of Benavoli et al. (2017) uses the same variance for a Student
posterior of the mean difference. Both follow scikit-learn's example
"Statistical comparison of models using grid search".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class PairedTest:
    """The corrected resampled t-test of one set of paired differences."""

    mean: float
    std: float  # corrected standard error of the mean difference
    t: float
    p_value: float
    df: int


def corrected_resampled_ttest(
    differences,
    n_train,
    n_test,
    *,
    alternative: Literal["two-sided", "greater", "less"] = "two-sided",
) -> PairedTest:
    """Nadeau and Bengio's corrected resampled t-test of paired differences.

    The variance of the ``J`` fold differences is inflated to
    ``(1 / J + n_test / n_train) * var(differences, ddof=1)``, which accounts
    for the overlap of the folds' training parts; the statistic has
    ``J - 1`` degrees of freedom.

    Parameters
    ----------
    differences : array-like of shape (n_folds * n_repeats,)
        Score of one model minus the other's, fold by fold.
    n_train, n_test : int or array-like
        Training and test sizes of the folds (one value or one per fold;
        the ratio is averaged over folds).
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        ``"greater"`` is the right-tailed test of scikit-learn's example.

    Returns
    -------
    test : PairedTest
        ``mean``, ``std`` (the corrected standard error), ``t``,
        ``p_value``, ``df``.

    Examples
    --------
    >>> from sklearn_mmer.evaluation import corrected_resampled_ttest
    >>> test = corrected_resampled_ttest([0.02, 0.03, 0.01, 0.04], 80, 20)
    >>> round(test.t, 3), round(test.p_value, 3)
    (2.739, 0.071)
    """
    differences = np.asarray(differences, dtype=float)
    n_folds = differences.size
    if n_folds < 2:
        raise ValueError(
            f"A paired test needs at least two folds of differences; got {n_folds}."
        )
    ratio = float(np.mean(np.asarray(n_test, float) / np.asarray(n_train, float)))
    mean = float(differences.mean())
    std = float(np.sqrt((1 / n_folds + ratio) * np.var(differences, ddof=1)))
    df = n_folds - 1
    # Identical differences in every fold leave no spread to test against.
    degenerate = 0.0 if mean == 0 else np.copysign(np.inf, mean)
    t = mean / std if std > 0 else degenerate
    p_value = {
        "two-sided": lambda: 2 * stats.t.sf(abs(t), df),
        "greater": lambda: stats.t.sf(t, df),
        "less": lambda: stats.t.cdf(t, df),
    }[alternative]()
    return PairedTest(
        mean=mean, std=std, t=float(t), p_value=float(min(p_value, 1.0)), df=df
    )


def bayesian_correlated_ttest(
    differences, n_train, n_test, *, rope: float = 0.01
) -> tuple[float, float, float]:
    """P(better), P(equivalent), P(worse) under the correlated t posterior.

    The posterior of the mean difference is Student's t with ``J - 1``
    degrees of freedom, centred on the mean difference and scaled by the
    corrected standard error of :func:`corrected_resampled_ttest`
    (Benavoli et al., 2017). ``rope`` is the half-width of the region of
    practical equivalence: differences within ``[-rope, rope]`` count as
    equivalent.

    Returns
    -------
    p_better, p_equivalent, p_worse : float
        Posterior mass above ``rope``, within it, and below ``-rope``.

    Examples
    --------
    >>> from sklearn_mmer.evaluation import bayesian_correlated_ttest
    >>> [round(p, 3) for p in bayesian_correlated_ttest(
    ...     [0.02, 0.03, 0.01, 0.04], 80, 20, rope=0.01)]
    [0.901, 0.084, 0.016]
    """
    if rope < 0:
        raise ValueError(f"rope must be a non-negative difference; got {rope}.")
    test = corrected_resampled_ttest(differences, n_train, n_test)
    if test.std == 0.0:
        better = float(test.mean > rope)
        worse = float(test.mean < -rope)
        return better, 1.0 - better - worse, worse
    posterior = stats.t(test.df, loc=test.mean, scale=test.std)
    worse = float(posterior.cdf(-rope))
    better = float(posterior.sf(rope))
    return better, float(1.0 - better - worse), worse


def corrected_interval(test: PairedTest, confidence: float = 0.95) -> tuple:
    """Return the ``confidence`` interval of the mean difference (corrected std)."""
    half = stats.t.ppf(0.5 + confidence / 2, test.df) * test.std
    return test.mean - half, test.mean + half


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple comparisons.

    The ``k``-th smallest of ``m`` p-values is multiplied by ``m - k + 1``;
    the adjusted values are then made non-decreasing in that order and
    capped at 1. It controls the family-wise error rate like Bonferroni,
    with more power. NaN p-values are left out of the family.

    Examples
    --------
    >>> from sklearn_mmer.evaluation import holm
    >>> holm([0.01, 0.04, 0.03, 0.005]).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full(p_values.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p_values))
    order = valid[np.argsort(p_values[valid], kind="stable")]
    m = order.size
    scaled = p_values[order] * (m - np.arange(m))
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return np.round(adjusted, 15)


def mcnemar(correct_a, correct_b) -> tuple[int, int, float]:
    """Exact McNemar test on paired right/wrong predictions of the same rows.

    Returns
    -------
    only_a, only_b, p_value : int, int, float
        Rows only ``a`` got right, rows only ``b`` got right, and the exact
        two-sided binomial p-value of ``only_a`` among the discordant rows.
    """
    correct_a, correct_b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    only_a = int(np.sum(correct_a & ~correct_b))
    only_b = int(np.sum(~correct_a & correct_b))
    if only_a + only_b == 0:
        return only_a, only_b, 1.0
    p_value = stats.binomtest(only_a, only_a + only_b, 0.5).pvalue
    return only_a, only_b, float(p_value)
