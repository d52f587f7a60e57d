"""Write a comparison to a folder: tables, figures, JSON and report.md."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path, PurePosixPath

import pandas as pd

from .._version import __version__
from ..evaluation import (
    METRIC_TABLE,
    ComparisonResult,
    compare_pairs,
    describe_protocol,
    summarise_importance,
)
from ._environment import environment
from ._figures import (
    plot_comparison,
    plot_confusion_matrices,
    plot_modality_importance,
    plot_pairwise,
    plot_per_class_f1,
)
from ._json import configuration_record, jsonable
from ._markdown import describe_training, report_markdown
from ._metadata import RunMetadata
from ._tables import format_summary

FIGURE_DPI = 120
# The files of a report that say it is one; holds_report looks for them.
REPORT_MARKERS = ("report.md", "results.json")
# Every top-level file and folder write_report writes: what a command must
# not let it write over (the input, say). A test keeps the list complete.
REPORT_ENTRIES = frozenset(
    {
        "summary.txt",
        "summary.md",
        "per_fold.csv",
        "per_class.csv",
        "predictions.csv",
        "excluded.csv",
        "pairwise.csv",
        "modality_importance.csv",
        "modality_importance_summary.csv",
        "results.json",
        "report.md",
        "figures",
    }
)


def write_report(
    result: ComparisonResult,
    out: str | PathLike,
    *,
    metadata: RunMetadata | Mapping | None = None,
    figures: bool = True,
    reference: str | None = None,
    rope: float = 0.01,
    importance: pd.DataFrame | None = None,
) -> dict:
    """Write everything a comparison found into the folder ``out``.

    ``out`` receives:

    - ``summary.txt`` and ``summary.md``: the ranked table (mean ± std over
      folds of F1-micro, macro-F1, WA, UA, fit time);
    - ``per_fold.csv``, ``per_class.csv``, ``predictions.csv`` (out-of-fold
      predictions) and ``excluded.csv`` (rows left out, and why);
    - ``results.json``: all of the above unrounded, plus each
      configuration's exact parameters, the folds' held-out groups, package
      versions, the devices used and ``metadata``;
    - ``pairwise.csv``: the paired comparison of :func:`~sklearn_mmer.compare_pairs`
      (every pair, or each against ``reference``), with two or more
      configurations and folds;
    - ``modality_importance.csv`` and ``modality_importance_summary.csv``,
      given ``importance``;
    - ``figures/comparison.png``, ``figures/per_class_f1.png``,
      ``figures/confusion_<configuration>.png``, ``figures/pairwise.png``
      and ``figures/modality_importance.png``;
    - ``report.md``, which puts tables and figures together (image links are
      relative, so the folder can be moved or zipped as a whole).

    The files are written into a temporary folder beside ``out`` and moved
    into ``out`` only once all of them are complete, so a run that fails or
    is interrupted leaves ``out`` as it was. A report already in ``out`` is
    replaced whole: the files and figures of the earlier report (as its
    ``results.json`` lists them) go, even where this one writes no file of
    the same name. Other files in ``out`` are not touched.

    Parameters
    ----------
    result : ComparisonResult
        The outcome of :func:`~sklearn_mmer.evaluate_configurations`.
    out : str or path-like
        Folder to write to; created if needed. An existing file of that name
        is an error.
    metadata : RunMetadata or dict, default=None
        Facts about the run for ``results.json`` and ``report.md``, such as
        the command line and a description of the data. A dict is read as
        :class:`RunMetadata` fields, its other keys going to ``extra``.
    figures : bool, default=True
        Draw the PNG figures.
    reference : str, default=None
        Compare every configuration with this one only in the paired
        comparison; None compares every pair.
    rope : float, default=0.01
        Half-width of the region of practical equivalence of the Bayesian
        test, as a fraction (0.01 is one point).
    importance : DataFrame, default=None
        Modality contributions from
        :func:`~sklearn_mmer.evaluation.modality_importance`, to tabulate,
        draw and record.

    Returns
    -------
    paths : dict of str to pathlib.Path
        Every file written, by role, at its final place in ``out`` (``"report"``, ``"json"``,
        ``"summary_text"``, ``"figure_comparison"``, ...).

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_mmer import (evaluate_configurations, make_configurations,
    ...                           make_emotion_dataset)
    >>> from sklearn_mmer.report import write_report
    >>> data = make_emotion_dataset(n_samples=60, dims={"lexical": 8},
    ...                             random_state=0)
    >>> result = evaluate_configurations(
    ...     make_configurations(["lexical"], max_iter=3, random_state=0),
    ...     data.data, data.target, groups=data.groups, cv=2)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     paths = write_report(result, out, figures=False)
    ...     sorted(path.name for path in paths.values())
    ['excluded.csv', 'per_class.csv', 'per_fold.csv', 'predictions.csv', 'report.md', 'results.json', 'summary.md', 'summary.txt']
    """  # noqa: E501
    out = Path(out)
    metadata = RunMetadata.coerce(metadata)
    check_out_folder(out)
    pairs = None
    if len(result.configurations) > 1 and len(result.splits) > 1:
        pairs = compare_pairs(result, reference, rope=rope)
    with staged_folder(out, replaces=_report_entries(out)) as stage:
        paths = _write_files(result, stage, metadata, figures, pairs, importance)
    return {role: out / path.relative_to(stage) for role, path in paths.items()}


def check_out_folder(out: Path) -> None:
    """Fail early, with what to do, when ``out`` cannot be a report folder."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(
            f"The output folder {str(out)!r} is an existing file, not a folder. "
            "Give a new or existing folder, or move the file away."
        )
    for parent in out.absolute().parents:
        if parent.exists() and not parent.is_dir():
            raise NotADirectoryError(
                f"The output folder {str(out)!r} cannot be made: {str(parent)!r} "
                "is a file, not a folder."
            )


