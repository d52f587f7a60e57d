"""Entry point of ``sklearn-mmer`` and ``python -m sklearn_mmer``."""

from __future__ import annotations

import logging
import shlex
import sys
import zipfile
from collections.abc import Sequence
from signal import SIGINT

from ..utils import torch_threads
from ._extract import extract
from ._output import Console
from ._parser import UsageError, build_parser
from ._run import run
from ._search import search
from ._signals import Received, stop_on_signals

# Bad input shows up as one of these; anything else is a bug, and its
# traceback is what a bug report needs.
INPUT_ERRORS = (ValueError, OSError, zipfile.BadZipFile)
EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130

# The library's advice is for Python callers; the command says it in options.
PYTHON_ADVICE = (
    ("on_error='skip'", "--on-error skip"),
    ("pass csv= to pick one", "give the table with --csv"),
    ("; pass csv=.", "; give the table with --csv."),
    (
        "pass the features first, the CSV second, as in "
        "load_features('features.zip', 'dataset.csv')",
        "give the features archive or folder as DATA and the table with --csv, "
        "as in: sklearn-mmer run features.zip --csv dataset.csv",
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sklearn-mmer`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    status : int
        0 on success; 2 for bad arguments or bad data, after a one-paragraph
        message on stderr that names the problem; 130 when interrupted
        (Ctrl-C, SIGINT) and 143 when stopped by SIGTERM, after saying what
        was kept and how to resume.

    Examples
    --------
    >>> from sklearn_mmer.cli import main
    >>> main(["run", "--folds", "1"])  # doctest: +SKIP
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        usage = exc.parser.format_usage().rstrip()
        print(
            f"{usage}\n{exc.parser.prog}: error: {exc}\n"
            f"Run '{exc.parser.prog} --help' for the options.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except SystemExit as exc:  # --help and --version print, then exit 0
        return int(exc.code or 0)

    command = shlex.join(["sklearn-mmer", *argv])
    console = Console(quiet=args.quiet, command=command)
    handler = {"run": run, "search": search, "extract": extract}[args.command]
    # The command says itself what the loader left out, in its own terms.
    logger = logging.getLogger("sklearn_mmer")
    level = logger.level
    logger.setLevel(logging.ERROR)
    received = Received()
    try:
        with stop_on_signals(received), torch_threads(args.threads):
            return handler(args, console)
    except INPUT_ERRORS as exc:
        console.error(f"sklearn-mmer {args.command}: error: {_explain(exc)}")
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        # SIGTERM arrives as an interrupt too (see _signals). Reports reach
        # --out only whole (report._write.staged_folder); a run's notes say
        # which finished fits it kept and how to resume.
        how = "interrupted" if received.signum in (None, SIGINT) else "stopped"
        console.error(
            " ".join(
                [
                    f"sklearn-mmer {args.command}: {how} ({received.name}); no "
                    f"report was written, and the one in --out {args.out} (if "
                    "any) is as it was.",
                    *getattr(exc, "__notes__", ()),
                ]
            )
        )
        return received.exit_status
    finally:
        # main() may be called from Python; leave logging as it was.
        logger.setLevel(level)


def _explain(exc: BaseException) -> str:
    """Join the error's message and notes in one paragraph, with a hint if any."""
    message = " ".join((str(exc) or type(exc).__name__).split())
    for python, option in PYTHON_ADVICE:
        message = message.replace(python, option)
    if getattr(exc, "problem", None) is not None and "--on-error" not in message:
        # A row the loader could not read (FeatureSetError).
        message += " Use --on-error skip to leave such rows out and list them."
    parts = [message, *getattr(exc, "__notes__", ())]
    return " ".join(" ".join(part.split()) for part in parts)
