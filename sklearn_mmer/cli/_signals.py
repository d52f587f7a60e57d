"""Stop cleanly on Ctrl-C (SIGINT) and on SIGTERM (``kill``, a batch system).

Python ends at once on SIGTERM, with no chance to say what finished. Here
SIGTERM takes the road of Ctrl-C, a ``KeyboardInterrupt``, so that one
``except`` tidies up for both: what finished is kept, the report is not
written half, and the command says how to resume. The interrupt goes through
whatever SIGINT handler is in place, so a torch fit that is running tells
skorch's own interrupt handling apart as it does for Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class Received:
    """The signal that stopped the command, once one has."""

    def __init__(self):
        self.signum: int | None = None

    @property
    def exit_status(self) -> int:
        """128 plus the signal number, as shells report a signal's end."""
        return 128 + (self.signum or signal.SIGINT)

    @property
    def name(self) -> str:
        """SIGINT or SIGTERM."""
        return signal.Signals(self.signum or signal.SIGINT).name


@contextlib.contextmanager
def stop_on_signals(received: Received | None = None) -> Iterator[Received]:
    """Raise ``KeyboardInterrupt`` on SIGINT and on SIGTERM within the block.

    The signal that did it is noted in ``received``.
    """
    received = Received() if received is None else received
    if threading.current_thread() is not threading.main_thread():
        yield received  # only the main thread may set handlers
        return

    def on_interrupt(signum, frame):
        received.signum = received.signum or signum
        raise KeyboardInterrupt

    def on_terminate(signum, frame):
        received.signum = received.signum or signum
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler) and handler is not on_interrupt:
            handler(signal.SIGINT, frame)  # e.g. a fit's own; it raises
        raise KeyboardInterrupt

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, on_interrupt),
        signal.SIGTERM: signal.signal(signal.SIGTERM, on_terminate),
    }
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
