"""Score several configurations on the same rows and the same folds."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from functools import partial
from numbers import Integral
from os import PathLike

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import get_routing_for_object
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ..fusion import (
    pools_before_reading,
    request_groups,
    required_columns,
    torch_classifiers,
)
from ..neural_network import TorchMLPClassifier
from ..preprocessing import pool_table
from ..utils import resolve_device, torch_threads
from ._metrics import check_scoring, score_all
from ._repeats import folds_table, group_splitter, repeated_splits, reseeded
from ._result import ComparisonResult, summarise
from ._reuse import (
    exactly_reusable,
    labels_encode_to_themselves,
    reusable_votes,
    vote_of_fitted,
)
from ._rows import rows_with_missing_cells, tolerates_missing_cells, usable_rows
from ._runner import reuse_or_run, run_fits
from ._store import FitStore, fingerprint


def evaluate_configurations(
    configurations: Mapping[str, object] | Sequence[tuple[str, object]],
    X,
    y,
    *,
    groups,
    cv=5,
    n_repeats: int = 1,
    scoring: str | None = None,
    target_names: Sequence[str] | None = None,
    random_state=None,
    n_jobs: int | None = None,
    progress: bool = False,
    return_estimators: bool = False,
    checkpoint_dir: str | PathLike | None = None,
    resume: bool = False,
) -> ComparisonResult:
    """Cross-validate several configurations on the same rows and folds.

    Every configuration is cloned and fitted on the training part of each
    fold and scored on its test part; all of them share the same folds, so
    their scores compare. Any scikit-learn classifier can be a configuration.
    Rows that lack a modality (a missing cell) are
    handled by what each configuration tolerates, as its sklearn tags say
    (``input_tags.allow_nan``; for a pipeline, that of every step):

    - configurations that do not tolerate missing cells all see the same
      rows: those with every modality that any of them reads;
    - a configuration that tolerates them (e.g.
      :func:`~sklearn_mmer.make_neural_fusion`) also sees the rows that lack
      some of its modalities, every row with at least one of them.

    A tolerant configuration's rows thus include the others' rows, and its
    fold ``k`` holds the other configurations' fold ``k`` rows plus its
    own; ``rows_used`` says which rows each configuration saw and
    ``summary["n_rows"]`` how many. Rows no configuration can use are listed
    in ``excluded``, never dropped in silence.

    The evaluation is speaker-independent: the folds are checked to share no
    group between their training and test parts, and ``groups`` reach,
    through metadata routing, the ``fit`` of every estimator inside that
    takes them (and of no other): with ``early_stopping=True`` a
    :class:`~sklearn_mmer.TorchMLPClassifier` carves its validation split
    from the training part, sharing no speaker with it, and a
    :class:`~sklearn_mmer.GroupedStackingClassifier` groups its inner folds.
    The test part plays no role in training or model selection.

    Parameters
    ----------
    configurations : dict of str to estimator, or list of (str, estimator)
        The classifiers to compare, by name, e.g. from
        :func:`make_configurations`. They are cloned, never fitted in place.
    X : DataFrame of shape (n_samples, n_modalities)
        The multimodal table (or any input the configurations accept).
    y : array-like of shape (n_samples,)
        Class labels.
    groups : array-like of shape (n_samples,)
        Speaker (or session) of each row; folds never split a group. For a
        deliberately speaker-dependent evaluation pass
        ``np.arange(n_samples)``.
    cv : int or cross-validation splitter, default=5
        An int is the number of :class:`~sklearn.model_selection.GroupKFold`
        folds. A splitter gets ``groups`` in ``split``; a fold that puts a
        group on both sides raises an error. See :func:`make_protocol` for
        leave-one-session-out and leave-one-speaker-out.
    n_repeats : int, default=1
        Run the whole cross-validation this many times. Repeat 0 uses ``cv``
        as given; each later repeat assigns the groups to folds afresh
        (``GroupKFold(shuffle=True)``, seeded from ``random_state``; a
        splitter without randomness, such as ``LeaveOneGroupOut``, keeps its
        folds) and shifts every integer ``random_state`` of the
        configurations by the repeat number, so the networks start from
        other initialisations. Folds are numbered across repeats and every
        table has a ``repeat`` column; :func:`compare_pairs` then has
        ``n_splits * n_repeats`` paired differences.
    scoring : str, default=None
        The metric that ranks the configurations: a name of
        :data:`METRICS` (``"f1_micro"``, ``"f1_macro"``, ``"accuracy"``,
        ``"balanced_accuracy"``) or the field's ``"WA"`` (accuracy) and
        ``"UA"`` (balanced accuracy, the unweighted mean of per-class
        recalls). None means ``"f1_micro"``. Every metric is computed
        either way.
    target_names : sequence of str, default=None
        Display names of integer classes ``0, 1, ...``, e.g. a loader's
        ``target_names``; there must be a name for every label up to the
        largest (too few is an error). Labels that are not integers are
        shown as they are.
    random_state : int, RandomState instance or None, default=None
        Seeds the group assignment of repeats after the first.
    n_jobs : int, default=None
        Number of (configuration, fold) fits to run in parallel with joblib;
        ``None`` means 1 and ``-1`` all cores. Each parallel worker limits
        torch to ``cores // n_jobs`` threads so the cores are not
        oversubscribed. Inside ``joblib.parallel_config(backend="dask")``
        the fits run on the Dask cluster instead (``None`` then means every
        worker thread); the data is sent to each worker once, each worker's
        torch gets its share of its machine's cores, and the scores and
        predictions are the same as on this machine.
    progress : bool, default=False
        Show a progress bar (tqdm, on stderr) over configurations and folds.
    return_estimators : bool, default=False
        Keep the fitted estimator of every fold in ``estimators``.
    checkpoint_dir : str or path-like, default=None
        A folder where each finished fit (predictions, times, device, and
        the fitted model where a late fusion or ``return_estimators`` needs
        it) is written the moment it completes, atomically, with
        ``fingerprint.json``: what the fits depend on (data, folds, the
        parameters of every configuration). Without ``resume``, fits already
        there are discarded.
    resume : bool, default=False
        Reuse the fits already in ``checkpoint_dir`` and run only the
        others, after checking that they were made from the same data, folds
        and parameters. A file cut short (a crash while writing) is detected
        and that fit is done again; ``fits_reused`` in the result counts the
        fits reused.

    Returns
    -------
    result : ComparisonResult
        ``summary`` (ranked mean and std over folds), ``per_fold``,
        ``per_class``, ``confusion_matrices``, ``predictions``, ``folds`` and
        ``excluded`` tables.

    Raises
    ------
    ValueError
        If a fold shares a group between training and test, no row is left
        that a configuration can use, or a fit fails
        on bad data (the message then names the configuration and fold).
    ResumeMismatchError
        With ``resume=True``, if the fits in ``checkpoint_dir`` were made
        from other data, folds or parameters (a subclass of ValueError; the
        message names what differs).
    RuntimeError
        On a Dask cluster, if workers keep dying while running one fit
        (after the scheduler's retries on other workers); the message names
        the configuration, the fold and the last worker.

    See Also
    --------
    make_configurations : The standard unimodal, early and late configurations.
    sklearn_mmer.report.write_report : Tables, figures and JSON of a result.
    sklearn.model_selection.cross_validate : The same for one estimator.

    Examples
    --------
    >>> from sklearn_mmer import (evaluate_configurations, make_configurations,
    ...                           make_emotion_dataset)
    >>> data = make_emotion_dataset(
    ...     n_samples=120, dims={"visual": 16, "acoustic": 8, "lexical": 12},
    ...     random_state=0)
    >>> configurations = make_configurations(
    ...     ["acoustic", "lexical"], max_iter=5, random_state=0)
    >>> list(configurations)
    ['acoustic', 'lexical', 'early', 'late']
    >>> result = evaluate_configurations(configurations, data.data, data.target,
    ...                                  groups=data.groups, cv=3)
    >>> result.summary.columns[:4].tolist()
    ['rank', 'n_folds', 'n_rows', 'f1_micro_mean']
    >>> result.per_fold.shape
    (12, 14)
    """
    configurations = _check_configurations(configurations)
    scoring = check_scoring(scoring)
    if not isinstance(n_repeats, Integral) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer; got {n_repeats!r}.")
    y = column_or_1d(y, warn=True)
    groups = column_or_1d(groups)
    check_consistent_length(X, y, groups)

    keep, excluded, needed, usable = _rows_to_use(configurations, X)
    X_used = _safe_indexing(X, keep)
    if isinstance(X, pd.DataFrame) and all(
        map(pools_before_reading, configurations.values())
    ):
        # Exact (a row's mean depends on that row alone), and it spares every
        # fold and configuration the pooling, and parallel workers the frames.
        X_used = pool_table(X_used, needed)
    y_used, groups_used = y[keep], groups[keep]
    row_labels = X.index[keep] if isinstance(X, pd.DataFrame) else pd.Index(keep)
    cv = group_splitter(cv)
    splits, repeats = repeated_splits(
        cv, n_repeats, random_state, X_used, y_used, groups_used
    )
    # Each configuration's part of each fold: the fold's rows it can use.
    own_splits = {
        name: [(train[rows[train]], test[rows[test]]) for train, test in splits]
        for name, rows in usable.items()
    }
    labels = np.unique(y_used)
    class_names = _class_names(labels, target_names)
    # The configurations each repeat trains: same models, other seeds.
    seeded = [
        {name: reseeded(e, repeat) for name, e in configurations.items()}
        for repeat in range(n_repeats)
    ]

    data = (X_used, y_used, groups_used)
    store = (
        None
        if checkpoint_dir is None
        else FitStore(
            checkpoint_dir,
            fingerprint(X_used, y_used, groups_used, splits, configurations),
            resume=resume,
        )
    )
    votes = reusable_votes(configurations)
    kept_for_votes = {name for members in votes.values() for name in members.values()}
    tasks = [
        (name, fold, seeded[repeats[fold]][name], train, test)
        for name in configurations
        if name not in votes
        for fold, (train, test) in enumerate(own_splits[name])
    ]

    def fit_call(task, n_threads):
        name, fold, estimator, train, test = task
        keep = return_estimators or name in kept_for_votes
        return (
            _fit_and_score,
            (estimator, data, (train, test)),
            {
                "name": name,
                "fold": fold,
                "n_threads": n_threads,
                "return_estimator": keep,
            },
        )

    outcomes, fits_reused = run_fits(
        tasks,
        fit_call,
        data,
        n_jobs=n_jobs,
        store=store,
        need_estimator=lambda key: return_estimators or key[0] in kept_for_votes,
        progress=progress,
    )
    for name, members in votes.items():
        for fold, split in enumerate(own_splits[name]):
            outcome, reused = reuse_or_run(
                store,
                (name, fold),
                partial(
                    _score_vote,
                    seeded[repeats[fold]][name],
                    members,
                    outcomes,
                    data,
                    split,
                    name,
                    fold,
                    {
                        member: own_splits[config][fold][0]
                        for member, config in members.items()
                    },
                ),
                need_estimator=return_estimators,
            )
            outcomes.append(outcome)
            fits_reused += reused
    if not return_estimators:
        for outcome in outcomes:
            outcome["estimator"] = None
    return _collect(
        outcomes,
        configurations=configurations,
        splits=splits,
        own_splits=own_splits,
        usable=usable,
        repeats=np.asarray(repeats),
        cv=cv,
        scoring=scoring,
        labels=labels,
        class_names=class_names,
        groups=groups_used,
        row_labels=row_labels,
        y=y_used,
        excluded=excluded,
        return_estimators=return_estimators,
        fits_reused=fits_reused,
    )


def _check_configurations(configurations):
    items = (
        list(configurations.items())
        if isinstance(configurations, Mapping)
        else list(configurations)
    )
    if not items:
        raise ValueError("No configurations to evaluate; give at least one.")
    names = [name for name, _ in items]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"Configuration names used more than once: {duplicated}.")
    for name, estimator in items:
        if not is_classifier(estimator):
            raise TypeError(
                f"Configuration {name!r} is not a classifier: {estimator!r}."
            )
    return dict(items)


def _rows_to_use(configurations, X):
    """Rows some configuration can use, the rows left out, the columns read.

    Also returns, per configuration, which of the kept rows it can use.
    """
    columns_read = {
        name: required_columns(estimator, X.columns)
        if isinstance(X, pd.DataFrame)
        else []
        for name, estimator in configurations.items()
    }
    tolerant = {
        name: tolerates_missing_cells(estimator)
        for name, estimator in configurations.items()
    }
    usable, needed = usable_rows(X, columns_read, tolerant)
    used = np.logical_or.reduce(list(usable.values()))
    excluded = rows_with_missing_cells(X, needed, rows=~used)
    keep = np.flatnonzero(used)
    if keep.size == 0:
        raise ValueError(
            f"Every row lacks one of the modalities {needed} that the "
            "configurations read; there is nothing to evaluate."
        )
    empty = [name for name, rows in usable.items() if not rows.any()]
    if empty:
        raise ValueError(
            f"Configuration(s) {empty} can use no row: every row lacks one of "
            "the modalities they read."
        )
    return keep, excluded, needed, {name: rows[keep] for name, rows in usable.items()}


def _class_names(labels, target_names):
    if target_names is None:
        return [str(label) for label in labels]
    target_names = [str(name) for name in target_names]
    if not all(isinstance(label, Integral) for label in labels.tolist()):
        return [str(label) for label in labels]
    # More names than labels is fine here (a subset may lack the last
    # classes); the loader checks the count against the whole file.
    if labels.min() < 0 or labels.max() >= len(target_names):
        raise ValueError(
            f"target_names gives {len(target_names)} name(s) ({target_names}) but "
            f"the labels are {labels.tolist()}: name label k with the k-th name, "
            "one name per label from 0 up to the largest."
        )
    return [target_names[label] for label in labels.tolist()]


def _fit_and_score(
    estimator,
    data,
    split,
    *,
    name,
    fold,
    n_threads,
    return_estimator,
):
    """Fit a clone on one fold's training part and score its test part."""
    (X, y, groups), (train, test) = data, split
    X_train, X_test = _safe_indexing(X, train), _safe_indexing(X, test)
    try:
        with (
            torch_threads(n_threads),
            sklearn.config_context(enable_metadata_routing=True),
            warnings.catch_warnings(),
        ):
            # Non-convergence is recorded per fold instead of warned 25 times.
            warnings.simplefilter("ignore", ConvergenceWarning)
            _warm_up(estimator)
            # Groups go to every estimator that takes them (networks for
            # speaker-disjoint validation, stacking for its inner folds) and
            # to no other.
            fitted = request_groups(clone(estimator))
            fit_params = (
                {"groups": groups[train]}
                if get_routing_for_object(fitted).consumes("fit", ["groups"])
                else {}
            )
            start = time.perf_counter()
            fitted.fit(X_train, y[train], **fit_params)
            fit_time = time.perf_counter() - start
            start = time.perf_counter()
            y_pred = fitted.predict(X_test)
            score_time = time.perf_counter() - start
    except Exception as exc:
        exc.add_note(f"(while fitting configuration {name!r} on fold {fold})")
        raise
    return {
        "configuration": name,
        "fold": fold,
        "y_pred": np.asarray(y_pred),
        "fit_time": fit_time,
        "score_time": score_time,
        **_training_record(fitted),
        "estimator": fitted if return_estimator else None,
    }


def _score_vote(vote, members, outcomes, data, split, name, fold, member_trains):
    """Score a late fusion from its members' fitted models of this fold.

    A member is reused, frozen, only where that is exact: its stand-alone
    model was trained on the rows the vote would train it on
    (``member_trains`` holds those of the stand-alone models), with the same
    labels (the vote's label encoding leaves them unchanged). The vote
    trains its other members itself, as usual.
    """
    (X, y, _), (train, _) = data, split
    reusable = []
    if labels_encode_to_themselves(y[train]):
        reusable = exactly_reusable(
            vote, _safe_indexing(X, train), train, member_trains
        )
    fitted = {o["configuration"]: o for o in outcomes if o["fold"] == fold}
    reused = {member: fitted[members[member]] for member in reusable}
    assembled = vote_of_fitted(
        vote, {member: o["estimator"] for member, o in reused.items()}
    )
    outcome = _fit_and_score(
        assembled,
        data,
        split,
        name=name,
        fold=fold,
        n_threads=None,
        return_estimator=True,
    )
    # The vote costs what training its members cost, done once for both.
    outcome["fit_time"] += sum(o["fit_time"] for o in reused.values())
    return outcome


# Devices this process has already trained on; see _warm_up.
_WARM_DEVICES: set = set()


def _warm_up(estimator):
    """Pay torch's one-off costs before the clock starts, once per process.

    The first fit in a process imports optimizer machinery (about a second)
    and, on a GPU, initialises CUDA; timed inside the first configuration's
    first fold, it would make that configuration look slow.
    """
    for device in {resolve_device(c.device) for c in torch_classifiers(estimator)}:
        if device in _WARM_DEVICES:
            continue
        X = np.zeros((4, 1), dtype=np.float32)
        warm = TorchMLPClassifier(
            1, max_iter=1, early_stopping=False, device=device, random_state=0
        )
        warm.fit(X, [0, 1, 0, 1])
        _WARM_DEVICES.add(device)


def _training_record(fitted):
    classifiers = torch_classifiers(fitted)
    fitted_classifiers = [c for c in classifiers if hasattr(c, "n_iter_")]
    if not fitted_classifiers:
        return {"n_iter": np.nan, "converged": True, "device": ""}
    return {
        "n_iter": max(c.n_iter_ for c in fitted_classifiers),
        "converged": all(c.n_iter_ < c.max_iter for c in fitted_classifiers),
        "device": ",".join(sorted({c.device_ for c in fitted_classifiers})),
    }


def _collect(outcomes, **context):
    with warnings.catch_warnings():
        # A fold whose model predicts a class absent from its test part is
        # scored as sklearn scores it; the warning would repeat per fold.
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        return _tabulate(outcomes, **context)


def _tabulate(outcomes, **context):
    y, labels, splits = context["y"], context["labels"], context["splits"]
    own_splits = context["own_splits"]
    fold_rows, class_rows, prediction_frames = [], [], []
    matrices = {name: [None] * len(splits) for name in context["configurations"]}
    estimators = {name: [None] * len(splits) for name in context["configurations"]}
    for outcome in outcomes:
        name, fold = outcome["configuration"], outcome["fold"]
        train, test = own_splits[name][fold]
        y_true, y_pred = y[test], outcome["y_pred"]
        repeat = int(context["repeats"][fold])
        fold_rows.append(
            {
                "configuration": name,
                "fold": fold,
                "repeat": repeat,
                **score_all(y_true, y_pred),
                "fit_time": outcome["fit_time"],
                "score_time": outcome["score_time"],
                "n_train": len(train),
                "n_test": len(test),
                "n_iter": outcome["n_iter"],
                "converged": outcome["converged"],
                "device": outcome["device"],
            }
        )
        class_rows.extend(_per_class(name, fold, y_true, y_pred, labels, context))
        matrices[name][fold] = confusion_matrix(y_true, y_pred, labels=labels)
        estimators[name][fold] = outcome["estimator"]
        prediction_frames.append(
            pd.DataFrame(
                {
                    "configuration": name,
                    "fold": fold,
                    "repeat": repeat,
                    "row": context["row_labels"][test],
                    "y_true": y_true,
                    "y_pred": y_pred,
                }
            )
        )
    per_fold = pd.DataFrame(fold_rows)
    summary = summarise(per_fold, context["configurations"], context["scoring"])
    # Each row is tested once per repeat: the rows a configuration was scored on.
    n_repeats = int(context["repeats"].max()) + 1
    seen = per_fold.groupby("configuration")["n_test"].sum() // n_repeats
    summary.insert(summary.columns.get_loc("n_folds") + 1, "n_rows", seen)
    return ComparisonResult(
        summary=summary,
        per_fold=per_fold,
        per_class=pd.DataFrame(class_rows),
        confusion_matrices={name: np.stack(m) for name, m in matrices.items()},
        predictions=pd.concat(prediction_frames, ignore_index=True),
        folds=folds_table(splits, context["repeats"], context["groups"]),
        excluded=context["excluded"],
        labels=labels,
        class_names=context["class_names"],
        configurations=context["configurations"],
        splits=splits,
        cv=context["cv"],
        estimators=estimators if context["return_estimators"] else None,
        fits_reused=context["fits_reused"],
        rows_used=pd.DataFrame(
            context["usable"], index=pd.Index(context["row_labels"], name="row")
        ),
        scoring=context["scoring"],
        n_repeats=int(context["repeats"].max()) + 1,
    )


def _per_class(name, fold, y_true, y_pred, labels, context):
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=np.nan
    )
    return [
        {
            "configuration": name,
            "fold": fold,
            "repeat": int(context["repeats"][fold]),
            "class": class_name,
            "precision": precision[k],
            "recall": recall[k],
            "f1": f1[k] if support[k] else np.nan,
            "support": int(support[k]),
        }
        for k, class_name in enumerate(context["class_names"])
    ]
