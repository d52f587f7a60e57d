"""The command line's arguments: ``run``, ``search`` and ``extract``."""

from __future__ import annotations

import argparse
import ast

from .._version import __version__
from ..evaluation import METRICS, PROTOCOLS
from ..evaluation._metrics import check_scoring
from ._extract import add_extract_parser

CONFIG_HELP = (
    "comma-separated configurations among the modalities the data has "
    "(visual, acoustic, lexical, ...), early, late (a vote over the modalities "
    "each row has), stacking and neural (one network over all modalities); "
    "late and neural keep rows lacking some modalities"
)
DEMO_SAMPLES = 1336


class UsageError(Exception):
    """A bad command line; carries the parser whose usage to show."""

    def __init__(self, parser, message):
        super().__init__(message)
        self.parser = parser


class _Parser(argparse.ArgumentParser):
    # argparse would print and sys.exit(2) itself; main() decides instead, so
    # that calling main() from Python returns the status.
    def error(self, message):
        raise UsageError(self, message)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``sklearn-mmer`` argument parser with its two subcommands."""
    parser = _Parser(
        prog="sklearn-mmer",
        description=(
            "Compare unimodal, early-fusion and late-fusion emotion "
            "classifiers under speaker-independent cross-validation, and "
            "write a report."
        ),
        epilog="Run 'sklearn-mmer run --help' or 'sklearn-mmer search --help'.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the whole comparison and write the report",
        description=(
            "Score every configuration on the same rows and the same "
            "speaker-grouped folds; print the ranked table and write tables, "
            "figures, JSON and report.md to --out."
        ),
    )
    _add_data_arguments(run)
    run.add_argument(
        "--configs",
        type=_names,
        default=None,
        metavar="NAMES",
        help=CONFIG_HELP + " (default: all the data allows, stacking aside)",
    )
    run.add_argument(
        "--baselines",
        action="store_true",
        help="also score each configuration with a logistic regression "
        "(C=0.01) and an RBF SVC (C=1) in place of the network, on the same "
        "pooled, scaled inputs and folds: rows such as 'early [svc]'",
    )
    run.add_argument(
        "--voting",
        choices=("hard", "soft"),
        default="hard",
        help="late fusion: majority vote of labels (hard, the default) or "
        "average of probabilities (soft)",
    )
    run.add_argument(
        "--n-seeds",
        type=_at_least(1),
        default=1,
        metavar="N",
        help="average each configuration's network over N seeds, for steadier "
        "and usually better scores at N times the training time; baselines "
        "and the neural fusion stay single (default: 1)",
    )
    run.add_argument(
        "--no-figures",
        dest="figures",
        action="store_false",
        help="skip the PNG figures",
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="reuse the fits an earlier, interrupted run of the same command "
        "finished (kept in DIR/fits), after checking that the data, folds "
        "and parameters are the same; run only the others",
    )
    run.add_argument(
        "--reference",
        default=None,
        metavar="NAME",
        help="compare every configuration with this one only (e.g. lexical); "
        "default: every pair",
    )
    run.add_argument(
        "--rope",
        type=_points,
        default=0.01,
        metavar="POINTS",
        help="region of practical equivalence of the Bayesian test, in "
        "percentage points: differences within ±POINTS count as equivalent "
        "(default: 1)",
    )
    run.add_argument(
        "--importance",
        choices=("all", "permutation", "none"),
        default="all",
        help="modality contribution of each fusion configuration: permutation "
        "importance and early fusion refitted without each modality (all, the "
        "default), permutation only (no extra fits), or none",
    )
    _add_protocol_arguments(run)

    search = commands.add_parser(
        "search",
        help="grid-search one configuration's classifier parameters",
        description=(
            "GridSearchCV over hidden layer sizes (and any other "
            "TorchMLPClassifier parameter) of one configuration, with "
            "speaker-grouped folds; print the ranked candidates and the best "
            "parameters, and write them to --out."
        ),
    )
    _add_data_arguments(search)
    search.add_argument(
        "--config",
        default=None,
        metavar="NAME",
        help="the configuration to tune: a modality, early, late or stacking "
        "(default: early, or the only modality)",
    )
    search.add_argument(
        "--hidden-sizes",
        nargs="+",
        type=_layer_sizes,
        default=None,
        metavar="SIZES",
        help="candidate hidden layer sizes, each comma-separated "
        "(default: 64 128,64 256,128)",
    )
    search.add_argument(
        "--param",
        action="append",
        type=_grid_entry,
        default=[],
        metavar="NAME=V1,V2",
        help="candidate values of another classifier parameter, e.g. "
        "learning_rate_init=1e-3,5e-4 or dropout=0,0.3; repeat for several",
    )
    _add_protocol_arguments(search)
    add_extract_parser(commands)
    return parser


def _add_data_arguments(parser):
    parser.add_argument(
        "data",
        nargs="?",
        default=None,
        metavar="DATA",
        help="a zip archive or a folder in the on-disk layout (dataset.csv and "
        "features/); without it, the built-in demo data",
    )
    parser.add_argument(
        "--csv",
        default=None,
        metavar="PATH",
        help="the table, when it is not dataset.csv at the top of DATA",
    )
    parser.add_argument(
        "--on-error",
        choices=("raise", "skip"),
        default="raise",
        help="a row whose files are missing or broken: stop with an error "
        "(raise, the default) or leave the row out and list it (skip)",
    )
    parser.add_argument(
        "--demo-samples",
        type=_at_least(20),
        default=DEMO_SAMPLES,
        metavar="N",
        help=f"utterances of demo data, without DATA (default: {DEMO_SAMPLES})",
    )
    parser.add_argument(
        "--out",
        default="results",
        metavar="DIR",
        help="folder for the report (default: results)",
    )


def _add_protocol_arguments(parser):
    parser.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="group-kfold",
        help="group-kfold: --folds folds grouped by --group-by (the default); "
        "loso: leave one session out (IEMOCAP's convention); logo: leave one "
        "--group-by group (speaker) out",
    )
    parser.add_argument(
        "--folds",
        type=_at_least(2),
        default=5,
        metavar="K",
        help="number of group-wise cross-validation folds of group-kfold (default: 5)",
    )
    parser.add_argument(
        "--repeats",
        type=_at_least(1),
        default=1,
        metavar="R",
        help="run the cross-validation R times, each with the groups assigned "
        "to folds afresh and other network seeds, for the paired tests' power "
        "(default: 1)",
    )
    parser.add_argument(
        "--scoring",
        type=_scoring,
        default="f1_micro",
        metavar="METRIC",
        help=f"the metric that ranks: {', '.join(METRICS)}, or WA (accuracy) "
        "and UA (balanced accuracy) (default: f1_micro)",
    )
    parser.add_argument(
        "--target-names",
        type=_names,
        default=None,
        metavar="NAMES",
        help="comma-separated names of the labels 0, 1, ... in order, e.g. "
        "negative,positive (default: labels.txt beside dataset.csv, else "
        "IEMOCAP's names for labels 0..3, else the labels as they are)",
    )
    parser.add_argument(
        "--group-by",
        choices=("speaker", "session"),
        default="speaker",
        help="keep each speaker (or each session) within one fold (default: speaker)",
    )
    parser.add_argument(
        "--max-iter",
        type=_at_least(1),
        default=200,
        metavar="N",
        help="most training epochs per network (default: 200)",
    )
    parser.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="stop each network when its accuracy on a validation split of its "
        "training speakers stops improving, and keep its best epoch (default: "
        "on; --no-early-stopping trains until the training loss stalls)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        metavar="{auto,cpu,cuda}",
        help="where to train: auto (CUDA when torch sees a GPU), cpu, cuda or "
        "cuda:N (default: auto)",
    )
    parser.add_argument(
        "--seed",
        type=_at_least(0),
        default=0,
        metavar="N",
        help="random seed of every network (default: 0)",
    )
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=1,
        metavar="N",
        help="fits to run in parallel; -1 uses every core (default: 1)",
    )
    parser.add_argument(
        "--dask",
        type=_dask_address,
        default=None,
        metavar="ADDRESS",
        help="run the fits on a Dask cluster: the scheduler's address (e.g. "
        "tcp://10.0.0.5:8786), or local[:N] for N worker processes on this "
        "machine (default N: one per core). Needs: pip install "
        "'sklearn-mmer[dask]'",
    )
    parser.add_argument(
        "--threads",
        type=_at_least(1),
        default=1,
        metavar="N",
        help="torch threads per fit (default: 1). Mini-batches of 32 rows give "
        "extra threads little to share, and on a busy machine waiting threads "
        "make fits many times slower; use --n-jobs to run fits side by side",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar or messages; only the table and errors",
    )


def _at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of jobs or -1 (every core), got {value}"
        )
    return value


def _dask_address(text):
    # Imported here: the parser must not need the evaluation code to build.
    from ..evaluation._backend import import_distributed, parse_dask_address

    try:
        parse_dask_address(text)
        import_distributed()
    except (ValueError, ImportError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _points(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(
            f"must be a number of percentage points in [0, 100), got {value}"
        )
    return value / 100.0


def _scoring(text):
    try:
        return check_scoring(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _names(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated names")
    return names


def _layer_sizes(text):
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive layer widths such as 128,64; "
            f"got {text!r}"
        )
    return sizes


def _grid_entry(text):
    name, sep, values = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier() or not values.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=V1,V2,... such as learning_rate_init=1e-3,5e-4; got "
            f"{text!r}"
        )
    return name, [_literal(value.strip()) for value in values.split(",")]


def _literal(text):
    """Read a value the way a Python user would write it; else keep the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
