import numpy as np
import pandas as pd
import pytest
from conftest import ragged_frame
from sklearn.exceptions import NotFittedError

from sklearn_mmer import ModalitySelector, TemporalMeanPool, TemporalStatsPool


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    frames = ragged_frame(rng, 8, 4, name="visual")
    frames["lexical"] = [rng.normal(size=3) for _ in range(8)]
    return frames


# ModalitySelector -----------------------------------------------------------


def test_selector_keeps_named_columns_in_requested_order(table):
    selected = ModalitySelector(["lexical", "visual"]).fit_transform(table)
    assert list(selected.columns) == ["lexical", "visual"]
    assert selected.index.equals(table.index)
    assert selected["visual"].iloc[0] is table["visual"].iloc[0]  # no copies


def test_selector_single_name_gives_a_two_dimensional_table(table):
    selected = ModalitySelector("lexical").fit_transform(table)
    assert selected.shape == (8, 1)


def test_selector_none_keeps_everything(table):
    selector = ModalitySelector().fit(table)
    assert selector.modalities_ == ["visual", "lexical"]
    assert list(selector.get_feature_names_out()) == ["visual", "lexical"]


def test_selector_by_position_on_arrays():
    X = np.arange(12.0).reshape(4, 3)
    selector = ModalitySelector([2, 0]).fit(X)
    np.testing.assert_array_equal(selector.transform(X), X[:, [2, 0]])
    assert list(selector.get_feature_names_out()) == ["x2", "x0"]


def test_selector_unknown_name_lists_existing_columns(table):
    with pytest.raises(
        ValueError, match=r"Unknown modality 'audio'.*'visual', 'lexical'"
    ):
        ModalitySelector("audio").fit(table)


def test_selector_name_on_array_explains_the_fix():
    with pytest.raises(ValueError, match="needs a pandas DataFrame"):
        ModalitySelector("visual").fit(np.zeros((3, 2)))


def test_selector_position_out_of_range():
    with pytest.raises(ValueError, match="position 5 is out of range"):
        ModalitySelector(5).fit(np.zeros((3, 2)))


def test_selector_checks_columns_at_transform(table):
    selector = ModalitySelector("lexical").fit(table)
    with pytest.raises(ValueError, match="feature names"):
        selector.transform(table.rename(columns={"lexical": "text"}))


def test_selector_pandas_output(table):
    selector = ModalitySelector("visual").set_output(transform="pandas")
    out = selector.fit_transform(table)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["visual"]


# TemporalMeanPool -----------------------------------------------------------


def test_pool_equals_per_row_mean():
    rng = np.random.default_rng(1)
    X = ragged_frame(rng, 50, 7, max_frames=20)
    expected = np.stack([cell.mean(axis=0) for cell in X["frames"]])
    pooled = TemporalMeanPool().fit_transform(X)
    assert pooled.dtype == np.float32
    assert pooled.shape == (50, 7)
    np.testing.assert_allclose(pooled, expected, rtol=1e-6, atol=1e-6)


def test_pool_concatenates_columns_and_passes_vectors_through(table):
    pooled = TemporalMeanPool().fit_transform(table)
    assert pooled.shape == (8, 4 + 3)
    np.testing.assert_allclose(
        pooled[:, :4], np.stack([c.mean(0) for c in table["visual"]]), rtol=1e-6
    )
    np.testing.assert_allclose(pooled[:, 4:], np.stack(table["lexical"]), rtol=1e-6)


def test_pool_mixes_vectors_and_sequences_in_one_column():
    X = pd.DataFrame({"a": [np.array([1.0, 3.0]), np.array([[1.0, 1.0], [3.0, 5.0]])]})
    np.testing.assert_array_equal(TemporalMeanPool().fit_transform(X), [[1, 3], [2, 3]])


def test_pool_accepts_integer_frames_and_lists():
    X = pd.DataFrame({"a": [np.array([[1, 2], [3, 4]]), [[5, 6]]]})
    np.testing.assert_array_equal(TemporalMeanPool().fit_transform(X), [[2, 3], [5, 6]])


def test_pool_numeric_matrix_passes_through_as_float32():
    X = np.arange(6, dtype=np.float64).reshape(3, 2)
    pooled = TemporalMeanPool().fit_transform(X)
    assert pooled.dtype == np.float32
    np.testing.assert_array_equal(pooled, X)


def test_pool_feature_names_and_pandas_output(table):
    pool = TemporalMeanPool().set_output(transform="pandas")
    out = pool.fit_transform(table)
    assert list(out.columns) == [f"visual_mean_{j}" for j in range(4)] + [
        f"lexical_mean_{j}" for j in range(3)
    ]
    assert out.index.equals(table.index)
    assert pool.input_dims_ == (4, 3)


