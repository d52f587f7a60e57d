"""``sklearn-mmer extract``: a folder of recordings -> the feature layout."""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

from ..features import (
    AudioFrameFeatures,
    FaceEmbeddings,
    OpenSmileFeatures,
    SentenceEmbeddings,
    extract_features,
)
from ..features._extract import DEFAULT_COLUMNS, default_cache
from ..features._text import SHIPPED_MODEL
from ._output import Console

AUDIO_CHOICES = ("logmel", "mfcc", "egemaps", "compare")
# Table columns each modality reads by default; --column ROLE=NAME renames.
MEDIA_COLUMNS = {"audio": "audio", "transcript": "transcript", "video": "video"}


def add_extract_parser(commands) -> argparse.ArgumentParser:
    """Add the ``extract`` subcommand to the ``sklearn-mmer`` parser."""
    parser = commands.add_parser(
        "extract",
        help="extract features from recordings into the layout run reads",
        description=(
            "Read a table with one row per utterance (id, speaker, label, and "
            "the media path and transcript), extract the features asked for "
            "from the files in MEDIA_DIR, and write the on-disk layout "
            "(dataset.csv and features/) that 'sklearn-mmer run' reads. Rows "
            "that cannot be extracted are listed in OUT_extraction.csv."
        ),
    )
    parser.add_argument("media_dir", metavar="MEDIA_DIR", help="the recordings")
    parser.add_argument(
        "--table",
        required=True,
        metavar="CSV",
        help="one row per utterance; columns utterance, speaker, label, and "
        "audio, transcript and/or video (paths relative to MEDIA_DIR); "
        "rename with --column",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="the archive (features.zip) or folder to write; replaced if present",
    )
    parser.add_argument(
        "--audio",
        choices=AUDIO_CHOICES,
        default=None,
        help="acoustic features: log-mel or MFCC frames (with deltas), or the "
        "openSMILE eGeMAPS or ComParE functionals (extra [opensmile])",
    )
    parser.add_argument(
        "--text",
        nargs="?",
        const=SHIPPED_MODEL,
        default=None,
        metavar="MODEL",
        help="lexical features: a sentence-transformers model folder or name "
        f"(default when given alone: {SHIPPED_MODEL}, shipped in extra [text])",
    )
    parser.add_argument(
        "--video",
        default=None,
        metavar="MODEL",
        help="visual features: face embeddings by a torch model, either a "
        "torch.export file (.pt2, batch dimension dynamic) or "
        "'package.module:function' returning a torch.nn.Module",
    )
    parser.add_argument(
        "--column",
        action="append",
        type=_column,
        default=[],
        metavar="ROLE=NAME",
        help="the table's name for a column: roles id, speaker, label, audio, "
        "transcript, video (defaults: "
        + ", ".join(f"{k}={v}" for k, v in {**DEFAULT_COLUMNS, **MEDIA_COLUMNS}.items())
        + ")",
    )
    parser.add_argument(
        "--sample-rate",
        type=int,
        default=16000,
        metavar="HZ",
        help="audio is resampled to this rate (default: 16000)",
    )
    parser.add_argument(
        "--hop",
        type=float,
        default=0.010,
        metavar="SECONDS",
        help="logmel/mfcc: step between frames (default: 0.010)",
    )
    parser.add_argument(
        "--deltas",
        type=int,
        choices=(0, 1, 2),
        default=2,
        help="logmel/mfcc: time derivatives appended (default: 2)",
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=2.0,
        help="video: frames sampled per second (default: 2)",
    )
    parser.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="a missing, empty, unreadable, truncated or silent file, a video "
        "without a face or an empty transcript: stop with an error (raise, the "
        "default) or leave the cell empty and list the row (skip)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        metavar="N",
        help="processes extracting side by side; -1 uses every core (default: 1)",
    )
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="features already extracted, reused by the next run with the same "
        "settings (default: OUT_cache beside --out)",
    )
    cache.add_argument(
        "--no-cache", action="store_true", help="extract everything anew"
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="where the text and video models run (default: cpu)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="torch threads of the text and video models (default: 1)",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar or messages"
    )
    return parser


def extract(args, console: Console) -> int:
    """Run ``sklearn-mmer extract``."""
    started = time.perf_counter()
    names = {**DEFAULT_COLUMNS, **MEDIA_COLUMNS, **dict(args.column)}
    extractors = _extractors(args, names)
    cache = False if args.no_cache else (args.cache or True)
    console.say(
        f"Extracting {', '.join(e.modality for _, e in extractors)} from "
        f"{args.media_dir} listed in {args.table} ..."
    )
    try:
        result = extract_features(
            args.media_dir,
            args.table,
            args.out,
            extractors,
            columns={role: names[role] for role in DEFAULT_COLUMNS},
            on_error=args.on_error,
            n_jobs=args.n_jobs,
            cache=cache,
            progress=console.progress,
        )
    except ImportError as exc:  # an optional extra is missing: say which
        raise ValueError(str(exc)) from None
    reused = (
        f"; {result.n_cached} reused from {args.cache or default_cache(args.out)}"
        if result.n_cached
        else ""
    )
    console.print(
        f"Wrote {result.path}: {result.n_rows} utterances, {result.n_extracted} "
        f"cell(s) extracted{reused}, {len(result.problems)} left empty (listed in "
        f"{result.problems_path}) in {time.perf_counter() - started:.0f} s."
    )
    console.say(f"Next: sklearn-mmer run {result.path} --out results/")
    return 0


def _extractors(args, names):
    extractors = []
    if args.audio in ("logmel", "mfcc"):
        audio = AudioFrameFeatures(
            args.audio,
            sample_rate=args.sample_rate,
            hop_length=args.hop,
            deltas=args.deltas,
        )
        extractors.append((names["audio"], audio))
    elif args.audio is not None:
        feature_set = {"egemaps": "eGeMAPSv02", "compare": "ComParE_2016"}[args.audio]
        audio = OpenSmileFeatures(feature_set, sample_rate=args.sample_rate)
        extractors.append((names["audio"], audio))
    if args.text is not None:
        text = SentenceEmbeddings(args.text, device=args.device)
        extractors.append((names["transcript"], text))
    if args.video is not None:
        model = _video_model(args.video)
        video = FaceEmbeddings(model, fps=args.fps, device=args.device)
        extractors.append((names["video"], video))
    if not extractors:
        raise ValueError("Nothing to extract: give --audio, --text and/or --video.")
    return extractors


def _video_model(spec: str):
    """Load the user's image model: a torch.export file or module:function."""
    import torch

    if Path(spec).expanduser().is_file():
        return torch.export.load(Path(spec).expanduser()).module()
    module, sep, function = spec.partition(":")
    if not sep:
        raise ValueError(
            f"--video {spec!r} is neither a file nor 'package.module:function'."
        )
    try:
        return getattr(importlib.import_module(module), function)()
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"--video {spec!r}: cannot load the model: {exc}") from None


def _column(text):
    role, sep, name = text.partition("=")
    roles = {*DEFAULT_COLUMNS, *MEDIA_COLUMNS}
    if not sep or role not in roles or not name:
        raise argparse.ArgumentTypeError(
            f"expected ROLE=NAME with ROLE among {sorted(roles)}; got {text!r}"
        )
    return role, name
