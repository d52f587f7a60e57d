"""What a command tells the report about its run, as one typed object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class RunMetadata:
    """Facts about a run that the report records beside the results.

    Every field is optional: a report written from Python may know none of
    them. ``results.json`` stores them under ``"metadata"`` (the fields by
    name, ``extra`` merged in); ``report.md`` shows the command, the data
    description and load report, and the speakers of each fold.

    Parameters
    ----------
    command : str, default=None
        The command line that produced the results, as the user would retype it.
    arguments : mapping, default={}
        The parsed command-line arguments, by name.
    data : mapping, default={}
        A description of the data: ``"source"``, ``"description"`` (shown in
        report.md), ``"load_report"`` (the loader's account, shown in
        report.md), ``"skipped_rows"`` and any other JSON-able facts.
    group_by : str, default=None
        What the folds keep together, such as ``"speaker"`` or ``"session"``.
    fold_speakers : sequence of sequence of str, default=None
        The speakers each fold holds out; report.md shows them when they
        differ from the folds' groups.
    wall_time_seconds : float, default=None
        How long the whole run took.
    extra : mapping, default={}
        Any other JSON-able facts, stored as they are in ``results.json``.

    Examples
    --------
    >>> from sklearn_mmer.report import RunMetadata
    >>> metadata = RunMetadata(command="sklearn-mmer run --folds 2",
    ...                        extra={"note": "pilot"})
    >>> metadata.as_dict()
    {'command': 'sklearn-mmer run --folds 2', 'note': 'pilot'}
    >>> RunMetadata.coerce({"command": "x", "seed": 1}).extra["seed"]
    1
    """

    command: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    group_by: str | None = None
    fold_speakers: Sequence[Sequence[str]] | None = None
    wall_time_seconds: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        # Frozen means frozen: a caller's dict changed later must not change
        # what the report says.
        for name in ("arguments", "data", "extra"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        if self.fold_speakers is not None:
            speakers = tuple(tuple(str(s) for s in fold) for fold in self.fold_speakers)
            object.__setattr__(self, "fold_speakers", speakers)

    @classmethod
    def coerce(cls, metadata: RunMetadata | Mapping[str, Any] | None) -> RunMetadata:
        """Return ``metadata`` as a RunMetadata; a dict's other keys go to ``extra``."""
        if metadata is None:
            return cls()
        if isinstance(metadata, cls):
            return metadata
        if not isinstance(metadata, Mapping):
            raise TypeError(
                "metadata must be a RunMetadata or a dict, got "
                f"{type(metadata).__name__}."
            )
        known = {f.name for f in fields(cls)} - {"extra"}
        given = {key: value for key, value in metadata.items() if key in known}
        extra = {
            key: value
            for key, value in metadata.items()
            if key not in known and key != "extra"
        }
        extra.update(metadata.get("extra") or {})
        return cls(**given, extra=extra)

    def as_dict(self) -> dict[str, Any]:
        """Return the facts as one flat dict, without fields left unset."""
        record = {}
        for item in fields(self):
            if item.name == "extra":
                continue
            value = getattr(self, item.name)
            if value is None or (isinstance(value, Mapping) and not value):
                continue
            if isinstance(value, Mapping):
                value = dict(value)
            elif item.name == "fold_speakers":
                value = [list(fold) for fold in value]
            record[item.name] = value
        record.update(self.extra)
        return record