def test_pool_transform_before_fit():
    with pytest.raises(NotFittedError):
        TemporalMeanPool().transform(pd.DataFrame({"a": [np.zeros(2)]}))


@pytest.mark.parametrize(
    ("bad_cell", "message"),
    [
        (np.zeros((0, 4), dtype=np.float32), "zero frames"),
        (
            np.zeros((3, 5), dtype=np.float32),
            "dimension 5 differs from 4 in the other rows",
        ),
        (np.array([[0.0, np.nan, 0, 0]]), "NaN or infinite"),
        (np.array([[0.0, np.inf, 0, 0]]), "NaN or infinite"),
        (None, "cell is missing"),
        (np.nan, "cell is missing"),
        ("clip.npy", "expected a numeric array, got the string"),
        (np.array([["a", "b", "c", "d"]]), "expected a numeric array, got dtype <U1"),
        (np.zeros((2, 3, 4)), "expected a 2-D"),
    ],
)
def test_pool_bad_cell_names_row_and_column(bad_cell, message):
    X = ragged_frame(np.random.default_rng(2), 6, 4, name="visual")
    X.iloc[3, 0] = bad_cell
    with pytest.raises(ValueError, match=message) as error:
        TemporalMeanPool().fit(X)
    assert "row 'utt3' (position 3), column 'visual'" in str(error.value)


def test_pool_dimension_differing_from_fit():
    rng = np.random.default_rng(3)
    pool = TemporalMeanPool().fit(ragged_frame(rng, 5, 4, name="visual"))
    with pytest.raises(
        ValueError, match="dimension 6 differs from 4 in the data seen in fit"
    ):
        pool.transform(ragged_frame(rng, 5, 6, name="visual"))


def test_pool_dimension_error_names_the_odd_row_not_the_first():
    rng = np.random.default_rng(4)
    X = ragged_frame(rng, 5, 4, name="visual")
    X.iloc[0, 0] = rng.normal(size=(2, 9))
    with pytest.raises(ValueError, match=r"row 'utt0'.*dimension 9 differs from 4"):
        TemporalMeanPool().fit(X)


def test_pool_is_vectorised_one_reduction_per_column(monkeypatch):
    """Pooling must not reduce row by row; small columns take one reduction."""
    import sklearn_mmer.utils._frames as frames

    calls = []
    original = frames.segment_mean

    def counting_segment_mean(stacked, lengths):
        calls.append(len(lengths))
        return original(stacked, lengths)

    monkeypatch.setattr(frames, "segment_mean", counting_segment_mean)
    X = ragged_frame(np.random.default_rng(5), 40, 3, name="visual")
    X["acoustic"] = ragged_frame(np.random.default_rng(6), 40, 2)["frames"]
    TemporalMeanPool().fit_transform(X)
    assert calls == [40, 40]


def test_pool_large_columns_are_reduced_in_chunks_with_the_same_result(monkeypatch):
    import sklearn_mmer.utils._frames as frames

    X = ragged_frame(np.random.default_rng(7), 300, 16, max_frames=30)
    expected = TemporalMeanPool().fit_transform(X)
    monkeypatch.setattr(frames, "_CHUNK_BYTES", 4096)  # a few rows per chunk
    np.testing.assert_array_equal(TemporalMeanPool().fit_transform(X), expected)


# TemporalStatsPool ----------------------------------------------------------

ALL_STATS = ("mean", "std", "min", "max", "delta_mean")


def per_row_stats(cell):
    """The statistics of one sequence, the way a per-row loop computes them."""
    delta = np.abs(np.diff(cell, axis=0)).mean(0) if len(cell) > 1 else 0 * cell[0]
    return np.concatenate([cell.mean(0), cell.std(0), cell.min(0), cell.max(0), delta])


def test_stats_pool_equals_per_row_statistics():
    rng = np.random.default_rng(8)
    X = ragged_frame(rng, 60, 5, max_frames=20)
    X["frames"] = [cell * 10 + 50 for cell in X["frames"]]  # far from zero
    expected = np.stack([per_row_stats(cell) for cell in X["frames"]])
    pooled = TemporalStatsPool(ALL_STATS).fit_transform(X)
    assert pooled.dtype == np.float32
    assert pooled.shape == (60, 25)
    np.testing.assert_allclose(pooled, expected, rtol=1e-5, atol=1e-4)


