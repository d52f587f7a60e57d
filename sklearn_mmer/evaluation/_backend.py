"""Where the fits run: joblib on this machine, or a Dask cluster.

The user picks the cluster as dask-ml documents for scikit-learn, with
joblib's Dask backend: inside ``joblib.parallel_config(backend="dask")``
every joblib ``Parallel`` (``search_configuration``'s ``GridSearchCV``, a
``VotingClassifier``'s) submits its tasks to the cluster. The comparison's
own fits go to that backend's client too, as one task each
(:func:`run_on_cluster`): so that a dying worker costs no finished fit and a
fit that keeps killing workers is named. The data goes to the cluster once,
not once per fit, and each worker's torch uses its share of its machine's
cores.

``dask[distributed]`` is an optional dependency (the ``dask`` extra); it is
imported only when a cluster is asked for.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
import warnings
from collections.abc import Iterator

import joblib

INSTALL_HINT = "pip install 'sklearn-mmer[dask]'"
PLUGIN_NAME = "sklearn-mmer-torch-threads"


def import_distributed():
    """Import ``distributed``, or say how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            "Running on a Dask cluster needs dask[distributed], which is not "
            f"installed. Install it with: {INSTALL_HINT}"
        ) from exc
    return distributed


def parse_dask_address(text: str) -> tuple[str, int | None]:
    """Read ``local``, ``local:N`` or a scheduler address.

    Returns ``("local", N)`` (N None for one worker per core) or
    ``(address, None)``.
    """
    text = text.strip()
    match = re.fullmatch(r"local(?::(\d+))?", text)
    if match:
        n_workers = match.group(1)
        if n_workers is not None and int(n_workers) < 1:
            raise ValueError(f"local:N needs at least one worker, got {text!r}.")
        return "local", None if n_workers is None else int(n_workers)
    if not text:
        raise ValueError("Give a scheduler address such as tcp://host:8786.")
    return text, None


@contextlib.contextmanager
def dask_client(address: str) -> Iterator[object]:
    """Connect to a Dask scheduler, or start a local cluster, for a block.

    Parameters
    ----------
    address : str
        ``local`` or ``local:N`` start a ``LocalCluster`` of N single-threaded
        worker processes on this machine (N defaults to the number of
        cores); anything else is the address of a running scheduler, such as
        ``tcp://10.0.0.5:8786``.

    Yields
    ------
    client : distributed.Client
        Also the default client inside the block, so that
        ``joblib.parallel_config(backend="dask")`` finds it. A local cluster
        is shut down on leaving.
    """
    distributed = import_distributed()
    where, n_workers = parse_dask_address(address)
    with contextlib.ExitStack() as stack:
        if where == "local":
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=n_workers or joblib.cpu_count(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # Workers that take a while to stop are not news.
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = stack.enter_context(distributed.Client(where, timeout="30s"))
            except OSError as exc:
                raise OSError(
                    f"Cannot reach the Dask scheduler at {where!r}: {exc}. Start "
                    "one with 'dask scheduler' and workers with 'dask worker "
                    "ADDRESS', or use local:N for a cluster on this machine."
                ) from None
        yield client


def active_dask_client():
    """Return the Dask client of the active joblib backend, or None."""
    backend, _ = joblib.parallel.get_active_backend()
    return getattr(backend, "client", None) if _is_dask(backend) else None


def _is_dask(backend) -> bool:
    return type(backend).__name__ == "DaskDistributedBackend"


def run_on_cluster(client, calls, data) -> Iterator[object]:
    """Run ``calls`` on the cluster; yield their results as they finish.

    Each call is ``(index, function, args, kwargs)``; arguments that are
    ``data`` itself receive it on the worker, where it was sent once.

    The calls are submitted to the client directly rather than through
    joblib's Dask backend, which the search uses: that backend loses a
    result whose worker dies after computing it and before it is gathered,
    and never reports a failed task to a generator of unordered results.
    Here the futures are held until their results arrive, so the scheduler
    runs a task again elsewhere when its worker dies, and gives up (with a
    ``KilledWorker`` error naming the task's key) only after its retries.
    """
    distributed = import_distributed()
    share_cores(client)
    batch = uuid.uuid4().hex[:8]
    with warnings.catch_warnings():
        # The data travels in its task, once; dask warns about large tasks.
        warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
        # A task that returns the data, rather than ``client.scatter``:
        # scattered data is lost with the last worker holding it (and the
        # scheduler drops copies it deems spare), a task is run again.
        shared = client.submit(_identity, data, pure=False, key=f"data-{batch}")
    futures = []
    try:
        for index, function, args, kwargs in calls:
            args = [shared if arg is data else arg for arg in args]
            futures.append(
                client.submit(
                    function,
                    *args,
                    key=f"{TASK_PREFIX}{index}-{batch}",
                    pure=False,
                    **kwargs,
                )
            )
        for future in distributed.as_completed(futures):
            yield future.result()
    finally:
        client.cancel([*futures, shared])


TASK_PREFIX = "sklearn-mmer-fit-"


def _identity(data):
    return data


def describe_cluster(client) -> str:
    """Say how many workers and threads a client's cluster has, and where."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    threads = sum(info.get("nthreads", 1) for info in workers.values())
    return (
        f"{len(workers)} Dask worker(s) with {threads} thread(s) in all, "
        f"scheduler {client.scheduler.address}"
    )


def share_cores(client) -> None:
    """Give each worker's torch its share of its machine's cores.

    A machine's cores are divided among the worker threads it runs, so that
    two single-threaded workers on four cores train with two threads each.
    A worker that joins later (or is restarted) works out its share alone.
    """
    from ._worker import TorchThreads

    workers = client.scheduler_info(n_workers=-1)["workers"]
    cores = client.run(joblib.cpu_count)
    distributed = import_distributed()
    host_of = distributed.comm.get_address_host
    threads, host_cores = {}, {}
    for address, info in workers.items():
        host = host_of(address)
        threads[host] = threads.get(host, 0) + info.get("nthreads", 1)
        host_cores[host] = cores.get(address, 1)
    shares = {host: max(1, host_cores[host] // threads[host]) for host in threads}
    client.register_plugin(TorchThreads(shares), name=PLUGIN_NAME)


def killed_worker_task(exc) -> int | None:
    """Return the index of the task a ``KilledWorker`` error is about, if ours."""
    match = re.search(rf"{TASK_PREFIX}(\d+)-", str(getattr(exc, "task", "")))
    return int(match.group(1)) if match else None


def killed_worker_address(exc) -> str:
    """Return the address of the last worker that died running the task."""
    worker = getattr(exc, "last_worker", None)
    address = getattr(worker, "address", None)
    if address:
        return str(address)
    match = re.search(r"was (\S+?)\.? ", str(exc))
    return match.group(1) if match else "unknown"


def is_killed_worker(exc) -> bool:
    """Whether ``exc`` says workers kept dying while running one task."""
    return type(exc).__name__ == "KilledWorker"
