"""The examples run, on small demo data (their defaults are full size)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    return runpy.run_path(str(EXAMPLES / name), run_name="example")


def test_reproduce_study(capsys):
    main = load_example("reproduce_study.py")["main"]
    result = main(n_samples=80, max_iter=3, n_splits=2)
    out = capsys.readouterr().out
    assert set(result.summary.index) == {
        "visual",
        "acoustic",
        "lexical",
        "early",
        "late",
    }
    assert "reference study" in out and "62.56" in out


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_epoch_selection_on_test_fold(capsys):
    main = load_example("epoch_selection_on_test_fold.py")["main"]
    peeking, fixed, honest = main(n_samples=80, epochs=4, n_splits=2)
    # The best of several test scores is never below the last one.
    assert (peeking >= fixed).all()
    assert len(honest) == 2
    assert "best epoch chosen on the test fold" in capsys.readouterr().out
