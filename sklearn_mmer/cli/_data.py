"""Get the data a command runs on: the demo set or a feature set on disk."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..datasets import load_features, make_emotion_dataset
from ..datasets._layout import CSV_NAME
from ..evaluation import make_protocol
from ..evaluation._configurations import FUSION_NAMES
from ..preprocessing import pool_table
from ..report._write import check_out_folder
from ..utils import is_missing_cell

# The demo data stays the same whatever --seed says: the seed is the models'.
DEMO_RANDOM_STATE = 0


def load_data(args, wanted=None) -> Bunch:
    """Return the demo data or DATA, each frame sequence pooled to its mean.

    Pooling up front is exact, not an approximation: the mean over one
    utterance's frames depends on that utterance alone, so it is the same
    whether computed once here or again in every fold. It saves that work
    for each configuration and fold, and lets parallel workers receive a
    small matrix instead of every frame.

    ``wanted`` lists the configurations asked for; when none of them fuses,
    only their modalities are read.
    """
    if args.data is None:
        if args.csv is not None:
            raise ValueError(
                "--csv names the table of a feature set, but no DATA (a zip "
                "archive or folder) was given."
            )
        data = make_emotion_dataset(args.demo_samples, random_state=DEMO_RANDOM_STATE)
        if args.target_names is not None:
            if len(args.target_names) != len(data.target_names):
                raise ValueError(
                    f"--target-names gives {len(args.target_names)} name(s) but the "
                    f"demo data has {len(data.target_names)} labels (0 to "
                    f"{len(data.target_names) - 1}); give one name per label."
                )
            data.target_names = np.array(args.target_names, dtype=object)
        data.data = pool_table(data.data)
        data.source = "built-in demo data (make_emotion_dataset)"
        data.report = None
        return data
    path = Path(args.data).expanduser()
    if not path.exists():
        raise FileNotFoundError(
            f"DATA {args.data!r} does not exist. Give a zip archive or a folder "
            "holding dataset.csv and features/, or no DATA for the demo data."
        )
    modalities = None
    if wanted and not set(wanted) & set(FUSION_NAMES):
        modalities = list(wanted)
    data = load_features(
        path,
        args.csv,
        modalities=modalities,
        pool="mean",
        target_names=args.target_names,
        on_error=args.on_error,
    )
    data.source = str(path)
    return data


def check_out(args, writes: Collection[str]) -> None:
    """Refuse an ``--out`` the command cannot write, or would write over its input.

    Checked before anything is loaded or trained, so a bad ``--out`` costs
    no time. ``writes`` names the top-level files and folders the command
    writes (or replaces) in ``--out``; an input at one of those places, or
    ``--out`` being the feature set's folder itself, is refused.
    """
    out = Path(args.out).expanduser()
    try:
        check_out_folder(out)
    except NotADirectoryError as exc:
        raise NotADirectoryError(f"--out: {exc}") from None
    real_out = out.resolve()
    for what, path in _inputs(args):
        real = path.resolve()
        if real == real_out:
            raise ValueError(
                f"--out {args.out!r} is the {what} {str(path)!r} itself: the "
                "report would be written among the input files, over any of the "
                "same name. Give another --out folder, such as results/."
            )
        if real_out in real.parents:
            entry = real.relative_to(real_out).parts[0]
            if entry in writes:
                raise ValueError(
                    f"--out {args.out!r} holds the {what} {str(path)!r}, and "
                    f"the command writes {entry!r} there: the input would be "
                    "overwritten. Give another --out folder, or move the input."
                )


def _inputs(args):
    """List the input files and folders a command reads, with what each is."""
    if args.data is None:
        return []
    data = Path(args.data).expanduser()
    inputs = [("feature set" if data.is_dir() else "input archive", data)]
    if args.csv is not None:
        csv = Path(args.csv).expanduser()
        inputs.append(("input table", csv if csv.is_file() else data / args.csv))
    # The tables load_features reads when DATA holds none.
    nearby = [data.parent / CSV_NAME, data.with_suffix(".csv")]
    inputs += [("input table", path) for path in nearby if path.is_file()]
    return inputs


def grouping(data, args) -> tuple[np.ndarray, str]:
    """Return the groups the folds keep together, and what they are.

    ``--protocol loso`` groups by session (and checks that no speaker spans
    two sessions, so the folds stay speaker-independent); the others group
    by ``--group-by``. With group-kfold, the groups must be at least as many
    as ``--folds``; with ``--early-stopping``, each training fold must also
    hold 2 groups: the networks validate on groups held out of it.
    """
    group_by = "session" if args.protocol == "loso" else args.group_by
    if group_by == "session":
        groups = data.get("sessions")
        if groups is None or any(s is None or s != s for s in groups):
            option = (
                "--protocol loso" if args.protocol == "loso" else "--group-by session"
            )
            raise ValueError(
                f"{option} needs the session of every row, but this "
                "data does not tell it (sessions come from IEMOCAP-style "
                "utterance ids such as Ses01F_impro01_F001 or from SessionN "
                "folders in the feature paths). Use --group-by speaker."
            )
        _check_speakers_within_sessions(data.groups, groups)
    else:
        groups = data.groups
    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(
            f"Every row of the data is from one {group_by} ({groups[0]!s}), and "
            f"{group_by}-independent folds need at least 2 {group_by}s, one to "
            f"test on and one to train on. {_other_grouping(data, group_by)}"
        )
    if args.protocol == "group-kfold" and n_groups < args.folds:
        raise ValueError(
            f"--folds {args.folds} needs at least {args.folds} {group_by}s, but "
            f"the data has {n_groups}. Lower --folds (to at most {n_groups})."
        )
    if args.early_stopping:
        cv = protocol_splitter(args)
        fewest = min(
            len(np.unique(groups[train]))
            for train, _ in cv.split(groups, groups=groups)
        )
        if fewest < 2:
            raise ValueError(
                f"--early-stopping (the default) validates each network on "
                f"{group_by}s held out "
                f"of its training fold, so a training fold needs at least 2 "
                f"{group_by}s; with {n_groups} {group_by}s and --protocol "
                f"{args.protocol}, one has {fewest}. Pass --no-early-stopping, or "
                f"give data with more {group_by}s."
            )
    return groups, group_by


def protocol_splitter(args):
    """Return the splitter of ``--protocol`` (and ``--folds``)."""
    return make_protocol(args.protocol, args.folds)


def _check_speakers_within_sessions(speakers, sessions):
    table = pd.DataFrame({"speaker": speakers, "session": sessions})
    spread = table.groupby("speaker")["session"].nunique()
    crossing = spread[spread > 1].index.tolist()
    if crossing:
        raise ValueError(
            f"Speaker(s) {crossing[:5]} appear in more than one session, so "
            "folds by session would put them in both training and test. Use "
            "--protocol logo or group-kfold (grouped by speaker)."
        )


def _other_grouping(data, group_by):
    """Advice when the data has a single group: another grouping, if any."""
    other = "session" if group_by == "speaker" else "speaker"
    values = data.get("sessions") if other == "session" else data.groups
    if values is not None and len({str(v) for v in values}) > 1:
        return f"Use --group-by {other}, or give data from more {group_by}s."
    return f"Give data from more {group_by}s."


def describe_data(data) -> dict:
    """Describe the data for the report: source, description, load report."""
    X = data.data
    modalities = {}
    for column in X.columns:
        present = [cell for cell in X[column] if not is_missing_cell(cell)]
        modalities[str(column)] = {
            "dim": int(np.shape(present[0])[-1]) if present else None,
            "missing_cells": len(X) - len(present),
        }
    record = {
        "source": data.source,
        "description": data.get("DESCR", ""),
        "n_rows": len(X),
        "n_speakers": len(np.unique(data.groups)),
        "modalities": modalities,
        "pooled": "each frame sequence averaged over time before the folds",
    }
    report = data.get("report")
    if report is not None:
        record["load_report"] = str(report)
        skipped = getattr(report, "skipped", None)
        if skipped is not None and len(skipped):
            record["skipped_rows"] = skipped.to_dict(orient="records")
    return record
