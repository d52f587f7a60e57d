"""Shared helpers for the benchmarks: timing, machine description, tables."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import sklearn
import skorch
import torch
from torch.nn.utils.rnn import pad_sequence


def machine() -> str:
    """One line naming the machine and the library versions."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {gpu}; "
        f"python {platform.python_version()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), sklearn {sklearn.__version__}, "
        f"skorch {skorch.__version__}, numpy {np.__version__}"
    )


def time_interleaved(
    candidates: dict[str, Callable[[], object]], repeats: int
) -> dict[str, float]:
    """Median wall time of each candidate, runs interleaved round by round.

    Interleaving spreads the drift of a shared machine over all candidates
    alike, so the ratios between them stay meaningful.
    """
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def print_ratios(title: str, times: dict[str, float], reference: str) -> None:
    """Print each time and its ratio to ``reference``, fastest first."""
    print(f"\n{title}")
    width = max(map(len, times))
    for name, seconds in sorted(times.items(), key=lambda item: item[1]):
        ratio = seconds / times[reference]
        print(f"  {name:<{width}}  {seconds:8.3f} s  {ratio:5.2f}x {reference}")


def padded_batches(sequences, lengths, batch_size, pool):
    """One epoch of a plain loop's batches, bucketed by length and padded by hand.

    As the toolkit's bucketing does: shuffle the rows, sort each pool of
    ``pool`` rows by length, cut it into batches, shuffle the batches. Yields
    ``(index, padded, mask)``, the mask True on real frames.
    """
    rows = torch.randperm(len(lengths))
    batches = []
    for start in range(0, len(rows), pool):
        chunk = rows[start : start + pool]
        chunk = chunk[torch.argsort(lengths[chunk], stable=True)]
        batches += list(chunk.split(batch_size))
    for i in torch.randperm(len(batches)).tolist():
        index = batches[i]
        padded = pad_sequence([sequences[j] for j in index.tolist()], batch_first=True)
        yield index, padded, torch.arange(padded.shape[1]) < lengths[index].unsqueeze(1)
