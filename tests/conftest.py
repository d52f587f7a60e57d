"""Shared fixtures: small multimodal data sets made in the test session."""

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mmer import make_emotion_dataset

SMALL_DIMS = {"visual": 12, "acoustic": 6, "lexical": 10}


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread_per_worker():
    # pytest-xdist runs one worker per core; more threads would oversubscribe.
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def emotion_data():
    """A small demo set: 10 speakers, ragged frames, four classes."""
    return make_emotion_dataset(n_samples=160, dims=SMALL_DIMS, random_state=0)


def ragged_frame(rng, n_rows, dim, min_frames=1, max_frames=6, name="frames"):
    """A one-column DataFrame of (frames, dim) float32 arrays of varying length."""
    cells = [
        rng.normal(size=(rng.integers(min_frames, max_frames + 1), dim)).astype(
            np.float32
        )
        for _ in range(n_rows)
    ]
    return pd.DataFrame({name: cells}, index=[f"utt{i}" for i in range(n_rows)])


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    """A real PNG image, not an empty or truncated file."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE, path
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50


def report_files(configurations, importance=False):
    """Every file a report on these configurations writes, relative to --out.

    Two or more configurations get the paired comparison; ``importance``
    the modality contributions.
    """
    configurations = list(configurations)
    extra = set()
    if len(configurations) > 1:
        extra |= {"pairwise.csv", "figures/pairwise.png"}
    if importance:
        extra |= {
            "modality_importance.csv",
            "modality_importance_summary.csv",
            "figures/modality_importance.png",
        }
    return extra | {
        "report.md",
        "results.json",
        "summary.txt",
        "summary.md",
        "per_fold.csv",
        "per_class.csv",
        "predictions.csv",
        "excluded.csv",
        "figures/comparison.png",
        "figures/per_class_f1.png",
        *(f"figures/confusion_{name}.png" for name in configurations),
    }


def written_files(out):
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
