"""Stacking whose inner cross-validation keeps each speaker on one side."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from scipy.optimize import minimize
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.ensemble import StackingClassifier
from sklearn.ensemble._base import _fit_single_estimator
from sklearn.model_selection import GroupKFold, check_cv, cross_val_predict
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch
from sklearn.utils.metadata_routing import (
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)


class GroupedStackingClassifier(StackingClassifier):
    """A :class:`~sklearn.ensemble.StackingClassifier` with speaker-grouped inner folds.

    Stacking trains its final estimator on out-of-fold predictions of its
    members. Scikit-learn's :class:`~sklearn.ensemble.StackingClassifier`
    cannot hand ``groups`` to that inner cross-validation, so with several
    utterances per speaker a member predicts rows of speakers it was trained
    on, looks better than it will be on new speakers, and the final
    estimator learns to trust it too much. This class takes ``groups`` in
    :meth:`fit` and makes the inner folds with them: no group is both in an
    inner training part and in the part it predicts. Everything else is
    :class:`~sklearn.ensemble.StackingClassifier`'s, parameters included.

    Parameters
    ----------
    estimators : list of (str, estimator)
        The members, as in :class:`~sklearn.ensemble.StackingClassifier`.
    final_estimator : estimator, default=None
        Learns from the members' stacked predictions; None means
        :class:`~sklearn.linear_model.LogisticRegression`.
    cv : int, cross-validation splitter, iterable or "prefit", default=None
        The inner folds. With ``groups``, an int (or None, meaning 5) is
        that many :class:`~sklearn.model_selection.GroupKFold` folds, and a
        splitter receives the groups in ``split``; a fold that still puts a
        group on both sides is an error. Without ``groups``, as in
        :class:`~sklearn.ensemble.StackingClassifier` (stratified folds of
        rows).
    stack_method : {"auto", "predict_proba", "decision_function", "predict"}, \
            default="auto"
        What each member contributes to the stack.
    n_jobs : int, default=None
        Members fitted in parallel.
    passthrough : bool, default=False
        Also give the final estimator the original input.
    verbose : int, default=0
        Verbosity.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    estimators_ : list of estimator
        The members, fitted on the whole training data.
    named_estimators_ : Bunch
        The same, by name.
    final_estimator_ : estimator
        The final estimator, fitted on the out-of-fold predictions.
    stack_method_ : list of str
        The method each member contributes.
    n_features_in_ : int
        Number of features seen during fit, when the members record it.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen during fit, when the members record them.

    See Also
    --------
    sklearn_mmer.make_stacking_fusion : Builds one over unimodal pipelines.
    sklearn.ensemble.StackingClassifier : The same without grouped inner folds.

    Notes
    -----
    With metadata routing enabled
    (``sklearn.set_config(enable_metadata_routing=True)``), this estimator
    requests ``groups`` in ``fit`` by default, so ``cross_validate(...,
    params={"groups": speakers})`` or a grid search's
    ``fit(X, y, groups=speakers)`` reaches the inner folds; members that
    request ``groups`` (a :class:`~sklearn_mmer.TorchMLPClassifier` after
    :func:`~sklearn_mmer.request_groups`) receive them too, sliced to each
    inner training part. Without routing,
    :func:`~sklearn.model_selection.cross_val_score` hands ``groups`` to its
    own splitter only, and the inner folds are then not grouped.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn_mmer.fusion import GroupedStackingClassifier
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(60, 4)), np.tile([0, 1, 2], 20)
    >>> speakers = np.repeat(np.arange(6), 10)
    >>> stack = GroupedStackingClassifier(
    ...     [("linear", LogisticRegression()),
    ...      ("trees", HistGradientBoostingClassifier(max_iter=5))],
    ...     cv=3)
    >>> stack.fit(X, y, groups=speakers).predict(X[:3]).shape
    (3,)
    """

    # The inner folds are what groups are for: ask for them under routing.
    __metadata_request__fit = {"groups": True}

    @_fit_context(
        # The members are validated when they are fitted.
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, groups=None, **fit_params):
        """Fit the members, then the final estimator on grouped out-of-fold output.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data, in whatever form the members accept.
        y : array-like of shape (n_samples,)
            Class labels.
        groups : array-like of shape (n_samples,), default=None
            Group (speaker) of each row; the inner folds never split one.
            None: the inner folds are those of
            :class:`~sklearn.ensemble.StackingClassifier`.
        **fit_params : dict
            ``sample_weight``, or with metadata routing enabled any
            parameters the members request.

        Returns
        -------
        self : GroupedStackingClassifier
            The fitted estimator.
        """
        if self.cv == "prefit":
            return super().fit(X, y, **fit_params)
        routed = self._route(groups, fit_params)
        check_classification_targets(y)
        if type_of_target(y) == "multilabel-indicator":
            raise ValueError(
                "GroupedStackingClassifier takes one label per row; got a "
                "multilabel indicator matrix."
            )
        self._label_encoder = LabelEncoder().fit(y)
        self.classes_ = self._label_encoder.classes_
        y = self._label_encoder.transform(y)
        splits = self._inner_splits(X, y, groups)

        names, members = self._validate_estimators()
        self._validate_final_estimator()
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_single_estimator)(clone(member), X, y, routed[name].fit)
            for name, member in zip(names, members, strict=True)
            if member != "drop"
        )
        self.estimators_ = list(fitted)
        self.named_estimators_ = Bunch()
        fitted = iter(self.estimators_)
        for name, member in zip(names, members, strict=True):
            self.named_estimators_[name] = "drop" if member == "drop" else next(fitted)
        for member in self.estimators_:
            if hasattr(member, "feature_names_in_"):
                self.feature_names_in_ = member.feature_names_in_
        methods = [
            self._method_name(name, member, self.stack_method)
            for name, member in zip(names, members, strict=True)
        ]
        predictions = Parallel(n_jobs=self.n_jobs)(
            delayed(cross_val_predict)(
                clone(member),
                X,
                y,
                cv=splits,
                method=method,
                n_jobs=self.n_jobs,
                params=routed[name].fit,
                verbose=self.verbose,
            )
            for name, member, method in zip(names, members, methods, strict=True)
            if member != "drop"
        )
        self.stack_method_ = [
            method
            for method, member in zip(methods, members, strict=True)
            if member != "drop"
        ]
        X_meta = self._concatenate_predictions(X, predictions)
        # Only sample weights reach the final estimator; groups are for the
        # inner folds and the members.
        _fit_single_estimator(
            self.final_estimator_, X_meta, y, fit_params=_sample_weight(fit_params)
        )
        return self

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        The members' ``fit`` requests, as in
        :class:`~sklearn.ensemble.StackingClassifier`, and this estimator's
        own request for ``groups``.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return super().get_metadata_routing().add_self_request(self)

    def _route(self, groups, fit_params):
        """Return the parameters each member's ``fit`` gets, by member name."""
        if _routing_enabled():
            if groups is not None:
                fit_params = {**fit_params, "groups": groups}
            return process_routing(self, "fit", **fit_params)
        _raise_for_params(fit_params, self, "fit", allow=["sample_weight"])
        weights = _sample_weight(fit_params)
        return {name: Bunch(fit=weights) for name, _ in self.estimators}

    def _inner_splits(self, X, y, groups):
        """Make the inner folds once, so that every member gets the same ones."""
        if groups is None:
            return list(check_cv(self.cv, y, classifier=True).split(X, y))
        groups = column_or_1d(groups)
        check_consistent_length(X, y, groups)
        if self.cv is None or isinstance(self.cv, Integral):
            cv = GroupKFold(n_splits=5 if self.cv is None else self.cv)
        else:
            cv = check_cv(self.cv, y, classifier=True)
        splits = [(np.asarray(a), np.asarray(b)) for a, b in cv.split(X, y, groups)]
        for fold, (train, test) in enumerate(splits):
            shared = np.intersect1d(groups[train], groups[test])
            if shared.size:
                raise ValueError(
                    f"Inner fold {fold} of {type(self).__name__} has the group(s) "
                    f"{shared[:5].tolist()} in both its training and its "
                    f"predicted part; {cv!r} ignores groups. Use an int or a "
                    "group-aware splitter such as GroupKFold."
                )
        return splits


