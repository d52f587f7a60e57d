"""load_features and write_feature_set: round trips, layouts, bad input."""

import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_mmer import (
    TemporalMeanPool,
    TemporalStatsPool,
    load_features,
    make_emotion_dataset,
    write_feature_set,
)
from sklearn_mmer.datasets import PROBLEMS, FeatureSetError, LoadReport

DIMS = {"visual": 6, "acoustic": 4, "lexical": 5}
FRAMES = {"visual": (2, 7), "acoustic": (1, 4)}


def small_demo(n_samples=24, missing_rate=0.0, random_state=0):
    return make_emotion_dataset(
        n_samples,
        dims=DIMS,
        n_frames=FRAMES,
        missing_rate=missing_rate,
        random_state=random_state,
    )


def zip_folder(folder, archive, *, under="", compression=zipfile.ZIP_STORED):
    """Zip a folder's contents, optionally below a top-level folder ``under``."""
    with zipfile.ZipFile(archive, "w", compression=compression) as zf:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                zf.write(path, under + path.relative_to(folder).as_posix())
    return archive


def assert_same_cells(expected, loaded):
    assert list(loaded.columns) == list(expected.columns)
    assert list(loaded.index) == list(expected.index)
    for column in expected.columns:
        for want, got in zip(expected[column], loaded[column], strict=True):
            if want is None:
                assert got is None
            else:
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want)


@pytest.fixture
def demo():
    return small_demo(missing_rate=0.2)


@pytest.fixture
def folder(tmp_path):
    """A small feature set written as a folder, to be corrupted by tests."""
    return write_feature_set(small_demo(), tmp_path / "set", archive=False)


def read_csv(folder):
    return pd.read_csv(folder / "dataset.csv", dtype=str, keep_default_na=False)


def write_csv(folder, table):
    table.to_csv(folder / "dataset.csv", index=False)


def as_source(folder, kind, tmp_path):
    return folder if kind == "folder" else zip_folder(folder, tmp_path / "set.zip")


# -- round trips --------------------------------------------------------------


@pytest.mark.parametrize("archive", [True, False])
def test_write_then_load_gives_back_the_data(demo, tmp_path, archive):
    target = tmp_path / ("set.zip" if archive else "set")
    written = write_feature_set(demo, target, archive=archive)
    assert written == target
    assert written.is_file() == archive

    loaded = load_features(written)

    assert_same_cells(demo.data, loaded.data)
    np.testing.assert_array_equal(loaded.target, demo.target)
    assert loaded.target.dtype.kind == "i"
    np.testing.assert_array_equal(loaded.groups, demo.groups)
    np.testing.assert_array_equal(loaded.sessions, demo.sessions)
    assert loaded.target_names.tolist() == demo.target_names.tolist()
    assert loaded.data.index.name == "utterance"
    report = loaded.report
    assert isinstance(report, LoadReport)
    assert (report.n_rows, report.n_loaded, report.n_skipped) == (24, 24, 0)
    assert report.skipped.empty
    n_missing = demo.data.isna().sum()
    assert report.modalities["missing"].to_dict() == n_missing.to_dict()
    assert report.modalities["dim"].to_dict() == DIMS
    assert report.modalities.loc["lexical", "shape"] == "(5,)"
    assert report.modalities.loc["visual", "shape"] == "(frames, 6)"
    assert "Loaded 24 of 24 rows" in str(report)
    assert "24 utterances by" in loaded.DESCR


def test_zip_is_read_in_place(demo, tmp_path):
    archive = write_feature_set(demo, tmp_path / "set.zip")
    load_features(archive)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set.zip"]


def test_a_folder_of_dataset_csv_beside_features_zip_reads_the_archive(demo, tmp_path):
    # The way shared sets are often shipped: the folder names the set.
    archive = write_feature_set(demo, tmp_path / "set" / "features.zip")
    with zipfile.ZipFile(archive) as zf:
        table = zf.read("dataset.csv")
    _drop_member(archive, "dataset.csv")
    (archive.parent / "dataset.csv").write_bytes(table)
    from_folder = load_features(archive.parent)
    from_archive = load_features(archive, archive.parent / "dataset.csv")
    pd.testing.assert_index_equal(from_folder.data.index, from_archive.data.index)
    np.testing.assert_array_equal(from_folder.target, from_archive.target)
    cell = from_folder.data["acoustic"].iloc[0]
    np.testing.assert_array_equal(cell, from_archive.data["acoustic"].iloc[0])


