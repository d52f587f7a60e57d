"""Where the ``.npy`` files live: a zip archive read in place, or a folder."""

from __future__ import annotations

import io
import math
import os
import posixpath
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ._layout import CSV_NAME, FEATURE_SUFFIX


def open_source(features) -> ZipSource | FolderSource:
    """Open ``features``, a zip archive or a folder, for reading."""
    path = Path(os.fspath(features)).expanduser()
    if path.is_dir():
        return FolderSource(path)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            hint = (
                " It looks like the table: pass the features first, the CSV "
                "second, as in load_features('features.zip', 'dataset.csv')."
                if path.suffix.lower() == ".csv"
                else ""
            )
            raise ValueError(
                f"{str(path)!r} is neither a folder nor a zip archive; pass the "
                "features archive (e.g. 'features.zip') or the folder that "
                f"holds 'features/'.{hint}"
            )
        return ZipSource(path)
    raise FileNotFoundError(f"No such archive or folder: {str(path)!r}.")


def candidate_keys(csv_path: str) -> list[str]:
    r"""Relative paths to try for a CSV path, most specific first.

    The path is taken relative to the root (a leading ``/`` does not make it
    absolute), with ``\`` read as ``/``. Leading folders above the
    ``<modality>_features`` folder may be absent from the root, as when an
    archive holds the contents of ``features/`` or the CSV was written on
    another machine (``/home/me/iemocap/features/...``); they are dropped one
    at a time, never the ``*_features`` folder itself.
    """
    relative = posixpath.normpath(csv_path.replace("\\", "/").lstrip("/"))
    parts = relative.split("/")
    folders = [i for i, part in enumerate(parts[:-1]) if part.endswith(FEATURE_SUFFIX)]
    if not folders:
        return [relative]
    return ["/".join(parts[start:]) for start in range(folders[0] + 1)]


class ZipSource:
    """Members of a zip archive, read without extracting anything to disk."""

    kind = "zip archive"

    def __init__(self, path: Path):
        self.path = path
        self.archive = zipfile.ZipFile(path)
        self._headers = _HeaderCache()
        names = [n for n in self.archive.namelist() if not n.endswith("/")]
        self._names = set(names)
        # An archive made from a folder wraps everything in that folder.
        tops = {name.split("/", 1)[0] for name in names}
        wrapped = len(tops) == 1 and all("/" in name for name in names)
        self._prefixes = ("", f"{tops.pop()}/") if wrapped else ("",)

    def resolve(self, csv_path: str) -> str | None:
        """Archive member that a CSV path names, or None."""
        quick = csv_path.lstrip("/")
        if quick in self._names:  # the layout's own paths: skip the search
            return quick
        for key in candidate_keys(csv_path):
            for prefix in self._prefixes:
                if prefix + key in self._names:
                    return prefix + key
        return None

    def open(self, key: str):
        """Open a member for reading (bytes)."""
        return self.archive.open(key)

    def read_array(self, key: str) -> np.ndarray:
        """Read a ``.npy`` member into a new (writeable) array.

        One read of the whole member (zipfile checks its CRC), then one copy
        out of the bytes: fewer small reads through zipfile than ``np.load``
        on the open member, which adds up over thousands of files.
        """
        data = self.archive.read(key)
        header = self._headers.parse(data)
        if header is None:  # a format version numpy's public readers skip
            return npy_format.read_array(io.BytesIO(data), allow_pickle=False)
        shape, fortran_order, dtype, offset = header
        count = math.prod(shape)
        if count * dtype.itemsize > len(data) - offset:
            raise ValueError(
                f"the header announces {count * dtype.itemsize} bytes of data "
                f"for shape {shape}, the file holds {len(data) - offset} "
                "(truncated?)"
            )
        flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        order = "F" if fortran_order else "C"
        return flat.reshape(shape, order=order).copy(order="K")

    def find_csv(self) -> list[str]:
        """List the CSV files at the top of the archive, ``dataset.csv`` first."""
        return _pick_csv(
            [
                name[len(prefix) :]
                for prefix in self._prefixes
                for name in self._names
                if name.startswith(prefix) and "/" not in name[len(prefix) :]
            ]
        )

    def resolve_csv(self, name: str) -> str | None:
        """Member for a CSV named relative to the archive's top."""
        for prefix in self._prefixes:
            if prefix + name.lstrip("/") in self._names:
                return prefix + name.lstrip("/")
        return None

    def describe(self, key: str) -> str:
        """Human-readable location of a member."""
        return f"{self.path}!{key}"

    def close(self) -> None:
        """Close the archive."""
        self.archive.close()


