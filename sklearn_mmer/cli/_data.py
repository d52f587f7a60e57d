"""Get the data a command runs on: the demo set or a feature set on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..datasets import load_features, make_emotion_dataset
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
        path, args.csv, modalities=modalities, pool="mean", on_error=args.on_error
    )
    data.source = str(path)
    return data


def grouping(data, group_by: str, n_folds: int) -> np.ndarray:
    """Return the groups that folds keep together, checked against ``n_folds``."""
    if group_by == "session":
        groups = data.get("sessions")
        if groups is None or any(s is None or s != s for s in groups):
            raise ValueError(
                "--group-by session needs the session of every row, but this "
                "data does not tell it (sessions come from IEMOCAP-style "
                "utterance ids such as Ses01F_impro01_F001 or from SessionN "
                "folders in the feature paths). Use --group-by speaker."
            )
    else:
        groups = data.groups
    groups = np.asarray(groups)
    n_groups = len(np.unique(groups))
    if n_groups < n_folds:
        raise ValueError(
            f"--folds {n_folds} needs at least {n_folds} {group_by}s, but the data "
            f"has {n_groups}. Lower --folds (to at most {n_groups})."
        )
    return groups


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