def _drop_member(archive, name):
    with zipfile.ZipFile(archive) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(archive, "w") as zf:
        for info, data in members:
            if info.filename != name:
                zf.writestr(info, data)


def test_csv_paths_are_root_relative(demo, tmp_path):
    archive = write_feature_set(demo, tmp_path / "set.zip")
    with zipfile.ZipFile(archive) as zf:
        table = pd.read_csv(zf.open("dataset.csv"), dtype=str, keep_default_na=False)
        names = set(zf.namelist())
    paths = [p for p in table["visual_features"] if p]
    assert all(p.startswith("/features/visual_features/Session") for p in paths)
    assert all(p.lstrip("/") in names for p in paths)


def test_string_labels_round_trip(tmp_path):
    demo = small_demo()
    names = np.array(["anger", "sadness", "happiness", "neutral"], dtype=object)
    demo.target = names[demo.target]
    loaded = load_features(write_feature_set(demo, tmp_path / "set.zip"))
    np.testing.assert_array_equal(loaded.target, demo.target)
    assert loaded.target_names.tolist() == sorted(set(demo.target))


def test_other_dtypes_and_shapes_are_kept(tmp_path):
    demo = small_demo(6)
    rng = np.random.RandomState(0)
    demo.data["visual"] = [rng.normal(size=(3, 6)) for _ in range(6)]  # float64
    demo.data["acoustic"] = [rng.randint(9, size=(2, 4)) for _ in range(6)]
    loaded = load_features(write_feature_set(demo, tmp_path / "set", archive=False))
    assert_same_cells(demo.data, loaded.data)


# -- where the table and the files are ------------------------------------------


def test_csv_given_as_a_file_next_to_the_features(folder, tmp_path):
    shutil.move(folder / "dataset.csv", tmp_path / "table.csv")
    with pytest.raises(ValueError, match="No csv= given"):
        load_features(folder)
    loaded = load_features(folder, tmp_path / "table.csv")
    assert loaded.report.csv == str(tmp_path / "table.csv")
    assert loaded.report.n_loaded == 24


def test_csv_named_inside_the_archive(folder, tmp_path):
    archive = zip_folder(folder, tmp_path / "set.zip")
    loaded = load_features(archive, "dataset.csv")
    assert loaded.report.csv.endswith("set.zip!dataset.csv")
    with pytest.raises(FileNotFoundError, match=r"other\.csv"):
        load_features(archive, "other.csv")


def test_csv_found_next_to_the_archive(folder, tmp_path):
    (folder / "dataset.csv").rename(tmp_path / "features.csv")
    archive = zip_folder(folder, tmp_path / "features.zip")
    assert load_features(archive).report.csv == str(tmp_path / "features.csv")


def test_csv_found_next_to_the_features_folder(folder):
    # The user points at features/ itself; dataset.csv sits beside it.
    loaded = load_features(folder / "features")
    assert loaded.report.n_loaded == 24


def test_several_csv_files_are_ambiguous(folder):
    (folder / "dataset.csv").rename(folder / "a.csv")
    shutil.copy(folder / "a.csv", folder / "b.csv")
    with pytest.raises(ValueError, match=r"several CSV files \['a.csv', 'b.csv'\]"):
        load_features(folder)
    assert load_features(folder, folder / "b.csv").report.n_loaded == 24


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda p: p.lstrip("/"),  # relative
        lambda p: p.replace("/", "\\"),  # written on Windows
        lambda p: "/home/someone/iemocap" + p,  # written on another machine
    ],
    ids=["relative", "backslashes", "other-root"],
)
@pytest.mark.parametrize("kind", ["zip", "folder"])
def test_csv_path_variants_resolve(folder, tmp_path, rewrite, kind):
    table = read_csv(folder)
    for column in ["visual_features", "acoustic_features", "lexical_features"]:
        table[column] = [rewrite(p) for p in table[column]]
    write_csv(folder, table)
    loaded = load_features(as_source(folder, kind, tmp_path))
    assert loaded.report.n_loaded == 24
    assert_same_cells(load_features(folder, pool=None).data, loaded.data)


