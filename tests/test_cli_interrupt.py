"""Ctrl-C during a fit stops the command with 130 and writes no report."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# The command, with a real SIGINT sent to itself at the end of a network's
# third epoch: inside a fit, where skorch would swallow the interrupt, and
# at the same point on any machine, however busy.
INTERRUPTED_COMMAND = textwrap.dedent(
    """
    import os, signal, sys
    import skorch
    from sklearn_mmer.cli import main

    epoch_end = skorch.NeuralNet.on_epoch_end

    def interrupt_in_the_first_fit(self, net, **kwargs):
        epoch_end(self, net, **kwargs)
        if len(net.history) == 3 and not os.environ.get("SENT"):
            os.environ["SENT"] = "1"
            os.kill(os.getpid(), signal.SIGINT)

    skorch.NeuralNet.on_epoch_end = interrupt_in_the_first_fit
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is POSIX")
def test_sigint_during_a_fit_exits_130_and_leaves_out_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("the earlier report")
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
        ),
    }
    completed = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_COMMAND, "run", "--demo-samples", "60",
         "--configs", "lexical,late", "--max-iter", "20", "--folds", "2",
         "--no-figures", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )  # fmt: skip
    assert completed.returncode == 130, completed.stderr
    assert "interrupted" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stdout == ""  # no table: no result is shown as finished
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no leftovers
