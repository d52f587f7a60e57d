"""Is one configuration really better than another? Paired statistics."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ._metrics import METRIC_TABLE, check_scoring
from ._result import ComparisonResult
from ._stats import (
    bayesian_correlated_ttest,
    corrected_interval,
    corrected_resampled_ttest,
    holm,
    mcnemar,
)


def compare_pairs(
    result: ComparisonResult,
    reference: str | None = None,
    *,
    metric: str | None = None,
    rope: float = 0.01,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Paired comparison of configurations scored on the same folds.

    For every pair of configurations (or each against ``reference``) the
    fold-by-fold differences of ``metric`` (``first - second``, over all
    folds of all repeats) give:

    - the mean difference and its ``confidence`` interval, with the
      variance corrected as below;
    - the corrected resampled t-test of Nadeau and Bengio (2003), two-sided,
      whose variance ``(1 / J + n_test / n_train) * var`` accounts for the
      overlap of the folds' training parts, and its p-value after Holm's
      correction over all pairs tested. The sizes are the pair's own in
      each fold: the rows both were tested on, and the smaller of their
      training parts (a configuration that tolerates missing cells trains
      and tests on more rows than one that does not);
    - the Bayesian correlated t-test (Benavoli et al., 2017): posterior
      probabilities that ``first`` is better by more than ``rope``,
      practically equivalent (within ``±rope``), or worse;
    - beside them, the exact McNemar test on the pooled out-of-fold
      predictions of the first repeat (every row predicted once by each),
      Holm-corrected too.

    The t-tests and posterior follow scikit-learn's example "Statistical
    comparison of models using grid search".

    Parameters
    ----------
    result : ComparisonResult
        From :func:`evaluate_configurations`; more folds and repeats
        (``n_repeats``) give the tests more power.
    reference : str, default=None
        Compare every other configuration with this one only (``other -
        reference``); None compares every pair, the better-ranked first.
    metric : str, default=None
        The metric compared (a name or alias from :data:`METRICS`); None
        means the one that ranked the result (``result.scoring``).
    rope : float, default=0.01
        Half-width of the region of practical equivalence, as a fraction
        (0.01 is one point of percentage).
    confidence : float, default=0.95
        Coverage of the interval of the mean difference.
    alpha : float, default=0.05
        Level at which ``significant`` flags a Holm-corrected p-value.

    Returns
    -------
    pairs : DataFrame
        One row per pair: ``first``, ``second``, ``metric``,
        ``mean_difference``, ``ci_low``, ``ci_high``, ``t``, ``p_value``,
        ``p_holm``, ``significant``, ``p_better``, ``p_equivalent``,
        ``p_worse``, ``n_differences``, ``mcnemar_first_only`` (rows only
        ``first`` got right), ``mcnemar_second_only``, ``mcnemar_p`` and
        ``mcnemar_p_holm``. ``pairs.attrs`` records ``metric``, ``rope``,
        ``confidence``, ``alpha`` and ``reference``.

    Raises
    ------
    ValueError
        If ``reference`` is not a configuration of ``result``, fewer than
        two configurations or folds are at hand.

    See Also
    --------
    corrected_resampled_ttest, bayesian_correlated_ttest, holm

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_mmer import (ModalitySelector, TemporalMeanPool,
    ...     compare_pairs, evaluate_configurations, make_emotion_dataset)
    >>> data = make_emotion_dataset(n_samples=120, dims={"lexical": 8},
    ...                             random_state=0)
    >>> configurations = {
    ...     "lexical": make_pipeline(ModalitySelector("lexical"),
    ...                              TemporalMeanPool(), LogisticRegression()),
    ...     "majority": DummyClassifier()}
    >>> result = evaluate_configurations(configurations, data.data, data.target,
    ...     groups=data.groups, cv=5, n_repeats=2, random_state=0)
    >>> pairs = compare_pairs(result, reference="majority")
    >>> pairs[["first", "second", "n_differences"]].values.tolist()
    [['lexical', 'majority', 10]]
    """
    metric = check_scoring(metric if metric is not None else result.scoring)
    if not 0 < confidence < 1 or not 0 < alpha < 1:
        raise ValueError(
            f"confidence and alpha must lie in (0, 1); got {confidence}, {alpha}."
        )
    names = [str(name) for name in result.summary.index]  # best first
    if reference is not None and reference not in names:
        raise ValueError(
            f"reference={reference!r} is not one of the configurations {names}."
        )
    if len(names) < 2:
        raise ValueError("A paired comparison needs at least two configurations.")
    if reference is None:
        pairs = list(combinations(names, 2))
    else:
        pairs = [(name, reference) for name in names if name != reference]

    scores = result.per_fold.pivot_table(
        index="fold", columns="configuration", values=metric, aggfunc="first"
    )
    sizes = result.per_fold.pivot_table(
        index="fold", columns="configuration", values=["n_train", "n_test"]
    )
    correct = _first_repeat_correct(result)
    rows = []
    for first, second in pairs:
        folds = scores.index.to_numpy()
        differences = (scores[first] - scores[second]).to_numpy()
        if _rows_differ(result, first, second):
            # A configuration that tolerates missing cells saw more rows:
            # compare the two on the rows both were scored on.
            folds, differences, pair_test = _differences_on_shared_rows(
                result, first, second, metric
            )
        else:
            pair_test = sizes["n_test"][first].loc[folds].to_numpy()
        # Each trained on its own rows; the smaller training part gives the
        # larger n_test / n_train, the more cautious correction.
        pair_train = sizes["n_train"][[first, second]].loc[folds].min(axis=1)
        pair_train = pair_train.to_numpy()
        test = corrected_resampled_ttest(differences, pair_train, pair_test)
        low, high = corrected_interval(test, confidence)
        better, equivalent, worse = bayesian_correlated_ttest(
            differences, pair_train, pair_test, rope=rope
        )
        both = ~(np.isnan(correct[first]) | np.isnan(correct[second]))
        only_first, only_second, mcnemar_p = mcnemar(
            correct[first][both].astype(bool), correct[second][both].astype(bool)
        )
        rows.append(
            {
                "first": first,
                "second": second,
                "metric": metric,
                "mean_difference": test.mean,
                "ci_low": low,
                "ci_high": high,
                "t": test.t,
                "p_value": test.p_value,
                "p_better": better,
                "p_equivalent": equivalent,
                "p_worse": worse,
                "n_differences": differences.size,
                "mcnemar_first_only": only_first,
                "mcnemar_second_only": only_second,
                "mcnemar_p": mcnemar_p,
            }
        )
    table = pd.DataFrame(rows)
    table.insert(table.columns.get_loc("p_value") + 1, "p_holm", holm(table["p_value"]))
    table.insert(
        table.columns.get_loc("p_holm") + 1, "significant", table["p_holm"] < alpha
    )
    table["mcnemar_p_holm"] = holm(table["mcnemar_p"])
    table.attrs.update(
        metric=metric,
        rope=rope,
        confidence=confidence,
        alpha=alpha,
        reference=reference,
        n_repeats=result.n_repeats,
    )
    return table