def test_archive_of_the_features_folder_contents(folder, tmp_path):
    archive = zip_folder(folder / "features", tmp_path / "features.zip")
    loaded = load_features(archive, folder / "dataset.csv")
    assert loaded.report.n_loaded == 24


def test_archive_wrapped_in_a_top_folder(folder, tmp_path):
    archive = zip_folder(folder, tmp_path / "set.zip", under="my_set/")
    loaded = load_features(archive)
    assert loaded.report.n_loaded == 24


def test_csv_with_a_byte_order_mark(folder):
    # As spreadsheets save UTF-8 CSV files; it must not stick to the first
    # column's name (pandas' parser drops it).
    csv = folder / "dataset.csv"
    csv.write_bytes(b"\xef\xbb\xbf" + csv.read_bytes())
    assert load_features(folder).report.n_loaded == 24


def test_table_passed_as_the_features_gets_a_hint(folder):
    with pytest.raises(ValueError, match="pass the features first, the CSV second"):
        load_features(folder / "dataset.csv")


def test_compressed_archive_reads_the_same(folder, tmp_path):
    archive = zip_folder(folder, tmp_path / "set.zip", compression=zipfile.ZIP_DEFLATED)
    assert_same_cells(load_features(folder).data, load_features(archive).data)


def test_corrupt_archive_member_is_a_bad_row(folder, tmp_path):
    archive = zip_folder(folder, tmp_path / "set.zip")
    name = read_csv(folder)["lexical_features"][ROW].lstrip("/")
    with zipfile.ZipFile(archive) as zf:
        member = zf.getinfo(name)
    # Flip a byte inside the stored member: zipfile's CRC check catches it.
    data = bytearray(archive.read_bytes())
    data[member.header_offset + 30 + len(name.encode()) + 100] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(FeatureSetError, match="Bad CRC-32") as info:
        load_features(archive)
    assert (info.value.row, info.value.problem) == (ROW, "unreadable")
    loaded = load_features(archive, on_error="skip")
    assert loaded.report.skipped["problem"].tolist() == ["unreadable"]


def test_missing_features_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_features(tmp_path / "nowhere.zip")
    (tmp_path / "plain.txt").write_text("not an archive")
    with pytest.raises(ValueError, match="neither a folder nor a zip archive"):
        load_features(tmp_path / "plain.txt")


# -- modalities, labels, sessions ----------------------------------------------


def test_missing_cells_are_kept_as_none(tmp_path):
    demo = small_demo(missing_rate=0.3)
    loaded = load_features(write_feature_set(demo, tmp_path / "set.zip"))
    assert loaded.report.n_loaded == 24
    for column in ["visual", "acoustic"]:
        missing = demo.data[column].isna().to_numpy()
        assert missing.any()
        np.testing.assert_array_equal(loaded.data[column].isna().to_numpy(), missing)


def test_a_column_empty_in_every_row_is_an_absent_modality(folder):
    table = read_csv(folder)
    table["visual_features"] = ""
    write_csv(folder, table)
    loaded = load_features(folder)
    assert list(loaded.data.columns) == ["acoustic", "lexical"]
    assert loaded.report.absent_modalities == ("visual_features",)
    assert "visual_features" in str(loaded.report)
    with pytest.raises(ValueError, match=r"\['visual'\] are empty in every row"):
        load_features(folder, modalities=["visual"])


def test_modalities_picks_and_orders_columns(folder):
    loaded = load_features(folder, modalities=["lexical", "acoustic_features"])
    assert list(loaded.data.columns) == ["lexical", "acoustic"]
    with pytest.raises(ValueError, match=r"Unknown modalities \['face'\]"):
        load_features(folder, modalities=["face"])


def test_other_modality_names_are_read(folder):
    table = read_csv(folder).rename(columns={"visual_features": "face_features"})
    write_csv(folder, table)
    assert list(load_features(folder).data.columns) == ["face", "acoustic", "lexical"]


def test_target_names_override_the_iemocap_names(folder):
    table = read_csv(folder)
    table["emotion_labels"] = [str(i % 2) for i in range(len(table))]
    write_csv(folder, table)
    default = load_features(folder)
    # 0/1 labels are not IEMOCAP's four codes: shown as they are.
    assert default.target_names.tolist() == ["0", "1"]
    loaded = load_features(folder, target_names=["negative", "positive"])
    assert loaded.target_names.tolist() == ["negative", "positive"]
    np.testing.assert_array_equal(loaded.target, np.arange(24) % 2)
    with pytest.raises(FeatureSetError, match=r"label 1 is not in 0..0"):
        load_features(folder, target_names=["negative"])
    with pytest.raises(TypeError, match="list of label names"):
        load_features(folder, target_names="negative")


