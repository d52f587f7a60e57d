"""Where the ``.npy`` files live: a zip archive read in place, or a folder."""

from __future__ import annotations

import io
import math
import os
import posixpath
import stat
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


# Longest path, and longest file or folder name, a cell may hold: the usual
# PATH_MAX and NAME_MAX, beyond which no file system has the file anyway.
MAX_PATH_CHARS = 4096
MAX_NAME_CHARS = 255

# Zip compression methods by number, to name the ones zipfile cannot read.
_COMPRESSION_NAMES = {
    6: "Implode",
    9: "Deflate64",
    93: "Zstandard",
    95: "XZ",
    98: "PPMd",
}


class PathRefused(ValueError):
    """A feature path that may not be followed: it leads outside the feature set."""


class MemberUnreadable(ValueError):
    """A zip member that Python cannot read: encrypted, or compressed oddly."""


def relative_key(csv_path: str) -> str:
    r"""Return the path inside the feature set that a CSV cell names.

    The one rule, for the zip and the folder reader alike, of what a cell
    may name: the path is read relative to the root (a leading ``/`` or
    ``\`` does not make it absolute, and ``\`` is read as ``/``), and must
    stay inside the root once ``..`` is resolved. A path that leaves the
    root, holds a NUL character, or is longer than any file system allows
    raises :class:`PathRefused`, before anything is opened.
    """
    if "\x00" in csv_path:
        raise PathRefused("the path holds a NUL character, which no file name can")
    if len(csv_path) > MAX_PATH_CHARS or any(
        len(part) > MAX_NAME_CHARS for part in csv_path.replace("\\", "/").split("/")
    ):
        raise PathRefused(
            f"the path is longer than a file system allows ({MAX_PATH_CHARS} "
            f"characters, {MAX_NAME_CHARS} per name)"
        )
    relative = posixpath.normpath(csv_path.replace("\\", "/").lstrip("/"))
    if relative == ".." or relative.startswith("../"):
        raise PathRefused(
            "the path leads outside the feature set through '..'; feature paths "
            "must name files inside the archive or folder"
        )
    return relative


def candidate_keys(csv_path: str) -> list[str]:
    r"""Relative paths to try for a CSV path, most specific first.

    The path is taken relative to the root (a leading ``/`` does not make it
    absolute), with ``\`` read as ``/``. Leading folders above the
    ``<modality>_features`` folder may be absent from the root, as when an
    archive holds the contents of ``features/`` or the CSV was written on
    another machine (``/home/me/iemocap/features/...``); they are dropped one
    at a time, never the ``*_features`` folder itself. Raises
    :class:`PathRefused` for a path :func:`relative_key` refuses.
    """
    relative = relative_key(csv_path)
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
        infos = [i for i in self.archive.infolist() if not i.is_dir()]
        names = [info.filename for info in infos]
        self._names = set(names)
        # A zip can store symbolic links; the folder reader refuses links that
        # leave the folder, and a member cannot point anywhere inside an
        # archive, so the zip reader refuses them all.
        self._links = {
            info.filename for info in infos if stat.S_ISLNK(info.external_attr >> 16)
        }
        # An archive made from a folder wraps everything in that folder.
        tops = {name.split("/", 1)[0] for name in names}
        wrapped = len(tops) == 1 and all("/" in name for name in names)
        self._prefixes = ("", f"{tops.pop()}/") if wrapped else ("",)

    def resolve(self, csv_path: str) -> str | None:
        """Archive member that a CSV path names, or None.

        Raises :class:`PathRefused` for a path that leads outside the
        archive or names a symbolic link.
        """
        for key in candidate_keys(csv_path):
            for prefix in self._prefixes:
                if prefix + key in self._names:
                    return self._check_link(prefix + key)
        return None

    def _check_link(self, key):
        if key in self._links:
            raise PathRefused(
                "the archive member is a symbolic link; store the file itself"
            )
        return key

    def open(self, key: str):
        """Open a member for reading (bytes)."""
        return self._member(self.archive.open, key)

    def _member(self, read, key):
        """Open or read a member; name what zipfile cannot read.

        zipfile raises RuntimeError for an encrypted member and
        NotImplementedError for a compression it lacks (Deflate64, as
        Windows' Explorer writes for large files): bugs, by their types.
        """
        info = self.archive.getinfo(key)
        where = f"the archive member {key!r} of {str(self.path)!r}"
        if info.flag_bits & 0x1:  # bit 0 of the general purpose flag: encrypted
            raise MemberUnreadable(
                f"{where} is encrypted (password-protected), which sklearn-mmer "
                "does not read; re-create the archive without a password"
            )
        try:
            return read(key)
        except NotImplementedError:
            method = _COMPRESSION_NAMES.get(
                info.compress_type, f"method {info.compress_type}"
            )
            raise MemberUnreadable(
                f"{where} is compressed with {method}, which Python's zipfile "
                "cannot read; re-create the archive with the usual Deflate "
                "compression (zip -r, or Python's zipfile with ZIP_DEFLATED)"
            ) from None

    def read_array(self, key: str) -> np.ndarray:
        """Read a ``.npy`` member into a new (writeable) array.

        One read of the whole member (zipfile checks its CRC), then one copy
        out of the bytes: fewer small reads through zipfile than ``np.load``
        on the open member, which adds up over thousands of files.
        """
        data = self._member(self.archive.read, key)
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
        self._real_root = os.path.realpath(path)
        self._headers = _HeaderCache()

    def resolve(self, csv_path: str) -> str | None:
        """File that a CSV path names, or None.

        Raises :class:`PathRefused` for a path that leads outside the
        folder, through ``..`` or a symbolic link.
        """
        for key in candidate_keys(csv_path):
            full = os.path.join(self.path, key)
            if os.path.isfile(full):
                return self._check_inside(full)
        return None

    def _check_inside(self, full):
        # The path stays inside by itself (relative_key); a symbolic link on
        # the way may still lead out.
        real = os.path.realpath(full)
        if os.path.commonpath([self._real_root, real]) != self._real_root:
            raise PathRefused(
                f"the path leads outside the folder through a symbolic link "
                f"(to {real!r}); feature paths must name files inside it"
            )
        return full

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
