"""IEMOCAP-shaped synthetic data, so the toolkit runs with no download."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from ._layout import IEMOCAP_DIMS, IEMOCAP_LABELS

# Class shares, roughly those of IEMOCAP's four-class subset.
_CLASS_SHARES = (0.19, 0.21, 0.24, 0.36)
# Frame counts per utterance (inclusive ranges); None marks a 1-D vector.
_FRAMES = {"visual": (10, 60), "acoustic": (3, 20), "lexical": None}

# The generative model lives in a small latent "emotion space"; the settings
# below were calibrated against the reference study (see the user guide).
_LATENT_DIM = 8
# The class centres are the corners of a regular simplex with this edge
# length: every pair of classes equally far apart, so that how hard the task
# is does not hang on a random draw of centres.
_CLASS_DISTANCE = 2.8
# Length of a speaker's style offset in the latent space, per unit of
# ``speaker_effect``.
_STYLE_SIZE = 3.0
# Spread of each utterance around its class centre, shared by every modality:
# an ambiguous utterance is ambiguous to all of them, which is why fusing
# modalities helps little over the best one (early fusion ~ text).
_UTTERANCE_NOISE = 1.2
# Noise each modality adds in the emotion space on top of the shared spread:
# this, not the feature dimension, sets how much a modality can tell. Text
# tells most, the face least.
_MODALITY_NOISE = {"lexical": 0.45, "acoustic": 0.85, "visual": 2.2}
# Per-frame noise in feature space at the full dimensions; frame averaging
# shrinks it.
_FRAME_NOISE = 1.0


def make_emotion_dataset(
    n_samples: int = 1336,
    *,
    n_speakers: int = 10,
    dims: Mapping[str, int] | None = None,
    n_frames: Mapping[str, tuple[int, int]] | None = None,
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
    n_frames : dict of str to (int, int), default=None
        Inclusive range of frame counts per utterance for the frame
        modalities. Defaults to visual ``(10, 60)`` and acoustic ``(3, 20)``.
    speaker_effect : float, default=0.8
        Strength of the speakers' marks: each speaker's style moves all
        their utterances by ``3 * speaker_effect`` in the latent space where
        the class centres are 2.8 apart, and a speaker signature of
        standard deviation ``speaker_effect`` is added to every feature. 0
        makes speakers interchangeable.
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

    See Also
    --------
    load_features : Load a feature set from disk into the same Bunch.
    write_feature_set : Write the Bunch in the on-disk layout.

    Notes
    -----
    The classes live in a small latent emotion space. Each utterance sits
    at its class centre plus a spread that all modalities share (an
    ambiguous utterance is ambiguous to all of them), shifted by its
    speaker's style. Each modality sees that point through its own noise,
    least for the lexical vector and most for the visual frames, and
    through its own random projection into its feature dimension, with a
    speaker signature and per-frame noise on top. The noise that limits a
    modality lives in the latent space, and the feature noise is scaled
    with the dimension, so small ``dims`` keep the modalities' order (the
    scores themselves move by a few points).

    The noise levels are calibrated so that the builders with their default
    settings, scored with ``GroupKFold(5)`` over speakers, give F1-micro
    near the reference study's at the full size: early fusion about text,
    then late fusion, audio and visual (the user guide has the figures;
    ``benchmarks/demo_scores.py`` reproduces them).

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
    frames = _check_frames(n_frames)
    rng = check_random_state(random_state)

    target = rng.choice(len(IEMOCAP_LABELS), size=n_samples, p=_CLASS_SHARES)
    speaker_of_row = np.sort(rng.randint(n_speakers, size=n_samples))
    speakers = [f"Ses{s // 2 + 1:02d}{'FM'[s % 2]}" for s in range(n_speakers)]
    groups = np.array([speakers[s] for s in speaker_of_row], dtype=object)
    sessions = np.array([f"Session{s // 2 + 1}" for s in speaker_of_row], dtype=object)
    index = pd.Index(_utterance_ids(groups), name="utterance")

    class_centres = _simplex(len(IEMOCAP_LABELS), _LATENT_DIM, _CLASS_DISTANCE)
    # A speaker's style moves all their utterances, in every modality, by
    # the same amount in the emotion space: unseen speakers are harder. The
    # size is fixed, only the direction drawn, so that one unlucky speaker
    # does not decide the scores.
    directions = rng.normal(size=(n_speakers, _LATENT_DIM))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    speaker_style = speaker_effect * _STYLE_SIZE * directions
    utterance_latent = (
        class_centres[target]
        + _UTTERANCE_NOISE * rng.normal(size=(n_samples, _LATENT_DIM))
        + speaker_style[speaker_of_row]
    )
    # Frame noise is the bulk of the draws: a float32 Generator, seeded from
    # ``rng`` so that ``random_state`` still fixes everything.
    noise_rng = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
    columns = {}
    for modality, dim in dims.items():
        view = utterance_latent + _MODALITY_NOISE[modality] * rng.normal(
            size=utterance_latent.shape
        )
        # A model reads the latent point off all features at once, so the
        # feature noise it sees shrinks as 1/sqrt(dim); scaling the noise
        # with sqrt(dim) keeps what a modality tells the same at any ``dims``
        # (and as calibrated at the full dimensions).
        feature_noise = _FRAME_NOISE * float(np.sqrt(dim / IEMOCAP_DIMS[modality]))
        columns[modality] = _modality_column(
            view,
            dim,
            feature_noise,
            frames[modality],
            speaker_of_row,
            n_speakers,
            speaker_effect,
            missing_rate,
            rng,
            noise_rng,
        )
    return Bunch(
        data=pd.DataFrame(columns, index=index),
        target=target,
        target_names=np.array(IEMOCAP_LABELS, dtype=object),
        groups=groups,
        sessions=sessions,
        DESCR=_describe(n_samples, n_speakers, dims, frames, missing_rate),
    )


def _simplex(n_corners, dim, distance):
    corners = np.eye(n_corners, dim) * (distance / np.sqrt(2))
    return corners - corners.mean(axis=0)


def _check_frames(n_frames):
    frames = dict(_FRAMES)
    for modality, bounds in (n_frames or {}).items():
        if frames.get(modality) is None:
            raise ValueError(
                f"n_frames names {modality!r}, which is not a frame modality; "
                f"expected some of {[m for m, f in _FRAMES.items() if f]}."
            )
        low, high = bounds
        if not 1 <= low <= high:
            raise ValueError(
                f"n_frames[{modality!r}] must be (low, high) with 1 <= low <= "
                f"high; got {bounds!r}."
            )
        frames[modality] = (int(low), int(high))
    return frames


def _modality_column(
    view,
    dim,
    feature_noise,
    frame_range,
    speaker_of_row,
    n_speakers,
    speaker_effect,
    missing_rate,
    rng,
    noise_rng,
):
    n_samples, latent_dim = view.shape
    projection = _projection(latent_dim, dim, rng)
    # A speaker signature outside the emotion space: a model can learn to
    # recognise the speakers it has seen, which flatters speaker-dependent CV.
    signature = speaker_effect * rng.normal(size=(n_speakers, dim))
    centres = (view @ projection + signature[speaker_of_row]).astype(np.float32)
    cells = np.empty(n_samples, dtype=object)
    if frame_range is None:
        noise = noise_rng.standard_normal((n_samples, dim), dtype=np.float32)
        vectors = centres + feature_noise * noise
        cells[:] = list(vectors)
    else:
        lengths = rng.randint(frame_range[0], frame_range[1] + 1, size=n_samples)
        for row, (centre, length) in enumerate(zip(centres, lengths, strict=True)):
            noise = noise_rng.standard_normal((length, dim), dtype=np.float32)
            noise *= feature_noise
            noise += centre
            cells[row] = noise
        if missing_rate > 0:
            cells[rng.uniform(size=n_samples) < missing_rate] = None
    return cells


def _projection(latent_dim, dim, rng):
    """Random ``(latent_dim, dim)`` map with unit variance per feature.

    Orthogonal rather than Gaussian: a Gaussian map into a few dimensions
    can all but lose a latent direction, and with it a class, by bad luck of
    the draw. This one keeps every direction equally (for ``dim >=
    latent_dim``), so small test dimensions behave like the full ones.
    """
    tall = rng.normal(size=(max(dim, latent_dim), min(dim, latent_dim)))
    orthonormal, _ = np.linalg.qr(tall)
    if dim >= latent_dim:
        return orthonormal.T * np.sqrt(dim / latent_dim)
    return orthonormal


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


def _describe(n_samples, n_speakers, dims, frames, missing_rate):
    shapes = ", ".join(
        f"{m} {'(frames, ' + str(d) + ')' if frames[m] else '(' + str(d) + ',)'}"
        for m, d in dims.items()
    )
    return (
        "Synthetic IEMOCAP-shaped emotion data (sklearn_mmer.make_emotion_dataset)\n"
        f"{n_samples} utterances by {n_speakers} speakers in {n_speakers // 2} "
        f"sessions; four classes {', '.join(IEMOCAP_LABELS)}; features {shapes}; "
        f"{missing_rate:.0%} of visual and acoustic cells missing."
    )
