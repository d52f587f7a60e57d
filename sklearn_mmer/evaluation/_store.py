"""Finished fits on disk, so that a long comparison can be resumed.

Each fit's outcome (predictions, times, device, and the fitted model when the
comparison needs it) is written to its own file as soon as it arrives, by
writing a temporary file and renaming it, so a file is either whole or absent.
A file that is not whole anyway (a crash of the file system, a copy cut
short) fails its checksum and that fit is done again.

Next to the fits, ``fingerprint.json`` records what they were computed from:
a digest of the data and of the folds, and the parameters of every
configuration. Resuming checks it, so fits of other data or other parameters
are never mixed into a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import warnings
from pathlib import Path

import joblib
import pandas as pd
from sklearn.base import BaseEstimator

# The first bytes of a fit file; a new layout of the files gets a new one.
MAGIC = b"sklearn-mmer-fit-1\n"
DIGEST_SIZE = hashlib.sha256().digest_size
FINGERPRINT = "fingerprint.json"


class ResumeMismatchError(ValueError):
    """The fits in a checkpoint folder were made from other data or parameters."""


def fingerprint(X, y, groups, splits, configurations) -> dict:
    """Describe what the fits of a comparison depend on, as JSON-able data."""
    return {
        "format": 1,
        "data": data_digest(X, y, groups),
        "folds": joblib.hash([(train, test) for train, test in splits]),
        "configurations": {
            name: describe_estimator(estimator)
            for name, estimator in configurations.items()
        },
    }


def data_digest(X, y, groups) -> str:
    """Hash the values of ``X``, ``y`` and ``groups``, not how they are stored.

    A DataFrame is hashed column by column (name and values), so the same
    table read again hashes the same whatever its internal blocks.
    """
    if isinstance(X, pd.DataFrame):
        columns = [
            (str(name), str(X[name].dtype), X[name].to_numpy()) for name in X.columns
        ]
        X = ("DataFrame", [str(i) for i in X.index], columns)
    return joblib.hash((X, y, groups))


def describe_estimator(estimator) -> dict:
    """Class and parameters of ``estimator``, each parameter as text."""
    return {
        "class": _qualified_name(estimator),
        "params": {
            key: _describe(value)
            for key, value in sorted(estimator.get_params(deep=True).items())
        },
    }


def _qualified_name(obj):
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _describe(value):
    # Nested estimators' own parameters appear under their own keys, so the
    # estimator itself is only named (its repr is shortened by sklearn).
    if isinstance(value, BaseEstimator):
        return _qualified_name(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_describe(item) for item in value) + "]"
    return repr(value)


class FitStore:
    """Finished fits of one comparison in a folder, checked by a fingerprint.

    Parameters
    ----------
    folder : path-like
        Where the fits go (created with the first one).
    fingerprint : dict
        What the fits depend on, from :func:`fingerprint`.
    resume : bool
        Reuse the fits already in ``folder`` after checking that they were
        made from the same data, folds and parameters; otherwise they are
        discarded and the comparison starts afresh.
    """

    def __init__(self, folder, fingerprint: dict, *, resume: bool):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.n_discarded = 0
        recorded = self._recorded_fingerprint()
        if resume and recorded is not None:
            check_same_origin(recorded, fingerprint, self.folder)
            merged = dict(fingerprint)
            # Fits of configurations this run leaves out stay usable later.
            merged["configurations"] = {
                **recorded.get("configurations", {}),
                **fingerprint["configurations"],
            }
            self.fingerprint = merged
        else:
            for path in self.finished():
                path.unlink()
                self.n_discarded += 1
        # The folder appears with the first finished fit: a run stopped
        # before any leaves --out as it was.
        self._fingerprint_written = False

    def _recorded_fingerprint(self):
        path = self.folder / FINGERPRINT
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ResumeMismatchError(
                f"Cannot resume from {str(self.folder)!r}: its {FINGERPRINT} cannot "
                f"be read ({exc}), so its fits cannot be checked. Start afresh "
                "(without resuming) or use another folder."
            ) from None

    def finished(self) -> list[Path]:
        """Return the fit files in the folder."""
        return sorted(self.folder.glob("*.fit")) if self.folder.is_dir() else []

    def path(self, key) -> Path:
        """File of the fit ``key``, a tuple such as (configuration, fold)."""
        name, *rest = key
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_.")[:40]
        digest = hashlib.sha256(repr(tuple(key)).encode("utf-8")).hexdigest()[:12]
        numbers = "-".join(str(part) for part in rest)
        return self.folder / f"{slug or 'configuration'}-{numbers}-{digest}.fit"

    def load(self, key, *, need_estimator: bool = False):
        """Return the stored outcome of ``key``, or None when it must be fitted.

        A file that fails its checksum (cut short, overwritten) is removed
        with a warning, and the fit is done again.
        """
        path = self.path(key)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        outcome = _decode(blob)
        if outcome is None:
            warnings.warn(
                f"The stored fit {path} is incomplete or damaged; fitting "
                f"{key[0]!r} on fold {key[1]} again.",
                RuntimeWarning,
                stacklevel=2,
            )
            path.unlink(missing_ok=True)
            return None
        if need_estimator and outcome.get("estimator") is None:
            return None  # stored without its model, which is needed now
        return outcome

    def save(self, key, outcome) -> None:
        """Write ``outcome`` for ``key``: whole, or not at all."""
        if not self._fingerprint_written:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(
                self.folder / FINGERPRINT,
                (json.dumps(self.fingerprint, indent=2) + "\n").encode("utf-8"),
            )
            self._fingerprint_written = True
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        blob = MAGIC + hashlib.sha256(payload).digest() + payload
        _write_atomically(self.path(key), blob)


def check_same_origin(recorded: dict, current: dict, folder) -> None:
    """Raise ResumeMismatchError naming what differs between two fingerprints."""
    where = f"Cannot resume from {str(folder)!r}:"
    advice = (
        "Start afresh without resuming (no --resume, or resume=False), or use "
        "another folder."
    )
    if recorded.get("format") != current["format"]:
        raise ResumeMismatchError(
            f"{where} its fits were written by another version of sklearn-mmer. "
            f"{advice}"
        )
    for part, words in (("data", "data"), ("folds", "cross-validation folds")):
        if recorded.get(part) != current[part]:
            raise ResumeMismatchError(
                f"{where} its fits were made on other {words} than this run's. {advice}"
            )
    for name, now in current["configurations"].items():
        before = recorded.get("configurations", {}).get(name)
        if before is None or before == now:
            continue
        raise ResumeMismatchError(
            f"{where} configuration {name!r} has other parameters than in the run "
            f"that wrote it: {_differences(before, now)}. {advice}"
        )


def _differences(before, now):
    if before.get("class") != now["class"]:
        return f"class was {before.get('class')}, now {now['class']}"
    old, new = before.get("params", {}), now["params"]
    changed = [
        f"{key} was {old.get(key, '(unset)')}, now {new.get(key, '(unset)')}"
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]
    shown = "; ".join(changed[:5])
    return shown + (f"; and {len(changed) - 5} more" if len(changed) > 5 else "")


def _decode(blob):
    header = len(MAGIC) + DIGEST_SIZE
    if len(blob) <= header or not blob.startswith(MAGIC):
        return None
    digest, payload = blob[len(MAGIC) : header], blob[header:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # a file that passes its checksum but not unpickling
        return None


def _write_atomically(path: Path, blob: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(blob)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
