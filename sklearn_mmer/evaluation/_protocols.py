"""The field's cross-validation protocols, and one sentence to quote them."""

from __future__ import annotations

from typing import Literal

from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

from ._metrics import metric_title
from ._result import ComparisonResult

#: Protocol names: speaker-grouped k-fold, leave one session out, leave one
#: group (speaker) out.
PROTOCOLS = ("group-kfold", "loso", "logo")


def make_protocol(
    protocol: Literal["group-kfold", "loso", "logo"] = "group-kfold",
    n_splits: int = 5,
):
    """Return the splitter of a named cross-validation protocol.

    Parameters
    ----------
    protocol : {"group-kfold", "loso", "logo"}, default="group-kfold"
        ``"group-kfold"``: :class:`~sklearn.model_selection.GroupKFold` with
        ``n_splits`` folds over the groups (speakers). ``"loso"``: leave one
        session out, the IEMOCAP convention; pass the sessions as
        ``groups`` (a loader's ``sessions``). ``"logo"``: leave one group
        (speaker) out. Both are
        :class:`~sklearn.model_selection.LeaveOneGroupOut`; they differ in the
        groups given to ``split``.
    n_splits : int, default=5
        Folds of ``"group-kfold"``; the others have one fold per group.

    Returns
    -------
    cv : cross-validation splitter

    Examples
    --------
    >>> from sklearn_mmer.evaluation import make_protocol
    >>> make_protocol("loso")
    LeaveOneGroupOut()
    >>> make_protocol("group-kfold", 5)
    GroupKFold(n_splits=5, random_state=None, shuffle=False)
    """
    if protocol == "group-kfold":
        return GroupKFold(n_splits=n_splits)
    if protocol in ("loso", "logo"):
        return LeaveOneGroupOut()
    raise ValueError(f"protocol must be one of {list(PROTOCOLS)}; got {protocol!r}.")


def describe_protocol(result: ComparisonResult, group: str = "speaker") -> str:
    """Say in one sentence how a comparison was cross-validated.

    Written to be quoted in a paper's method section: the splitter, what
    the groups are, how many folds and repeats, what varied between
    repeats, and how the scores are summarised.

    Parameters
    ----------
    result : ComparisonResult or SearchResult
        From :func:`evaluate_configurations` or :func:`search_configuration`.
    group : str, default="speaker"
        What the groups of the folds are (``"speaker"``, ``"session"``).

    Returns
    -------
    sentence : str

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn_mmer import evaluate_configurations, make_emotion_dataset
    >>> from sklearn_mmer.evaluation import describe_protocol, make_protocol
    >>> data = make_emotion_dataset(n_samples=60, dims={"lexical": 4},
    ...                             random_state=0)
    >>> result = evaluate_configurations(
    ...     {"majority": DummyClassifier()}, data.data, data.target,
    ...     groups=data.sessions, cv=make_protocol("loso"))
    >>> sentence = describe_protocol(result, group="session")
    >>> print(sentence)  # doctest: +NORMALIZE_WHITESPACE
    Leave-one-session-out cross-validation (5 folds, each testing on one
    session whose utterances are absent from its training part); every
    configuration saw the same rows and folds, and scores are the mean ±
    standard deviation over the 5 test folds, ranked by F1-micro.
    """
    n_total = len(result.folds)
    n_folds = n_total // result.n_repeats
    repeats = result.n_repeats
    # A comparison reseeds its networks each repeat; a search keeps its seeds.
    comparison = isinstance(result, ComparisonResult)
    seeds = " and other network seeds" if comparison else ""
    who = "configuration" if comparison else "candidate"
    if isinstance(result.cv, LeaveOneGroupOut):
        split = (
            f"Leave-one-{group}-out cross-validation ({n_folds} folds, each "
            f"testing on one {group} whose utterances are absent from its "
            "training part)"
        )
        varied = "other network seeds" if seeds else "the same folds"
    elif isinstance(result.cv, GroupKFold):
        split = (
            f"{n_folds}-fold cross-validation grouped by {group} (no {group} "
            "in both the training and the test part of a fold)"
        )
        varied = f"the {group}s reassigned to folds{seeds}"
    else:
        split = (
            f"Cross-validation with {result.cv!r} over {n_folds} folds grouped "
            f"by {group} (no {group} in both parts of a fold)"
        )
        varied = "new folds" + seeds
    if repeats > 1:
        split += f", repeated {repeats} times with {varied} each time"
    return (
        f"{split}; every {who} saw the same rows and folds, and "
        f"scores are the mean ± standard deviation over the "
        f"{n_total} test folds, ranked by "
        f"{metric_title(result.scoring)}."
    )
