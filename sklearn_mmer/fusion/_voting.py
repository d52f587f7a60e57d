"""Late fusion that votes, row by row, over the modalities the row has."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import _fit_context, clone
from sklearn.ensemble import VotingClassifier
from sklearn.ensemble._base import _fit_single_estimator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, _safe_indexing
from sklearn.utils.metadata_routing import (
    _manual_routing,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_method_params,
    _num_samples,
    check_is_fitted,
)

from ..utils import describe_row, missing_cells
from ._inspect import required_columns


class PresentModalityVotingClassifier(VotingClassifier):
    """Late-fusion vote over the members whose modality each row has.

    Late fusion votes over one classifier per modality. A row whose video is
    missing (a None or NaN cell) cannot be used by
    :class:`~sklearn.ensemble.VotingClassifier`, whose members all see every
    row. Here each member is fitted on the rows that have the columns it
    reads, and each row's vote counts only the members whose columns it
    has: a row without video is decided by its audio and its words. The
    columns a member reads are those its
    :class:`~sklearn_mmer.preprocessing.ModalitySelector` or
    :class:`~sklearn.compose.ColumnTransformer` names
    (:func:`~sklearn_mmer.fusion.required_columns`); a member that names
    none reads every column. Only a DataFrame has cells that can be
    missing: with any other input every member votes on every row.

    On a table without missing cells the members, the vote and every
    prediction are those of :class:`~sklearn.ensemble.VotingClassifier`
    with the same parameters. Parameters, attributes and metadata routing
    are :class:`~sklearn.ensemble.VotingClassifier`'s.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members, e.g. one :func:`~sklearn_mmer.make_unimodal` pipeline
        per modality. An estimator can be set to ``"drop"``.
    voting : {"hard", "soft"}, default="hard"
        ``"hard"``: the weighted majority of the present members' predicted
        labels; a tie goes to the tied class that comes first in
        ``classes_``, as in :class:`~sklearn.ensemble.VotingClassifier`.
        ``"soft"``: the class of highest weighted average probability, the
        average taken over the present members (their weights renormalised
        to sum to one on each row).
    weights : array-like of shape (n_estimators,), default=None
        Weight of each member's vote or probabilities; equal when None.
    n_jobs : int, default=None
        Members fitted in parallel.
    flatten_transform : bool, default=True
        Shape of :meth:`transform`'s output with soft voting, as in
        :class:`~sklearn.ensemble.VotingClassifier`.
    verbose : bool, default=False
        Print the time each member's fit takes.

    Attributes
    ----------
    estimators_ : list of classifier
        The fitted members (not ``"drop"``), each fitted on the rows that
        have its columns, on labels encoded by ``le_``.
    named_estimators_ : Bunch
        The same, by name.
    le_ : LabelEncoder
        Encodes the labels for the members and decodes their votes.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit, when the members record it.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during fit, when the members record them.

    See Also
    --------
    sklearn_mmer.make_late_fusion : Builds one over unimodal pipelines.
    sklearn.ensemble.VotingClassifier : The same vote, over every member on
        every row.

    Notes
    -----
    A row with none of the members' columns has no vote: :meth:`fit` and
    the predicting methods raise a ``ValueError`` naming it. A member
    fitted on rows that happen to lack a class gets no say on that class.
    :meth:`transform` gives NaN where a member does not vote.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_mmer import make_emotion_dataset, make_unimodal
    >>> from sklearn_mmer.fusion import PresentModalityVotingClassifier
    >>> data = make_emotion_dataset(n_samples=80, random_state=0)
    >>> X = data.data.copy()
    >>> X.loc[X.index[:20], "visual"] = None  # 20 rows without video
    >>> vote = PresentModalityVotingClassifier(
    ...     [(m, make_unimodal(m, classifier=LogisticRegression()))
    ...      for m in ["visual", "acoustic", "lexical"]], voting="soft")
    >>> vote.fit(X, data.target).predict(X).shape
    (80,)
    >>> vote.members_present(X[:2]).tolist()  # which members vote on each row
    [[False, True, True], [False, True, True]]
    >>> np.allclose(vote.predict_proba(X).sum(axis=1), 1.0)
    True
    """

    @_fit_context(
        # The members are validated when they are fitted.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, **fit_params):
        """Fit each member on the rows that have the columns it reads.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training data; in a DataFrame, None or NaN cells are missing.
        y : array-like of shape (n_samples,)
            Class labels.
        **fit_params : dict
            ``sample_weight``, or with metadata routing enabled any parameters
            the members request (e.g. ``groups``); each member gets them for
            its own rows.

        Returns
        -------
        self : PresentModalityVotingClassifier
            The fitted estimator.

        Raises
        ------
        ValueError
            If a row has none of the members' columns, a member has no row
            with its columns, or as :class:`~sklearn.ensemble.VotingClassifier`
            does.
        """
        _raise_for_params(fit_params, self, "fit", allow=["sample_weight"])
        y_type = type_of_target(y, input_name="y")
        if y_type in ("unknown", "continuous"):
            raise ValueError(
                f"Unknown label type: {y_type}. {type(self).__name__} classifies; "
                "it needs discrete class labels."
            )
        if y_type not in ("binary", "multiclass"):
            raise NotImplementedError(
                f"{type(self).__name__} only supports binary or multiclass "
                "classification. Multilabel and multi-output classification are "
                "not supported."
            )
        names, members = self._validate_estimators()
        if self.weights is not None and len(self.weights) != len(self.estimators):
            raise ValueError(
                "Number of `estimators` and weights must be equal; got"
                f" {len(self.weights)} weights, {len(self.estimators)} estimators"
            )
        present = self.members_present(X)
        self.le_ = LabelEncoder().fit(y)
        self.classes_ = self.le_.classes_
        y_encoded = self.le_.transform(y)

        if _routing_enabled():
            routed = process_routing(self, "fit", **fit_params)
        else:
            routed = _manual_routing(
                {name: {"fit": _sample_weight(fit_params)} for name in names}
            )
        active = [(n, m) for n, m in zip(names, members, strict=True) if m != "drop"]
        untrainable = [
            name for j, (name, _) in enumerate(active) if not present[:, j].any()
        ]
        if untrainable:
            raise ValueError(
                f"No training row has the columns that member(s) {untrainable} "
                f"of {type(self).__name__} read: nothing to fit them on. Drop "
                "them (set_params(name='drop')) or add rows that have them."
            )
        self.estimators_ = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_single_estimator)(
                clone(member),
                *_rows_of(present[:, j], X, y_encoded, routed[name]["fit"]),
                message_clsname="Voting",
                message=self._log_message(name, j + 1, len(active)),
            )
            for j, (name, member) in enumerate(active)
        )
        self.named_estimators_ = Bunch()
        fitted = iter(self.estimators_)
        for name, member in self.estimators:
            current = member if member == "drop" else next(fitted)
            self.named_estimators_[name] = current
            if hasattr(current, "feature_names_in_"):
                self.feature_names_in_ = current.feature_names_in_
        return self

    def members_present(self, X) -> np.ndarray:
        """Which members vote on each row: those whose columns the row has.

        Works before :meth:`fit` too: it reads the members of
        ``estimators``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The input; in a DataFrame, None or NaN cells are missing.

        Returns
        -------
        present : ndarray of bool, shape (n_samples, n_members)
            One column per member that is not ``"drop"``, in the order of
            ``estimators``. All True for input other than a DataFrame.

        Raises
        ------
        ValueError
            If a row has none of the members' columns; the message names the
            rows and the columns.
        """
        members = [m for _, m in self.estimators if m != "drop"]
        if not isinstance(X, pd.DataFrame):
            return np.ones((_num_samples(X), len(members)), dtype=bool)
        columns = list(X.columns)
        missing = missing_cells(X, columns)
        present = np.empty((len(X), len(members)), dtype=bool)
        for j, member in enumerate(members):
            read = [columns.index(c) for c in required_columns(member, columns)]
            present[:, j] = ~missing[:, read].any(axis=1)
        _check_every_row_votes(present, X, members, columns)
        return present

    def predict(self, X):
        """Predict each row's class from the members whose columns it has.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The input; in a DataFrame, None or NaN cells are missing.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        check_is_fitted(self)
        if self.voting == "soft":
            return self.le_.inverse_transform(np.argmax(self.predict_proba(X), axis=1))
        present = self.members_present(X)
        labels = self._member_outputs(X, present, "predict", fill=-1)
        weights = self._weights_not_none or [1] * len(self.estimators_)
        votes = np.zeros((len(present), len(self.classes_)))
        # Member by member, as np.bincount adds them in VotingClassifier: on
        # complete rows the sums, and so the ties, are the same.
        for j, weight in enumerate(weights):
            rows = np.flatnonzero(present[:, j])
            votes[rows, labels[j][rows].astype(np.intp)] += weight
        return self.le_.inverse_transform(np.argmax(votes, axis=1))

    @available_if(VotingClassifier._check_voting)
    def predict_proba(self, X):
        """Weighted average of the probabilities of the members present.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The input; in a DataFrame, None or NaN cells are missing.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            On each row, the weighted average over the members whose columns
            the row has, weights renormalised to sum to one.
        """
        check_is_fitted(self)
        present = self.members_present(X)
        probas = np.asarray(self._member_outputs(X, present, "predict_proba", fill=0))
        # np.average's arithmetic (weights broadcast over the members' axis),
        # with a member's weight set to zero on the rows it does not vote on.
        if self._weights_not_none is None:
            weights = np.ones(len(self.estimators_), dtype=probas.dtype)
        else:
            weights = np.asarray(self._weights_not_none)
        dtype = np.result_type(probas.dtype, weights.dtype)
        row_weights = np.where(present.T, weights[:, None], 0).astype(dtype)
        row_weights = row_weights[:, :, None]
        return np.multiply(probas, row_weights, dtype=dtype).sum(
            axis=0
        ) / row_weights.sum(axis=0)

    def transform(self, X):
        """Each member's labels or probabilities, NaN where it does not vote.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The input; in a DataFrame, None or NaN cells are missing.

        Returns
        -------
        probabilities_or_labels : ndarray
            As :meth:`sklearn.ensemble.VotingClassifier.transform`; where a
            row lacks a member's columns, that member's entries are NaN (and
            the array is then float).
        """
        check_is_fitted(self)
        present = self.members_present(X)
        if present.all():
            return super().transform(X)
        if self.voting == "soft":
            probas = np.asarray(
                self._member_outputs(X, present, "predict_proba", fill=np.nan)
            )
            return np.hstack(probas) if self.flatten_transform else probas
        return np.asarray(self._member_outputs(X, present, "predict", fill=np.nan)).T

    def _member_outputs(self, X, present, method, fill):
        """Each member's ``method`` on the rows it votes on, ``fill`` elsewhere."""
        n_classes = len(self.classes_)
        outputs = []
        for j, member in enumerate(self.estimators_):
            rows = present[:, j]
            if rows.all():
                # The very call of VotingClassifier, so complete data agrees.
                outputs.append(getattr(member, method)(X))
                continue
            shape = (len(present),)
            if method == "predict_proba":
                shape += (n_classes,)
            if not rows.any():
                outputs.append(np.full(shape, fill, dtype=float))
                continue
            part = getattr(member, method)(_safe_indexing(X, np.flatnonzero(rows)))
            dtype = np.result_type(part, np.min_scalar_type(fill))
            out = np.full(shape, fill, dtype=dtype)
            if method == "predict_proba":
                # A member whose rows lacked a class has no column for it.
                out[rows] = 0
                out[np.ix_(rows, np.asarray(member.classes_, dtype=np.intp))] = part
            else:
                out[rows] = part
            outputs.append(out)
        return outputs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A missing cell (None or NaN) is a missing modality, voted around.
        tags.input_tags.allow_nan = True
        return tags


def _rows_of(rows, X, y, fit_params):
    """``X``, ``y`` and the per-row fit parameters on ``rows``.

    The very objects when every row is kept, so that complete data trains
    the members exactly as VotingClassifier does.
    """
    if rows.all():
        return X, y, fit_params
    indices = np.flatnonzero(rows)
    return (
        _safe_indexing(X, indices),
        y[indices],
        _check_method_params(X, fit_params, indices=indices),
    )


def _sample_weight(fit_params):
    if "sample_weight" in fit_params:
        return {"sample_weight": fit_params["sample_weight"]}
    return {}


def _check_every_row_votes(present, X, members, columns):
    """Raise a clear error naming the rows that no member can vote on."""
    silent = np.flatnonzero(~present.any(axis=1))
    if not silent.size:
        return
    read = sorted(
        {c for member in members for c in required_columns(member, columns)},
        key=columns.index,
    )
    named = ", ".join(describe_row(X.index, p) for p in silent[:5])
    more = f" and {silent.size - 5} more" if silent.size > 5 else ""
    raise ValueError(
        f"{named}{more} of the input lack every column the members of "
        f"PresentModalityVotingClassifier read ({read}): no member can vote on "
        "them. Leave those rows out, or add a member that reads a column they "
        "have."
    )