def report_entries(out: str | PathLike) -> set[str]:
    """Name the entries of ``out`` that writing a report there writes or removes."""
    return set(REPORT_ENTRIES) | _report_entries(Path(out))


@contextmanager
def staged_folder(out: Path, *, replaces=frozenset()):
    """Yield a folder to write into; move its contents into ``out`` at the end.

    Nothing reaches ``out`` unless the block completes: an error or an
    interrupt leaves ``out`` as it was. Entries of ``out`` with the names of
    those written, or named in ``replaces``, are replaced; others stay.
    """
    check_out_folder(out)
    with _staging_folder(out) as stage:
        yield stage
        _move_into_place(stage, out, replaces)


def holds_report(out: str | PathLike) -> bool:
    """Whether the folder ``out`` holds a report that writing one would replace."""
    out = Path(out)
    return out.is_dir() and any((out / name).is_file() for name in REPORT_MARKERS)


def _write_files(result, out, metadata, figures, pairs=None, importance=None):
    paths = {
        "summary_text": out / "summary.txt",
        "summary_markdown": out / "summary.md",
        "per_fold": out / "per_fold.csv",
        "per_class": out / "per_class.csv",
        "predictions": out / "predictions.csv",
        "excluded": out / "excluded.csv",
    }
    paths["summary_text"].write_text(format_summary(result) + "\n", encoding="utf-8")
    paths["summary_markdown"].write_text(
        format_summary(result, "markdown") + "\n", encoding="utf-8"
    )
    result.per_fold.to_csv(paths["per_fold"], index=False)
    result.per_class.to_csv(paths["per_class"], index=False)
    result.predictions.to_csv(paths["predictions"], index=False)
    result.excluded.to_csv(paths["excluded"])
    importance_summary = None
    if pairs is not None:
        paths["pairwise"] = out / "pairwise.csv"
        pairs.to_csv(paths["pairwise"], index=False)
    if importance is not None and len(importance):
        importance_summary = summarise_importance(importance)
        paths["modality_importance"] = out / "modality_importance.csv"
        paths["modality_importance_summary"] = out / "modality_importance_summary.csv"
        importance.to_csv(paths["modality_importance"], index=False)
        importance_summary.to_csv(paths["modality_importance_summary"], index=False)
    if figures:
        paths.update(_write_figures(result, out / "figures", pairs, importance_summary))
    paths["json"] = out / "results.json"
    paths["report"] = out / "report.md"
    environment_info = environment()
    record = results_record(result, metadata, environment_info)
    if pairs is not None:
        record["pairwise"] = {
            "settings": jsonable(dict(pairs.attrs)),
            "pairs": jsonable(pairs),
        }
    if importance_summary is not None:
        record["modality_importance"] = {
            "metric": importance.attrs.get("metric", result.scoring),
            "summary": jsonable(importance_summary),
            "per_fold": jsonable(importance),
        }
    record["files"] = {
        role: path.relative_to(out).as_posix() for role, path in paths.items()
    }
    paths["json"].write_text(
        json.dumps(record, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )
    paths["report"].write_text(
        report_markdown(
            result,
            metadata,
            environment_info,
            paths,
            out,
            pairs=pairs,
            importance=importance_summary,
        ),
        encoding="utf-8",
    )
    return paths


@contextmanager
def _staging_folder(out):
    """Make a folder beside ``out``, removed at the end whatever happens.

    Beside, so that it is on the same file system and moves are renames.
    """
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    stage = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    )
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _move_into_place(stage, out, replaces):
    """Put the finished files in ``out``, and take those they replace away."""
    try:
        stage.rename(out)  # no folder yet (or an empty one): one atomic step
        return
    except OSError:
        if not out.is_dir():
            raise
    new = sorted(entry.name for entry in stage.iterdir())
    old = sorted((set(new) | set(replaces)) & _entries(out))
    trash = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent)
    )
    moved_out, moved_in = [], []
    try:
        for name in old:
            (out / name).rename(trash / name)
            moved_out.append(name)
        for name in new:
            (stage / name).rename(out / name)
            moved_in.append(name)
    except BaseException:
        # Put the earlier files back as they were.
        for name in moved_in:
            (out / name).rename(stage / name)
        for name in moved_out:
            (trash / name).rename(out / name)
        raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def _entries(folder):
    return {entry.name for entry in folder.iterdir()}


