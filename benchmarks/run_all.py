"""Run every benchmark in turn, each in a fresh interpreter.

A fresh process per benchmark keeps one's memory and thread state from
colouring the next (the loader's peak-memory figures need it).

Run: python benchmarks/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

BENCHMARKS = {
    "bench_training.py": ([], ["--epochs", "5", "--repeats", "1"]),
    "bench_pooling.py": ([], ["--repeats", "2"]),
    "bench_loader.py": ([], ["--quick"]),
    "bench_comparison.py": ([], ["--epochs", "5", "--samples", "400"]),
    "bench_gpu.py": ([], ["--epochs", "5", "--samples", "400"]),
    "bench_sequence.py": (
        [],
        ["--epochs", "1", "--repeats", "1", "--modalities", "acoustic"],
    ),
    "bench_extraction.py": ([], ["--quick"]),
    "bench_distributed.py": ([], ["--epochs", "5", "--samples", "400"]),
    "bench_multimodal.py": ([], ["--epochs", "2", "--repeats", "1"]),
    "bench_missing.py": ([], ["--seeds", "1", "--samples", "300"]),
    "bench_batched_seeds.py": ([], ["--seeds", "0", "--samples", "150"]),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, to check the scripts run"
    )
    args = parser.parse_args(argv)
    failed = []
    for script, (full, quick) in BENCHMARKS.items():
        if not (HERE / script).exists():
            continue
        print(f"\n=== {script} ===", flush=True)
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        if subprocess.run(command, cwd=HERE, check=False).returncode:
            failed.append(script)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