def _sample_weight(fit_params):
    return (
        {"sample_weight": fit_params["sample_weight"]}
        if "sample_weight" in fit_params
        else {}
    )


class _SoftVoteWeights(ClassifierMixin, BaseEstimator):
    """Learn the weights of a soft vote from the members' stacked probabilities.

    The final estimator of ``make_late_fusion(voting="soft",
    weights="auto")``: it reads the input as one block of class probabilities
    per member, as :class:`GroupedStackingClassifier` stacks them (for two
    classes, one column per member: the probability of the second class),
    and finds the non-negative weights, summing to one, whose weighted
    average of the members' probabilities has the least log loss. It
    predicts that average, a soft vote with learned weights.
    """

    def fit(self, X, y):
        """Find the weights of least log loss on the stacked probabilities."""
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        probabilities = self._blocks(X)
        n_members = probabilities.shape[1]
        rows = np.arange(len(y))

        def log_loss(theta):
            weights = softmax(theta)
            voted = np.einsum("nmk,m->nk", probabilities, weights)[rows, y_index]
            return -np.mean(np.log(np.clip(voted, 1e-12, None)))

        # Softmax keeps the weights positive and summing to one; start equal.
        found = minimize(log_loss, np.zeros(n_members), method="L-BFGS-B")
        self.weights_ = softmax(found.x)
        return self

    def predict_proba(self, X):
        """Weighted average of the members' probabilities."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.einsum("nmk,m->nk", self._blocks(X), self.weights_)

    def predict(self, X):
        """Predict the class of highest averaged probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _blocks(self, X):
        """Return the probabilities as ``(n_samples, n_members, n_classes)``."""
        n_classes = len(self.classes_)
        if n_classes == 2:
            # The stack keeps only the second class's column for two classes.
            return np.stack([1.0 - X, X], axis=2)
        if n_classes < 2 or X.shape[1] % n_classes:
            raise ValueError(
                f"Expected one block of {n_classes} class probabilities per "
                f"member; got {X.shape[1]} columns."
            )
        return X.reshape(len(X), -1, n_classes)