def test_stats_pool_of_the_mean_alone_is_temporal_mean_pool(table):
    pool = TemporalStatsPool("mean").fit(table)
    np.testing.assert_array_equal(
        pool.transform(table), TemporalMeanPool().fit_transform(table)
    )
    assert list(pool.get_feature_names_out()) == list(
        TemporalMeanPool().fit(table).get_feature_names_out()
    )


def test_stats_pool_follows_the_order_given_and_names_each_block():
    X = pd.DataFrame({"acoustic": [np.array([[1.0, 2.0], [3.0, 8.0], [2.0, 5.0]])]})
    pool = TemporalStatsPool(("max", "delta_mean", "min")).fit(X)
    np.testing.assert_array_equal(pool.transform(X), [[3, 8, 1.5, 4.5, 1, 2]])
    assert list(pool.get_feature_names_out()) == [
        "acoustic_max_0",
        "acoustic_max_1",
        "acoustic_delta_mean_0",
        "acoustic_delta_mean_1",
        "acoustic_min_0",
        "acoustic_min_1",
    ]


def test_stats_pool_vector_columns_pass_through_once(table):
    pool = TemporalStatsPool(("mean", "std")).set_output(transform="pandas")
    out = pool.fit_transform(table)
    assert pool.column_stats_ == (("mean", "std"), ("mean",))
    assert out.shape == (8, 2 * 4 + 3)
    assert list(out.columns[-3:]) == [f"lexical_mean_{j}" for j in range(3)]
    np.testing.assert_allclose(out.iloc[:, -3:], np.stack(table["lexical"]), rtol=1e-6)


def test_stats_pool_vector_among_sequences_is_one_frame():
    X = pd.DataFrame({"a": [np.array([1.0, 3.0]), np.array([[1.0, 1.0], [3.0, 5.0]])]})
    pooled = TemporalStatsPool(ALL_STATS).fit_transform(X)
    np.testing.assert_array_equal(pooled[0], [1, 3, 0, 0, 1, 3, 1, 3, 0, 0])
    np.testing.assert_array_equal(pooled[1], [2, 3, 1, 2, 1, 1, 3, 5, 2, 4])


def test_stats_pool_sequences_at_transform_in_a_column_of_vectors():
    """A column fitted on vectors keeps its width: new frames are averaged."""
    pool = TemporalStatsPool(("mean", "std")).fit(
        pd.DataFrame({"a": [np.array([1.0, 2.0]), np.array([3.0, 4.0])]})
    )
    frames = pd.DataFrame({"a": [np.array([[1.0, 2.0], [3.0, 6.0]])]})
    np.testing.assert_array_equal(pool.transform(frames), [[2, 4]])


def test_stats_pool_chunks_give_the_same_result(monkeypatch):
    import sklearn_mmer.utils._frames as frames

    X = ragged_frame(np.random.default_rng(9), 200, 6, max_frames=30)
    expected = TemporalStatsPool(ALL_STATS).fit_transform(X)
    monkeypatch.setattr(frames, "_CHUNK_BYTES", 2048)  # a few rows per chunk
    np.testing.assert_array_equal(
        TemporalStatsPool(ALL_STATS).fit_transform(X), expected
    )


@pytest.mark.parametrize("stats", [("min",), ("max",), ("delta_mean",), ("std",)])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_stats_pool_any_non_finite_frame_names_its_row(stats, bad):
    X = ragged_frame(np.random.default_rng(10), 6, 4, name="visual")
    X.iloc[2, 0] = np.array([[0.0, 1.0, 2.0, bad]])  # one frame: std and delta 0
    with pytest.raises(ValueError, match="NaN or infinite") as error:
        TemporalStatsPool(stats).fit(X)
    assert "row 'utt2' (position 2), column 'visual'" in str(error.value)


def test_stats_pool_bad_cell_names_row_and_column():
    X = ragged_frame(np.random.default_rng(11), 6, 4, name="visual")
    X.iloc[4, 0] = np.zeros((3, 5), dtype=np.float32)
    with pytest.raises(ValueError, match=r"row 'utt4'.*dimension 5 differs from 4"):
        TemporalStatsPool().fit(X)


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        ("median", "'stats' parameter of TemporalStatsPool must be a str among"),
        (["median"], r"stats must name one or more of \['mean', 'std'"),
        ((), "stats must name one or more"),
        (("std", "mean", "std"), r"stats names \['std'\] more than once"),
    ],
)
def test_stats_pool_bad_stats(table, stats, message):
    with pytest.raises(ValueError, match=message):
        TemporalStatsPool(stats).fit(table)
