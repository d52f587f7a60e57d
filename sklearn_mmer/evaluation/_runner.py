"""Run a comparison's fits: reuse the stored ones, run the rest, store each.

The fits run through joblib, on this machine or, inside
``joblib.parallel_config(backend="dask")``, on a Dask cluster (see
``_backend``). Each outcome is stored the moment it arrives, in whatever
order the fits finish, so an interrupted comparison keeps every finished fit.
"""

from __future__ import annotations

import contextlib

import joblib
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from ._backend import (
    active_dask_client,
    is_killed_worker,
    killed_worker_address,
    killed_worker_task,
    run_on_cluster,
)


def run_fits(
    tasks,
    make_call,
    data,
    *,
    n_jobs,
    store=None,
    need_estimator=lambda key: False,
    progress=False,
):
    """Return every task's outcome, in the order of ``tasks``, and how many were reused.

    Parameters
    ----------
    tasks : list of tuple
        Each task's key, ``(configuration, fold, ...)``, comes first.
    make_call : callable
        ``make_call(task, n_threads)`` gives ``(function, args, kwargs)``.
        The function runs in a joblib worker or on a Dask worker; ``data``
        should be among its positional arguments, as this very object, to be
        sent to each Dask worker once.
    data : object
        The data every fit reads.
    n_jobs : int or None
        joblib's ``n_jobs``.
    store : FitStore, default=None
        Where finished fits are kept and looked up.
    need_estimator : callable
        Whether the outcome of a key must hold its fitted model.
    progress : bool
        Show a progress bar.
    """
    keys = [_key(task) for task in tasks]
    outcomes = {}
    if store is not None:
        for key in keys:
            outcome = store.load(key, need_estimator=need_estimator(key))
            if outcome is not None:
                outcomes[key] = outcome
    n_reused = len(outcomes)
    pending = [
        (index, task) for index, task in enumerate(tasks) if keys[index] not in outcomes
    ]

    # As in joblib, n_jobs=1 runs here even under the Dask backend; the
    # cluster's size (which changes as workers come and go) does not matter.
    client = active_dask_client() if n_jobs != 1 and pending else None
    n_jobs = joblib.effective_n_jobs(n_jobs)
    if client is not None:
        n_threads = None  # each worker's torch was given its share (_backend)
    else:
        # Each local worker's torch gets its share of the cores; one job
        # keeps torch's own.
        n_threads = max(1, joblib.cpu_count() // n_jobs) if n_jobs > 1 else None
    bar = tqdm(
        total=len(tasks),
        initial=n_reused,
        disable=not progress,
        unit="fit",
        leave=False,
    )
    calls = [(index, *make_call(task, n_threads)) for index, task in pending]
    if client is not None:
        results = run_on_cluster(client, calls, data)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
            delayed(function)(*args, **kwargs) for _, function, args, kwargs in calls
        )
    with bar, contextlib.closing(results):
        try:
            for outcome in results:
                key = (outcome["configuration"], outcome["fold"])
                if store is not None:
                    store.save(key, outcome)
                outcomes[key] = outcome
                bar.set_postfix_str(f"{key[0]} fold {key[1]}")
                bar.update()
        except Exception as exc:
            if is_killed_worker(exc):
                raise _worker_died(exc, tasks, store) from exc
            raise
    return [outcomes[key] for key in keys], n_reused


def reuse_or_run(store, key, compute, *, need_estimator=False):
    """Return the stored outcome of ``key`` (else compute, store) and if reused."""
    if store is not None:
        outcome = store.load(key, need_estimator=need_estimator)
        if outcome is not None:
            return outcome, True
    outcome = compute()
    if store is not None:
        store.save(key, outcome)
    return outcome, False


def _key(task):
    name, fold = task[0], task[1]
    return (name, fold)


def _worker_died(exc, tasks, store):
    index = killed_worker_task(exc)
    what = "a fit"
    if index is not None and index < len(tasks):
        name, fold = _key(tasks[index])
        what = f"configuration {name!r} on fold {fold}"
    tries = getattr(exc, "allowed_failures", None)
    tries = f"{tries + 1} time(s)" if isinstance(tries, int) else "repeatedly"
    kept = (
        f" The fits finished so far are kept in {store.folder}; resume to skip them."
        if store is not None
        else ""
    )
    return RuntimeError(
        f"Dask workers died {tries} while fitting {what}; the last was "
        f"{killed_worker_address(exc)}. The comparison stopped. A worker that "
        "runs out of memory or crashes in native code dies this way: see the "
        f"worker's log.{kept}"
    )