def test_string_labels_checked_against_target_names(folder):
    table = read_csv(folder)
    table["emotion_labels"] = ["pos", "neg"] * 11 + ["meh", "pos"]
    write_csv(folder, table)
    loaded = load_features(folder)
    assert loaded.target_names.tolist() == ["meh", "neg", "pos"]
    assert loaded.target.dtype == object
    with pytest.raises(FeatureSetError, match="label 'meh' is not one of target_names"):
        load_features(folder, target_names=["neg", "pos"])


def test_sessions_from_paths_when_ids_do_not_tell(folder):
    table = read_csv(folder)
    table["file_name_list"] = [f"utt{i}" for i in range(len(table))]
    write_csv(folder, table)
    loaded = load_features(folder)
    expected = [p.split("/")[3] for p in table["visual_features"]]
    assert loaded.sessions.tolist() == expected
    for column in ["visual_features", "acoustic_features", "lexical_features"]:
        table[column] = [p.replace("/Session", "/S") for p in table[column]]
    write_csv(folder, table)
    for path in list((folder / "features").rglob("Session*")):
        path.rename(path.with_name(path.name.replace("Session", "S")))
    assert load_features(folder).sessions is None


def test_return_X_y_keeps_speakers_reachable(folder):
    bunch = load_features(folder)
    X, y = load_features(folder, return_X_y=True)
    assert_same_cells(bunch.data, X)
    np.testing.assert_array_equal(y, bunch.target)
    np.testing.assert_array_equal(X.index.map(X.attrs["speakers"]), bunch.groups)
    part = X.iloc[[5, 1, 9]]
    np.testing.assert_array_equal(
        part.index.map(part.attrs["speakers"]), bunch.groups[[5, 1, 9]]
    )


# -- pooling while reading -------------------------------------------------------


@pytest.mark.parametrize("kind", ["zip", "folder"])
def test_pool_mean_equals_load_then_temporal_mean_pool(tmp_path, kind):
    demo = small_demo(30, random_state=3)
    rng = np.random.RandomState(0)
    # float64, int, a single feature over long sequences, 1-D vectors.
    demo.data["visual"] = [rng.normal(size=(n, 6)) * 100 for n in range(1, 31)]
    demo.data["counts"] = [rng.randint(-50, 50, size=(n, 3)) for n in range(1, 31)]
    demo.data["pitch"] = [
        rng.normal(size=(n, 1)).astype(np.float32) for n in rng.randint(1, 3000, 30)
    ]
    written = write_feature_set(demo, tmp_path / "set", archive=False)
    source = as_source(written, kind, tmp_path)

    pooled = load_features(source, pool="mean")
    expected = TemporalMeanPool().fit_transform(load_features(source).data)

    got = TemporalMeanPool().fit_transform(pooled.data)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    for column in pooled.data.columns:
        cells = pooled.data[column]
        assert all(c.ndim == 1 and c.dtype == np.float32 for c in cells)
        # All cells of a modality are rows of one matrix, not separate copies.
        assert len({id(c.base) for c in cells}) == 1
    assert pooled.report.pool == "mean"
    assert pooled.report.modalities.loc["visual", "shape"] == "(frames, 6)"
    assert pooled.report.modalities.loc["visual", "max_frames"] == 30


@pytest.mark.parametrize("case", ["other_dimension", "nan", "zero_frames"])
def test_pool_mean_with_bad_rows_skips_the_same_rows(folder, case):
    BAD_ROWS[case](folder)
    pooled = load_features(folder, pool="mean", on_error="skip")
    loaded = load_features(folder, on_error="skip")
    assert pooled.report.skipped.equals(loaded.report.skipped)
    assert pooled.data.index.equals(loaded.data.index)
    np.testing.assert_array_equal(
        TemporalMeanPool().fit_transform(pooled.data),
        TemporalMeanPool().fit_transform(loaded.data),
    )


