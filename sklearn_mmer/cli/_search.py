"""``sklearn-mmer search``: the command-line face of ``search_configuration``."""

from __future__ import annotations

import itertools
import time

from ..evaluation import make_configurations, search_configuration
from ..neural_network import TorchMLPClassifier
from ..report import RunMetadata, format_search, write_search_report
from ..report._search import SEARCH_FILES, describe_best
from ..utils import resolve_device
from ._cluster import fits_on, n_jobs
from ._data import check_out, describe_data, grouping, load_data, protocol_splitter
from ._output import Console
from ._run import classifier_params, vars_for_record

DEFAULT_HIDDEN_SIZES = [(64,), (128, 64), (256, 128)]


def search(args, console: Console) -> int:
    """Grid-search the classifier of one configuration and report the ranking."""
    started = time.perf_counter()
    resolve_device(args.device)
    check_out(args, SEARCH_FILES)
    console.say(f"Loading {args.data or 'the demo data'} ...")
    grid = _grid(args)
    data = load_data(args, wanted=[args.config] if args.config else None)
    modalities = list(data.data.columns)
    name = args.config or ("early" if len(modalities) > 1 else modalities[0])
    try:
        estimator = make_configurations(
            modalities, include=[name], **classifier_params(args)
        )[name]
    except ValueError as exc:
        raise ValueError(f"--config: {exc}") from None
    groups, group_word = grouping(data, args)
    n_candidates = len(list(itertools.product(*grid.values())))
    console.say(
        f"Searching {n_candidates} candidate(s) for {name!r} with "
        f"{args.protocol} grouped by {group_word}"
        + (f", {args.repeats} repeats" if args.repeats > 1 else "")
        + "."
    )
    with fits_on(args, console):
        result = search_configuration(
            estimator,
            grid,
            data.data,
            data.target,
            groups=groups,
            cv=protocol_splitter(args),
            n_repeats=args.repeats,
            scoring=args.scoring,
            name=name,
            random_state=args.seed,
            n_jobs=n_jobs(args),
        )
    if len(result.excluded):
        console.say(
            f"Left out {len(result.excluded)} row(s) lacking a modality {name} needs."
        )
    console.print(format_search(result))
    console.print(describe_best(result))
    metadata = RunMetadata(
        command=console.command,
        arguments=vars_for_record(args),
        data=describe_data(data),
        group_by=group_word,
        wall_time_seconds=round(time.perf_counter() - started, 3),
    )
    paths = write_search_report(result, args.out, metadata=metadata)
    console.say(f"Search results: {paths['markdown']}")
    return 0


def _grid(args):
    """Return the candidate values asked for, by TorchMLPClassifier parameter."""
    grid = {"hidden_layer_sizes": args.hidden_sizes or DEFAULT_HIDDEN_SIZES}
    valid = set(TorchMLPClassifier().get_params())
    for name, values in args.param:
        if name == "hidden_layer_sizes":
            raise ValueError(
                "Give hidden layer sizes with --hidden-sizes, e.g. "
                "--hidden-sizes 64 128,64."
            )
        if name not in valid:
            raise ValueError(
                f"--param {name}: TorchMLPClassifier has no parameter {name!r}; "
                f"it has {sorted(valid)}."
            )
        for value in values:
            try:
                TorchMLPClassifier(**{name: value})._validate_params()
            except (ValueError, TypeError) as exc:
                raise ValueError(f"--param {name}={value!r}: {exc}") from None
        grid[name] = values
    return grid
