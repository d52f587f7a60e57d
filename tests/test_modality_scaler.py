import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from sklearn_mmer import ModalityScaler


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    frames = [rng.normal(3.0, 2.0, size=(n, 4)).astype(np.float32) for n in (2, 5, 1)]
    return pd.DataFrame(
        {
            "acoustic": [frames[0], None, frames[1], frames[2]],
            "lexical": [np.array([1.0, 2.0]), np.array([3.0, 5.0]), np.nan, None],
        },
        index=["a", "b", "c", "d"],
    )


def test_frames_are_standardised_over_all_frames(table):
    scaler = ModalityScaler().fit(table)
    frames = np.concatenate([c for c in table["acoustic"] if c is not None])
    reference = StandardScaler().fit(frames)
    np.testing.assert_allclose(scaler.mean_[0], reference.mean_, rtol=1e-6)
    np.testing.assert_allclose(scaler.scale_[0], reference.scale_, rtol=1e-5)
    scaled = scaler.transform(table)
    stacked = np.concatenate([c for c in scaled["acoustic"] if c is not None])
    np.testing.assert_allclose(stacked, reference.transform(frames), atol=1e-5)
    assert scaler.n_samples_seen_.tolist() == [8, 2]


def test_missing_cells_stay_missing_and_shapes_are_kept(table):
    scaled = ModalityScaler().fit_transform(table)
    assert scaled.index.tolist() == table.index.tolist()
    assert scaled.columns.tolist() == table.columns.tolist()
    assert scaled.loc["b", "acoustic"] is None
    assert np.isnan(scaled.loc["c", "lexical"]) and scaled.loc["d", "lexical"] is None
    assert scaled.loc["c", "acoustic"].shape == (5, 4)
    assert scaled.loc["a", "acoustic"].dtype == np.float32
    np.testing.assert_allclose(scaled.loc["a", "lexical"], [-1.0, -1.0])


def test_numeric_table_keeps_nan_as_missing():
    X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 6.0]])
    scaled = ModalityScaler().fit_transform(X)
    assert np.isnan(scaled[1, 0])
    np.testing.assert_allclose(scaled[[0, 2], 0], [-1.0, 1.0])


def test_bad_cells_are_named(table):
    bad = table.copy()
    bad.loc["c", "acoustic"] = np.ones((3, 7))
    with pytest.raises(ValueError, match=r"row 'c'.*'acoustic'.*dimension 7"):
        ModalityScaler().fit(bad)
    scaler = ModalityScaler().fit(table)
    with pytest.raises(ValueError, match=r"row 'c'.*'acoustic'.*data seen in fit"):
        scaler.transform(bad)
    bad.loc["c", "acoustic"] = np.full((2, 4), np.inf)
    with pytest.raises(ValueError, match=r"row 'c'.*NaN or infinite"):
        ModalityScaler().fit(bad)
    with pytest.raises(ValueError, match="no cell in any row"):
        ModalityScaler().fit(table.assign(visual=None))


def test_without_mean_or_std(table):
    scaler = clone(ModalityScaler(with_mean=False, with_std=False)).fit(table)
    out = scaler.transform(table)
    np.testing.assert_allclose(out.loc["a", "acoustic"], table.loc["a", "acoustic"])