def test_pool_stats_equals_load_then_temporal_stats_pool(tmp_path):
    demo = small_demo(20, random_state=4)
    rng = np.random.RandomState(0)
    # Frames with a few 1-D vectors among them (each a sequence of one frame).
    demo.data["visual"] = [
        rng.normal(size=(n, 5)) if n % 4 else rng.normal(size=5) for n in range(1, 21)
    ]
    source = write_feature_set(demo, tmp_path / "s.zip")
    stats = ("max", "std", "delta_mean")

    pooled = load_features(source, pool=stats)
    expected = TemporalStatsPool(stats).fit_transform(load_features(source).data)

    # Modalities of vectors stay vectors; pooled cells pass through the mean.
    np.testing.assert_array_equal(
        TemporalMeanPool().fit_transform(pooled.data), expected
    )
    assert pooled.data["visual"].iloc[0].shape == (15,)
    assert pooled.data["lexical"].iloc[0].shape == demo.data["lexical"].iloc[0].shape
    assert pooled.report.pool == stats
    assert "frames pooled: max, std, delta_mean" in pooled.DESCR


def test_pool_mean_keeps_missing_cells(tmp_path):
    demo = small_demo(missing_rate=0.3)
    pooled = load_features(write_feature_set(demo, tmp_path / "s.zip"), pool="mean")
    np.testing.assert_array_equal(
        pooled.data["visual"].isna().to_numpy(), demo.data["visual"].isna().to_numpy()
    )


def test_bad_options_raise(folder):
    with pytest.raises(ValueError, match=r"pool must name one or more of \['mean'"):
        load_features(folder, pool="median")
    with pytest.raises(ValueError, match=r"pool names \['std'\] more than once"):
        load_features(folder, pool=("std", "std"))
    with pytest.raises(ValueError, match="on_error must be 'raise' or 'skip'"):
        load_features(folder, on_error="ignore")


# -- bad rows ------------------------------------------------------------------
# Each corruption changes row 3 (CSV line 5) and returns the column at fault.
ROW = 3


def cell_path(folder, column):
    return folder / read_csv(folder)[column][ROW].lstrip("/")


def corrupt_file(make_bytes, column="visual_features"):
    def corrupt(folder):
        path = cell_path(folder, column)
        path.write_bytes(make_bytes(path.read_bytes()))
        return column

    return corrupt


def save_array(array, column="visual_features"):
    def corrupt(folder):
        np.save(cell_path(folder, column), array, allow_pickle=True)
        return column

    return corrupt


def delete_file(folder):
    cell_path(folder, "acoustic_features").unlink()
    return "acoustic_features"


def set_cell(column, value):
    def corrupt(folder):
        table = read_csv(folder)
        table.loc[ROW, column] = value
        write_csv(folder, table)
        return column

    return corrupt


def duplicate_first_id(folder):
    return set_cell("file_name_list", read_csv(folder)["file_name_list"][0])(folder)


def nan_frame(folder):
    path = cell_path(folder, "visual_features")
    array = np.load(path)
    array[1, 2] = np.nan
    np.save(path, array)
    return "visual_features"


def inf_vector(folder):
    path = cell_path(folder, "lexical_features")
    array = np.load(path)
    array[0] = -np.inf
    np.save(path, array)
    return "lexical_features"


