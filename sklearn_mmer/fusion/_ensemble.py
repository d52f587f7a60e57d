"""An average over random seeds, built from scikit-learn's own bagging."""

from __future__ import annotations

from numbers import Integral

from sklearn.base import is_classifier
from sklearn.ensemble import BaggingClassifier


def make_seed_ensemble(classifier, n_seeds: int = 5):
    """Average a classifier's probabilities over several random seeds.

    A network's score moves by a point or more from one seed to the next:
    its initial weights, the order of its batches, its dropout and, with
    early stopping, the speakers it holds out all depend on the seed. The
    average of a few seeds is both steadier and, on the corpora measured
    (``benchmarks/README.md``), more accurate; each copy of a
    :class:`~sklearn_mmer.TorchMLPClassifier` with early stopping holds out
    speakers of its own, so together they learn from every training speaker.

    This is scikit-learn's :class:`~sklearn.ensemble.BaggingClassifier`
    with every row and feature given to every copy (``bootstrap=False``,
    ``max_samples=1.0``), so only the seed differs: it clones the
    classifier, gives each clone its own ``random_state`` drawn from the
    classifier's, and averages their ``predict_proba``. Metadata routing
    passes ``groups`` on to the copies.

    Parameters
    ----------
    classifier : classifier
        The classifier to copy, e.g. a :class:`~sklearn_mmer.TorchMLPClassifier`.
        Its ``random_state``, when it has one, seeds the ensemble; ``None``
        gives different copies at every fit.
    n_seeds : int, default=5
        Number of copies; 1 returns ``classifier`` itself.

    Returns
    -------
    ensemble : sklearn.ensemble.BaggingClassifier or classifier
        Tune the copies through ``estimator__<param>``.

    Raises
    ------
    ValueError
        If ``n_seeds`` is not a positive integer.
    TypeError
        If ``classifier`` is not a classifier.

    See Also
    --------
    make_unimodal, make_early_fusion : Take ``n_seeds`` for their classifier.

    Examples
    --------
    >>> from sklearn_mmer import TorchMLPClassifier, make_emotion_dataset
    >>> from sklearn_mmer import make_seed_ensemble
    >>> from sklearn_mmer.preprocessing import TemporalMeanPool
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> X = TemporalMeanPool().fit_transform(data.data[["lexical"]])
    >>> ensemble = make_seed_ensemble(
    ...     TorchMLPClassifier(max_iter=5, random_state=0), n_seeds=3)
    >>> ensemble.fit(X, data.target).predict_proba(X[:2]).shape
    (2, 4)
    >>> len({member.random_state for member in ensemble.estimators_})
    3
    """
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, Integral) or n_seeds < 1:
        raise ValueError(f"n_seeds must be a positive integer; got {n_seeds!r}.")
    if not (hasattr(classifier, "fit") and is_classifier(classifier)):
        raise TypeError(
            f"make_seed_ensemble needs a scikit-learn classifier; got {classifier!r}."
        )
    if n_seeds == 1:
        return classifier
    return BaggingClassifier(
        classifier,
        n_estimators=int(n_seeds),
        max_samples=1.0,
        max_features=1.0,
        bootstrap=False,
        random_state=classifier.get_params().get("random_state"),
    )