class FolderSource:
    """Files under a folder."""

    kind = "folder"

    def __init__(self, path: Path):
        self.path = path
        self._headers = _HeaderCache()

    def resolve(self, csv_path: str) -> str | None:
        """File that a CSV path names, or None."""
        for key in candidate_keys(csv_path):
            full = os.path.join(self.path, key)
            if os.path.isfile(full):
                return full
        return None

    def open(self, key: str):
        """Open a file for reading (bytes)."""
        return open(key, "rb")

    def read_array(self, key: str) -> np.ndarray:
        """Read a ``.npy`` file, its data straight into the array's memory."""
        with open(key, "rb") as handle:
            block = handle.read(_HEADER_PREFIX)
            block += handle.read(_header_end(block) - len(block))
            header = self._headers.parse(block)
            if header is None:  # a format version numpy's public readers skip
                handle.seek(0)
                return npy_format.read_array(handle, allow_pickle=False)
            shape, fortran_order, dtype, offset = header
            count = math.prod(shape)
            stored = os.fstat(handle.fileno()).st_size - offset
            if count * dtype.itemsize > stored:
                raise ValueError(
                    f"the header announces {count * dtype.itemsize} bytes of "
                    f"data for shape {shape}, the file holds {stored} (truncated?)"
                )
            flat = np.fromfile(handle, dtype=dtype, count=count)
        return flat.reshape(shape, order="F" if fortran_order else "C")

    def find_csv(self) -> list[str]:
        """List the CSV files in the folder, ``dataset.csv`` first."""
        return _pick_csv([p.name for p in self.path.glob("*.csv") if p.is_file()])

    def resolve_csv(self, name: str) -> str | None:
        """File for a CSV named relative to the folder."""
        full = self.path / name.lstrip("/")
        return str(full) if full.is_file() else None

    def describe(self, key: str) -> str:
        """Human-readable location of a file."""
        return key

    def close(self) -> None:
        """Nothing to close."""


# Magic string, version, and the header's length (2 bytes in version 1.0,
# 4 in later versions): enough to know where the header ends.
_HEADER_PREFIX = 12


def _header_end(block):
    """Offset of an ``.npy`` file's data, from its first bytes."""
    if block[:6] != npy_format.MAGIC_PREFIX or len(block) < 10:
        raise ValueError("not a .npy file (no NumPy magic string)")
    width = 2 if block[6] == 1 else 4
    return 8 + width + int.from_bytes(block[8 : 8 + width], "little")


class _HeaderCache:
    """Parse ``.npy`` headers with NumPy's own reader, each distinct one once.

    Feature files of one modality share a dtype and a dimension and have few
    distinct frame counts, so most headers repeat byte for byte; parsing one
    (a ``literal_eval``) costs about as much as reading a small file.
    """

    def __init__(self):
        self._known = {}

    def parse(self, data):
        """``(shape, fortran_order, dtype, data_offset)``, or None (fall back)."""
        end = _header_end(data[:_HEADER_PREFIX])
        block = bytes(data[:end])
        if block in self._known:
            return self._known[block]
        handle = io.BytesIO(block)
        version = npy_format.read_magic(handle)
        if version == (1, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy_format.read_array_header_2_0(handle)
        else:
            return None
        if dtype.hasobject:
            raise ValueError("Object arrays cannot be loaded when allow_pickle=False")
        header = (shape, fortran_order, dtype, end)
        self._known[block] = header
        return header


def _pick_csv(names):
    names = sorted(n for n in names if n.lower().endswith(".csv"))
    if CSV_NAME in names:
        return [CSV_NAME]
    return names