BAD_ROWS = {
    "missing_file": delete_file,
    "truncated": corrupt_file(lambda data: data[: len(data) - 7]),
    "garbage": corrupt_file(lambda data: b"not an npy file at all" * 4),
    "pickled_objects": save_array(np.array([None, {"a": 1}], dtype=object)),
    "strings": save_array(np.array([["a", "b"], ["c", "d"]])),
    "three_dims": save_array(np.zeros((2, 3, 6), dtype=np.float32)),
    "zero_frames": save_array(np.zeros((0, 6), dtype=np.float32)),
    "other_dimension": save_array(np.zeros((4, 7), dtype=np.float32)),
    "nan": nan_frame,
    "inf": inf_vector,
    "label_out_of_range": set_cell("emotion_labels", "-1"),
    "label_not_an_integer": set_cell("emotion_labels", "happy"),
    "label_empty": set_cell("emotion_labels", ""),
    "duplicated_id": duplicate_first_id,
    "id_empty": set_cell("file_name_list", ""),
    "speaker_empty": set_cell("speakers", ""),
}
EXPECTED_PROBLEM = {
    "missing_file": ("missing_file", "no such file"),
    "truncated": ("unreadable", "cannot be read as a .npy array"),
    "garbage": ("unreadable", "cannot be read as a .npy array"),
    "pickled_objects": ("unreadable", "cannot be read as a .npy array"),
    "strings": ("non_numeric", "holds <U1 values, not numbers"),
    "three_dims": ("bad_shape", r"got shape \(2, 3, 6\)"),
    "zero_frames": ("empty_array", r"shape \(0, 6\) has zero frames"),
    "other_dimension": ("dimension", "feature dimension 7 differs from 6"),
    "nan": ("non_finite", "NaN or infinite"),
    "inf": ("non_finite", "NaN or infinite"),
    "label_out_of_range": ("unknown_label", r"label -1 is not in 0..3"),
    "label_not_an_integer": ("unknown_label", "'happy' is not an integer"),
    "label_empty": ("missing_label", "the label is empty"),
    "duplicated_id": ("duplicate_id", "also appears on line"),
    "id_empty": ("missing_id", "the utterance id is empty"),
    "speaker_empty": ("missing_speaker", "the speaker is empty"),
}
FILE_PROBLEMS = {
    "missing_file",
    "unreadable",
    "non_numeric",
    "bad_shape",
    "empty_array",
    "dimension",
    "non_finite",
}


@pytest.mark.parametrize("kind", ["zip", "folder"])
@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_raises_naming_line_column_and_path(folder, tmp_path, case, kind):
    good = load_features(folder)
    table = read_csv(folder)
    column = BAD_ROWS[case](folder)
    problem, reason = EXPECTED_PROBLEM[case]
    path = table[column][ROW] if problem in FILE_PROBLEMS else ""
    # A duplicated id blames its first row: the one that came first.
    row = 0 if case == "duplicated_id" else ROW

    with pytest.raises(FeatureSetError, match=reason) as info:
        load_features(as_source(folder, kind, tmp_path))

    error = info.value
    assert isinstance(error, ValueError)
    assert (error.row, error.line, error.column, error.problem) == (
        row,
        row + 2,
        column,
        problem,
    )
    assert error.path == path
    assert error.utterance == read_csv(folder)["file_name_list"][row]
    message = str(error)
    assert f"line {row + 2} (row {row}, utterance " in message
    assert f"column {column!r}" in message
    assert path in message
    assert "on_error='skip'" in message
    assert good.report.n_loaded == 24  # the fixture itself was fine


@pytest.mark.parametrize("kind", ["zip", "folder"])
@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_skipped_and_reported(folder, tmp_path, case, kind, caplog):
    good = load_features(folder)
    table = read_csv(folder)
    column = BAD_ROWS[case](folder)
    problem, reason = EXPECTED_PROBLEM[case]
    bad_rows = [0, ROW] if case == "duplicated_id" else [ROW]

    with caplog.at_level(logging.WARNING, logger="sklearn_mmer"):
        loaded = load_features(as_source(folder, kind, tmp_path), on_error="skip")

    kept = [i for i in range(24) if i not in bad_rows]
    assert loaded.report.n_loaded == len(kept)
    assert loaded.report.n_skipped == len(bad_rows)
    expected_ids = table["file_name_list"].to_numpy()[kept]
    assert loaded.data.index.tolist() == expected_ids.tolist()
    assert_same_cells(good.data.iloc[kept], loaded.data)
    np.testing.assert_array_equal(loaded.target, good.target[kept])
    np.testing.assert_array_equal(loaded.groups, good.groups[kept])

    skipped = loaded.report.skipped
    assert skipped["row"].tolist() == bad_rows
    assert skipped["line"].tolist() == [r + 2 for r in bad_rows]
    assert set(skipped["column"]) == {column}
    assert set(skipped["problem"]) == {problem}
    assert problem in PROBLEMS
    assert skipped["reason"].str.contains(reason).all()
    if problem in FILE_PROBLEMS:
        assert skipped["path"].tolist() == [table[column][ROW]]
    assert f"Rows left out: {len(bad_rows)}" in str(loaded.report)

    warnings = [r for r in caplog.records if r.name == "sklearn_mmer"]
    assert len(warnings) == 1
    assert f"left out {len(bad_rows)} of 24 rows" in warnings[0].getMessage()
    assert problem in warnings[0].getMessage()


