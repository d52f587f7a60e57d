"""Code that runs on Dask workers; imported only where distributed is."""

from __future__ import annotations

import joblib
import torch
from distributed import WorkerPlugin
from distributed.comm import get_address_host


class TorchThreads(WorkerPlugin):
    """Set torch's thread count on every worker, restarted ones included.

    Parameters
    ----------
    shares : dict of str to int
        Threads for each fit, by worker host; a host missing from it (a
        worker that joined later) divides its cores by its own threads.
    """

    def __init__(self, shares: dict):
        self.shares = shares

    def setup(self, worker):
        """Set the share when the worker starts or the plugin is registered."""
        host = get_address_host(worker.address)
        share = self.shares.get(host)
        if share is None:
            share = max(1, joblib.cpu_count() // max(1, worker.state.nthreads))
        torch.set_num_threads(share)
