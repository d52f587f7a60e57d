"""Get the data a command runs on: the demo set or a feature set on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ..datasets import load_features, make_emotion_dataset
from ..evaluation import make_protocol
from ..evaluation._configurations import FUSION_NAMES
from ..preprocessing import pool_table
from ..utils._frames import is_missing_cell

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


def grouping(data, args) -> tuple[np.ndarray, str]:
    """Return the groups the folds keep together, and what they are.

    ``--protocol loso`` groups by session (and checks that no speaker spans
    two sessions, so the folds stay speaker-independent); the others group
    by ``--group-by``. With group-kfold, the groups must be at least as many
    as ``--folds``.
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
    if args.protocol == "group-kfold" and n_groups < args.folds:
        raise ValueError(
            f"--folds {args.folds} needs at least {args.folds} {group_by}s, but the "
            f"data has {n_groups}. Lower --folds (to at most {n_groups})."
        )
    if n_groups < 2:
        raise ValueError(
            f"--protocol {args.protocol} needs at least two {group_by}s; the data "
            f"has {n_groups}."
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