def test_every_problem_of_a_row_is_listed(folder):
    delete_file(folder)
    nan_frame(folder)
    loaded = load_features(folder, on_error="skip")
    assert loaded.report.n_skipped == 1
    assert loaded.report.skipped["problem"].tolist() == ["non_finite", "missing_file"]


def test_nothing_left_to_load_raises(folder):
    table = read_csv(folder)
    table["emotion_labels"] = "-1"
    write_csv(folder, table)
    with pytest.raises(ValueError, match=r"No row of .* could be loaded"):
        load_features(folder, on_error="skip")


# -- problems with the table as a whole: always raised ---------------------------


@pytest.mark.parametrize("on_error", ["raise", "skip"])
@pytest.mark.parametrize(
    "column", ["file_name_list", "speakers", "emotion_labels", "features"]
)
def test_missing_required_column_raises(folder, column, on_error):
    table = read_csv(folder)
    dropped = [c for c in table.columns if c.endswith(column)]
    write_csv(folder, table.drop(columns=dropped))
    with pytest.raises(ValueError, match="lacks the required column") as info:
        load_features(folder, on_error=on_error)
    assert "<modality>_features" in str(info.value) or column in str(info.value)
    assert not isinstance(info.value, FeatureSetError)


@pytest.mark.parametrize("on_error", ["raise", "skip"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("file_name_list,speakers,x_features,emotion_labels\n", "no rows"),
    ],
)
def test_empty_csv_raises(folder, content, message, on_error):
    (folder / "dataset.csv").write_text(content)
    with pytest.raises(ValueError, match=message):
        load_features(folder, on_error=on_error)


def test_every_feature_column_empty_raises(folder):
    table = read_csv(folder)
    for column in ["visual_features", "acoustic_features", "lexical_features"]:
        table[column] = ""
    write_csv(folder, table)
    with pytest.raises(ValueError, match=r"Every feature column .* is empty"):
        load_features(folder, on_error="skip")


# -- write_feature_set ----------------------------------------------------------


def test_write_refuses_to_overwrite_unless_asked(tmp_path):
    demo = small_demo()
    archive = write_feature_set(demo, tmp_path / "set.zip")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_feature_set(demo, archive)
    other = small_demo(random_state=1)
    write_feature_set(other, archive, overwrite=True)
    assert_same_cells(other.data, load_features(archive).data)

    folder = write_feature_set(demo, tmp_path / "set", archive=False)
    stale = folder / "features" / "visual_features" / "stale.npy"
    stale.write_bytes(b"x")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_feature_set(demo, folder, archive=False)
    write_feature_set(other, folder, archive=False, overwrite=True)
    assert not stale.exists()
    assert_same_cells(other.data, load_features(folder).data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set", "set.zip"]


@pytest.mark.parametrize(
    ("utterance", "message"),
    [
        ("a/b", "cannot be a file name"),
        ("", "is not a name"),
        (" x", "cannot be a file name"),
        ("<row 0>", "appears twice"),
    ],
)
def test_write_rejects_ids_that_cannot_name_files(tmp_path, utterance, message):
    demo = small_demo(4)
    ids = demo.data.index.tolist()
    ids[2] = ids[0] if utterance == "<row 0>" else utterance
    demo.data.index = ids
    with pytest.raises(ValueError, match=message):
        write_feature_set(demo, tmp_path / "set.zip")
    assert not list(tmp_path.iterdir())


def test_write_rejects_cells_that_are_not_arrays(tmp_path):
    demo = small_demo(4)
    demo.data.loc[demo.data.index[1], "lexical"] = "text"
    with pytest.raises(ValueError, match="column 'lexical': expected a numeric"):
        write_feature_set(demo, tmp_path / "set.zip")
    assert not list(tmp_path.iterdir())


def test_write_without_sessions_puts_files_under_the_modality(tmp_path):
    demo = small_demo(4)
    demo.data.index = ["a", "b", "c", "d"]
    del demo["sessions"]
    folder = write_feature_set(demo, tmp_path / "set", archive=False)
    assert (folder / "features" / "lexical_features" / "a.npy").is_file()
    loaded = load_features(folder)
    assert loaded.sessions is None
    assert_same_cells(demo.data, loaded.data)