def _first_repeat_correct(result):
    """Whether each configuration got each row right, in the first repeat."""
    predictions = result.predictions
    if "repeat" in predictions:
        predictions = predictions[predictions["repeat"] == 0]
    predictions = predictions.assign(
        correct=predictions["y_true"].to_numpy() == predictions["y_pred"].to_numpy()
    )
    table = predictions.pivot_table(
        index="row", columns="configuration", values="correct", aggfunc="first"
    )
    # NaN where a configuration did not predict a row (it could not use it).
    return {str(name): table[name].to_numpy(dtype=float) for name in table.columns}


def _rows_differ(result, first, second) -> bool:
    rows = getattr(result, "rows_used", None)
    return rows is not None and not rows[first].equals(rows[second])


def _differences_on_shared_rows(result, first, second, metric):
    """Per-fold score differences on the rows both configurations were scored on.

    Returns the folds, their differences and their numbers of shared test rows.
    """
    predictions = result.predictions.set_index(["fold", "row"])
    one = predictions[predictions["configuration"] == first]
    other = predictions[predictions["configuration"] == second]
    shared = one.index.intersection(other.index)
    one, other = one.loc[shared], other.loc[shared]
    score = METRIC_TABLE[metric].score
    folds, differences, sizes = [], [], []
    for fold, mine in one.groupby(level="fold"):
        folds.append(fold)
        theirs = other.xs(fold, level="fold", drop_level=False)
        differences.append(
            score(mine["y_true"], mine["y_pred"])
            - score(theirs["y_true"], theirs["y_pred"])
        )
        sizes.append(len(mine))
    return np.asarray(folds), np.asarray(differences), np.asarray(sizes)
