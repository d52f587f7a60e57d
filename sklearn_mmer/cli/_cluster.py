"""``--dask``: run a command's fits on a Dask cluster, and ``--resume`` hints."""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Iterator
from pathlib import Path

import joblib

from ..evaluation._backend import dask_client as _dask_client
from ..evaluation._backend import describe_cluster, share_cores
from ._output import Console

# The folder of --out where `run` keeps each finished fit.
CHECKPOINT_FOLDER = "fits"


@contextlib.contextmanager
def fits_on(args, console: Console) -> Iterator[object]:
    """Inside the block, joblib runs on the cluster ``--dask`` names, if any.

    Yields the Dask client, or None without ``--dask``.
    """
    if args.dask is None:
        yield None
        return
    with _dask_client(args.dask) as client:
        console.say(f"Running the fits on {describe_cluster(client)}.")
        share_cores(client)
        with joblib.parallel_config(backend="dask", client=client):
            yield client


def n_jobs(args):
    """Return n_jobs for joblib: every worker thread on a cluster, else --n-jobs."""
    return None if args.dask is not None else args.n_jobs


def finished_fits(folder: Path) -> int:
    """How many finished fits ``folder`` holds."""
    return sum(1 for _ in folder.glob("*.fit")) if folder.is_dir() else 0


def resume_hint(folder: Path, command: str) -> str:
    """Say what an interrupted run kept and the command that goes on from it."""
    kept = finished_fits(folder)
    if not kept:
        return "No fit had finished, so there is nothing to resume."
    words = shlex.split(command)
    if "--resume" not in words:
        words.append("--resume")
    return (
        f"The {kept} fit(s) that finished are kept in {folder}; to go on from "
        f"there, run: {shlex.join(words)}"
    )