def _report_entries(out):
    """Name the top-level files and folders of the report already in ``out``."""
    if not holds_report(out):
        return set()
    try:
        record = json.loads((out / "results.json").read_text(encoding="utf-8"))
        if "sklearn_mmer_version" not in record:
            return set()  # someone else's results.json
        files = record["files"]
        listed = {PurePosixPath(str(path)).parts[0] for path in files.values()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return set()
    # Only plain names inside ``out``: never follow a record out of it.
    return {name for name in listed if name not in {"", ".", ".."} and "/" not in name}


def results_record(
    result: ComparisonResult, metadata: RunMetadata, environment_info: dict
) -> dict:
    """Everything about a comparison as JSON-able data (``results.json``)."""
    return {
        "sklearn_mmer_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "metadata": jsonable(metadata.as_dict()),
        "protocol": {
            "description": describe_protocol(
                result, group=metadata.group_by or "speaker"
            ),
            "cv": repr(result.cv),
            "n_folds": len(result.splits),
            "n_repeats": result.n_repeats,
            "scoring": result.scoring,
            "metrics": {
                name: {"title": metric.title, "description": metric.description}
                for name, metric in METRIC_TABLE.items()
            },
            "std": "np.std over folds (ddof=0), as in GridSearchCV",
            "scores": "fractions in [0, 1]; the tables show percent",
            "training": describe_training(result),
        },
        "classes": [
            {"label": jsonable(label), "name": name}
            for label, name in zip(result.labels, result.class_names, strict=True)
        ],
        "class_names_given": result.class_names_given,
        "n_rows_used": int(sum(len(test) for _, test in result.splits)),
        "folds": [
            {"fold": int(fold), **jsonable(row.to_dict())}
            for fold, row in result.folds.iterrows()
        ],
        "configurations": {
            name: configuration_record(name, estimator)
            for name, estimator in result.configurations.items()
        },
        "summary": jsonable(result.summary.reset_index()),
        "per_fold": jsonable(result.per_fold),
        "per_class": jsonable(result.per_class),
        "confusion_matrices": jsonable(result.confusion_matrices),
        "excluded": jsonable(result.excluded.reset_index()),
        "devices": sorted(set(result.per_fold["device"]) - {""}),
        "environment": environment_info,
    }


def _write_figures(result, folder, pairs=None, importance_summary=None):
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "figure_comparison": (folder / "comparison.png", plot_comparison(result)),
        "figure_per_class_f1": (folder / "per_class_f1.png", plot_per_class_f1(result)),
    }
    if pairs is not None:
        figures["figure_pairwise"] = (folder / "pairwise.png", plot_pairwise(pairs))
    if importance_summary is not None:
        figures["figure_modality_importance"] = (
            folder / "modality_importance.png",
            plot_modality_importance(importance_summary),
        )
    for name in result.summary.index:
        path = folder / f"confusion_{_slug(name)}.png"
        figures[f"figure_confusion_{name}"] = (
            path,
            plot_confusion_matrices(result, name),
        )
    paths = {}
    for role, (path, figure) in figures.items():
        figure.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight")
        paths[role] = path
    return paths


def _slug(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "configuration"
