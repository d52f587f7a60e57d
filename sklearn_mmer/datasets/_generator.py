"""IEMOCAP-shaped synthetic data, so the toolkit runs with no download."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from ._layout import IEMOCAP_DIMS, IEMOCAP_LABELS

# Class shares, roughly those of IEMOCAP's four-class subset.
_CLASS_SHARES = (0.19, 0.21, 0.24, 0.36)
# How strongly each modality carries the class: text most, face least.
_CLASS_SIGNAL = {"visual": 0.35, "acoustic": 0.7, "lexical": 1.0}
# Frame counts per utterance (inclusive ranges); None marks a 1-D vector.
_FRAMES = {"visual": (10, 60), "acoustic": (3, 20), "lexical": None}
_LATENT_DIM = 16


def make_emotion_dataset(
    n_samples: int = 1336,
    *,
    n_speakers: int = 10,
    dims: Mapping[str, int] | None = None,
    speaker_effect: float = 0.8,
    missing_rate: float = 0.0,
    random_state: int | np.random.RandomState | None = None,
) -> Bunch:
    """Generate IEMOCAP-shaped multimodal emotion data in memory.

    Utterances by ``n_speakers`` speakers (two per session, one female and
    one male, as in IEMOCAP) with four imbalanced classes. Each modality is a
    noisy view of the class: the lexical vector carries it most clearly, the
    acoustic frames less, the visual frames least. Every speaker shifts all
    their features by a personal offset, so a model scored on speakers it
    has seen looks better than it is: speaker-independent folds matter.

    Parameters
    ----------
    n_samples : int, default=1336
        Number of utterances (the size of the reference study's set).
    n_speakers : int, default=10
        Number of speakers, an even number; sessions hold two each.
    dims : dict of str to int, default=None
        Feature dimension per modality. Defaults to visual 2048 (ResNet
        face embeddings per frame), acoustic 128 (VGGish per frame) and
        lexical 768 (one BERT vector per utterance). Give smaller values for
        quick experiments and tests.
    speaker_effect : float, default=0.8
        Size of the per-speaker offsets relative to the class signal.
    missing_rate : float in [0, 1), default=0.0
        Share of visual and acoustic cells left missing (``None``), as when
        a face or an audio file is absent.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible data.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` is a DataFrame indexed by utterance id with one column per
        modality: visual and acoustic cells are ``(n_frames, dim)`` float32
        arrays with varying ``n_frames``, lexical cells ``(dim,)`` vectors.
        ``target`` holds the labels 0..3, ``target_names`` their names
        (anger, sadness, happiness, neutral), ``groups`` the speaker of each
        row, ``sessions`` its session, ``DESCR`` a description.

    Examples
    --------
    >>> from sklearn_mmer import make_emotion_dataset
    >>> data = make_emotion_dataset(n_samples=40, random_state=0)
    >>> data.data.columns.tolist()
    ['visual', 'acoustic', 'lexical']
    >>> data.data["acoustic"].iloc[0].shape[1], data.data["lexical"].iloc[0].shape
    (128, (768,))
    >>> sorted(set(data.groups))[:2]
    ['Ses01F', 'Ses01M']
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1; got {n_samples}.")
    if n_speakers < 2 or n_speakers % 2:
        raise ValueError(
            f"n_speakers must be an even number of at least 2; got {n_speakers}."
        )
    if not 0 <= missing_rate < 1:
        raise ValueError(f"missing_rate must be in [0, 1); got {missing_rate}.")
    dims = {**IEMOCAP_DIMS, **(dims or {})}
    unknown = sorted(set(dims) - set(IEMOCAP_DIMS))
    if unknown:
        raise ValueError(
            f"dims has unknown modalities {unknown}; expected some of "
            f"{list(IEMOCAP_DIMS)}."
        )
    rng = check_random_state(random_state)

    target = rng.choice(len(IEMOCAP_LABELS), size=n_samples, p=_CLASS_SHARES)
    speaker_of_row = np.sort(rng.randint(n_speakers, size=n_samples))
    speakers = [f"Ses{s // 2 + 1:02d}{'FM'[s % 2]}" for s in range(n_speakers)]
    groups = np.array([speakers[s] for s in speaker_of_row], dtype=object)
    sessions = np.array([f"Session{s // 2 + 1}" for s in speaker_of_row], dtype=object)
    index = pd.Index(_utterance_ids(groups), name="utterance")

    # A shared low-dimensional emotion space, seen by each modality through
    # its own random projection: modalities agree on the class, not on noise.
    class_centres = rng.normal(size=(len(IEMOCAP_LABELS), _LATENT_DIM))
    utterance_latent = class_centres[target] + rng.normal(size=(n_samples, _LATENT_DIM))
    columns = {
        modality: _modality_column(
            modality,
            dim,
            utterance_latent,
            speaker_of_row,
            n_speakers,
            speaker_effect,
            missing_rate,
            rng,
        )
        for modality, dim in dims.items()
    }
    return Bunch(
        data=pd.DataFrame(columns, index=index),
        target=target,
        target_names=np.array(IEMOCAP_LABELS, dtype=object),
        groups=groups,
        sessions=sessions,
        DESCR=_describe(n_samples, n_speakers, dims, missing_rate),
    )


def _modality_column(
    modality,
    dim,
    latent,
    speaker_of_row,
    n_speakers,
    speaker_effect,
    missing_rate,
    rng,
):
    projection = rng.normal(size=(_LATENT_DIM, dim)) / np.sqrt(_LATENT_DIM)
    offsets = speaker_effect * rng.normal(size=(n_speakers, dim))
    centres = _CLASS_SIGNAL[modality] * latent @ projection + offsets[speaker_of_row]
    frame_range = _FRAMES[modality]
    cells = np.empty(len(latent), dtype=object)
    for row, centre in enumerate(centres):
        if frame_range is None:
            cell = centre + rng.normal(size=dim)
        else:
            n_frames = rng.randint(frame_range[0], frame_range[1] + 1)
            cell = centre + 2.0 * rng.normal(size=(n_frames, dim))
        cells[row] = cell.astype(np.float32)
    if frame_range is not None and missing_rate > 0:
        cells[rng.uniform(size=len(cells)) < missing_rate] = None
    return cells


def _utterance_ids(groups):
    counters: dict[str, int] = {}
    ids = []
    for speaker in groups:
        number = counters.get(speaker, 0)
        counters[speaker] = number + 1
        dialogue = number // 30 + 1
        ids.append(
            f"{speaker[:5]}{speaker[5]}_impro{dialogue:02d}_{speaker[5]}{number:03d}"
        )
    return ids


def _describe(n_samples, n_speakers, dims, missing_rate):
    shapes = ", ".join(
        f"{m} {'(frames, ' + str(d) + ')' if _FRAMES[m] else '(' + str(d) + ',)'}"
        for m, d in dims.items()
    )
    return (
        "Synthetic IEMOCAP-shaped emotion data (sklearn_mmer.make_emotion_dataset)\n"
        f"{n_samples} utterances by {n_speakers} speakers in {n_speakers // 2} "
        f"sessions; four classes {', '.join(IEMOCAP_LABELS)}; features {shapes}; "
        f"{missing_rate:.0%} of visual and acoustic cells missing."
    )
