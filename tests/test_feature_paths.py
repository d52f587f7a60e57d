"""What a feature set may name, and the zip members Python cannot read.

The folder and the zip reader follow one rule for the paths in the table:
they stay inside the feature set, and a file outside it is never opened.
"""

import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_mmer import load_features, make_emotion_dataset, write_feature_set
from sklearn_mmer.datasets import PROBLEMS, FeatureSetError
from sklearn_mmer.datasets import _sources as sources

LINK = "features/lexical_features/Session1/link.npy"


def hostile_paths(tmp_path):
    """Cells that try to leave the feature set, and the problem each gets."""
    return {
        "../outside.npy": "bad_path",
        "features/lexical_features/../../../outside.npy": "bad_path",
        "..\\outside.npy": "bad_path",
        # Read relative to the root, where no such file is: never the one outside.
        str(tmp_path / "outside.npy"): "missing_file",
        LINK: "bad_path",  # a symbolic link to the file outside
        "features/lexical_features/x\x00.npy": "bad_path",
        "features/" + "a" * 300 + ".npy": "bad_path",
        "features/" + "a/" * 2100 + "x.npy": "bad_path",
    }


@pytest.fixture
def feature_sets(tmp_path):
    """The same hostile table as a folder and as a zip, and the file outside."""
    outside = tmp_path / "outside.npy"
    np.save(outside, np.ones(5, dtype=np.float32))
    demo = make_emotion_dataset(12, dims={"acoustic": 3, "lexical": 5}, random_state=0)
    folder = write_feature_set(demo, tmp_path / "set", archive=False)
    table = pd.read_csv(folder / "dataset.csv", dtype=str, keep_default_na=False)
    paths = hostile_paths(tmp_path)
    table.loc[: len(paths) - 1, "lexical_features"] = list(paths)
    table.to_csv(folder / "dataset.csv", index=False)
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
        link = zipfile.ZipInfo(LINK)
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "../../../../outside.npy")
    (folder / LINK).symlink_to(outside)
    return {"folder": folder, "zip": archive}, outside, list(paths.values())


@pytest.fixture
def opened(monkeypatch):
    """Every file the readers open, by its resolved path."""
    paths = []

    def recording_open(file, *args, **kwargs):
        paths.append(Path(file).resolve())
        return open(file, *args, **kwargs)

    monkeypatch.setattr(sources, "open", recording_open, raising=False)
    return paths


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_both_readers_refuse_the_same_hostile_paths(feature_sets, opened, kind):
    sets, outside, problems = feature_sets
    data = load_features(sets[kind], on_error="skip")
    skipped = data.report.skipped
    assert skipped["row"].tolist() == list(range(len(problems)))
    assert skipped["problem"].tolist() == problems
    assert set(problems) <= set(PROBLEMS)
    assert len(data.data) == 12 - len(problems)
    assert outside.resolve() not in opened
    if kind == "folder":
        assert opened  # the recorder sees the folder's reads


@pytest.mark.parametrize("kind", ["folder", "zip"])
def test_a_path_outside_is_a_named_error(feature_sets, opened, kind):
    sets, outside, _ = feature_sets
    with pytest.raises(FeatureSetError, match="leads outside") as info:
        load_features(sets[kind])
    assert (info.value.row, info.value.problem) == (0, "bad_path")
    assert info.value.path == "../outside.npy"
    assert outside.resolve() not in opened


def test_the_one_rule_keeps_paths_inside():
    assert sources.relative_key("/features/a_features/x.npy") == (
        "features/a_features/x.npy"
    )
    assert sources.relative_key("features\\a_features\\..\\b.npy") == ("features/b.npy")
    for path, reason in [
        ("a/../../b.npy", "outside"),
        ("..", "outside"),
        ("a\x00.npy", "NUL"),
        ("x" * 256, "longer"),
        ("a/" * 2049, "longer"),
    ]:
        with pytest.raises(sources.PathRefused, match=reason):
            sources.relative_key(path)


# -- zip members Python cannot read --------------------------------------------


def patch_member(archive, name, *, flag_bits=0, method=None):
    """Set flag bits or the compression method of a member, in both headers.

    Bit 0 of the general purpose flag marks an encrypted member; method 9 is
    Deflate64. zipfile can write neither, and refuses to read both.
    """
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        local = zf.getinfo(name).header_offset
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + length] == name.encode():
            break
        central = data.find(b"PK\x01\x02", central + 1)
    for flags_at in (local + 6, central + 8):
        flags = int.from_bytes(data[flags_at : flags_at + 2], "little") | flag_bits
        data[flags_at : flags_at + 2] = flags.to_bytes(2, "little")
        if method is not None:
            data[flags_at + 2 : flags_at + 4] = method.to_bytes(2, "little")
    archive.write_bytes(bytes(data))


@pytest.fixture
def odd_archive(tmp_path):
    """A stored archive whose rows 1 and 2 are encrypted and Deflate64."""
    demo = make_emotion_dataset(12, dims={"lexical": 5}, random_state=0)
    archive = write_feature_set(demo, tmp_path / "set.zip")
    with zipfile.ZipFile(archive) as zf:
        table = pd.read_csv(zf.open("dataset.csv"), dtype=str)
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    members = [path.lstrip("/") for path in table["lexical_features"]]
    patch_member(archive, members[1], flag_bits=0x1)
    patch_member(archive, members[2], method=9)
    return archive, members


def test_what_zipfile_raises_for_such_members(odd_archive):
    # The reason for the named errors: zipfile's own are not input errors.
    archive, members = odd_archive
    with zipfile.ZipFile(archive) as zf:
        with pytest.raises(RuntimeError, match="encrypted"):
            zf.read(members[1])
        with pytest.raises(NotImplementedError):
            zf.read(members[2])


def test_encrypted_and_deflate64_members_are_named_errors(odd_archive):
    odd_archive, _ = odd_archive
    with pytest.raises(FeatureSetError, match="encrypted") as info:
        load_features(odd_archive)
    assert (info.value.row, info.value.problem) == (1, "unreadable")

    data = load_features(odd_archive, on_error="skip")
    skipped = data.report.skipped
    assert skipped["row"].tolist() == [1, 2]
    assert skipped["problem"].tolist() == ["unreadable", "unreadable"]
    assert "password" in skipped["reason"][0]
    assert "Deflate64" in skipped["reason"][1]
    assert len(data.data) == 10


@pytest.mark.parametrize(
    "flag_bits, method, message", [(1, None, "encrypted"), (0, 9, "Deflate64")]
)
def test_an_unreadable_table_member_is_a_named_error(
    tmp_path, flag_bits, method, message
):
    demo = make_emotion_dataset(8, dims={"lexical": 5}, random_state=0)
    archive = write_feature_set(demo, tmp_path / "set.zip")
    patch_member(archive, "dataset.csv", flag_bits=flag_bits, method=method)
    for on_error in ("raise", "skip"):
        with pytest.raises(sources.MemberUnreadable, match=message) as info:
            load_features(archive, on_error=on_error)
        assert "dataset.csv" in str(info.value) and str(archive) in str(info.value)
