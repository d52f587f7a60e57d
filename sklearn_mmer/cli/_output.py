"""Where the command's words go: results to stdout, chatter to stderr."""

from __future__ import annotations

import sys


class Console:
    """Print results on stdout; progress and messages on stderr.

    The table goes to stdout so that ``sklearn-mmer run > table.txt`` keeps
    just the table. Messages and the progress bar go to stderr and are
    silenced by ``--quiet``; the progress bar also stays off when stderr is
    not a terminal (a log file, CI), where it would only add noise.
    """

    def __init__(self, *, quiet: bool, command: str):
        self.quiet = quiet
        self.command = command

    @property
    def progress(self) -> bool:
        """Whether to draw a progress bar."""
        return not self.quiet and _isatty(sys.stderr)

    def say(self, message: str) -> None:
        """Tell the person watching; nothing with --quiet."""
        if not self.quiet:
            print(message, file=sys.stderr, flush=True)

    def print(self, text: str) -> None:
        """Show a result, always, on stdout."""
        print(text, flush=True)

    def error(self, message: str) -> None:
        """Show an error, always, on stderr."""
        print(message, file=sys.stderr, flush=True)


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
