"""Label names: labels.txt, target_names, and IEMOCAP's only where they fit."""

import zipfile

import numpy as np
import pandas as pd
import pytest

from sklearn_mmer import load_features, make_emotion_dataset, write_feature_set


@pytest.fixture
def binary_set(tmp_path):
    """A feature set on disk with 0/1 labels, as the MOSI data has."""
    demo = make_emotion_dataset(
        n_samples=24, dims={"acoustic": 4, "lexical": 6}, random_state=0
    )
    folder = write_feature_set(demo, tmp_path / "set", archive=False)
    table = pd.read_csv(folder / "dataset.csv", dtype=str, keep_default_na=False)
    table["emotion_labels"] = [str(i % 2) for i in range(len(table))]
    table.to_csv(folder / "dataset.csv", index=False)
    return folder


def test_a_binary_set_is_never_named_with_iemocap_emotions(binary_set):
    data = load_features(binary_set)
    assert data.target_names.tolist() == ["0", "1"]
    assert "anger" not in data.DESCR


def test_iemocap_names_only_for_exactly_its_four_codes(tmp_path):
    demo = make_emotion_dataset(n_samples=24, dims={"lexical": 4}, random_state=0)
    folder = write_feature_set(demo, tmp_path / "set", archive=False)
    assert load_features(folder).target_names.tolist() == [
        "anger", "sadness", "happiness", "neutral",
    ]  # fmt: skip


def test_labels_txt_beside_the_csv_names_the_labels(binary_set, tmp_path):
    (binary_set / "labels.txt").write_text("negative\npositive\n\n")
    data = load_features(binary_set)
    assert data.target_names.tolist() == ["negative", "positive"]
    np.testing.assert_array_equal(data.target, np.arange(24) % 2)
    # Given names win over the file.
    named = load_features(binary_set, target_names=["neg", "pos"])
    assert named.target_names.tolist() == ["neg", "pos"]
    # Inside a zip archive too.
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in binary_set.rglob("*"):
            if path.is_file():
                handle.write(path, path.relative_to(binary_set).as_posix())
    zipped = load_features(archive)
    assert zipped.target_names.tolist() == ["negative", "positive"]


def test_a_wrong_count_of_names_is_a_clear_error(binary_set):
    (binary_set / "labels.txt").write_text("negative\nneutral\npositive\n")
    with pytest.raises(ValueError, match=r"labels.txt gives 3 label names"):
        load_features(binary_set)
    (binary_set / "labels.txt").write_text("negative\nnegative\n")
    with pytest.raises(ValueError, match=r"\['negative'\] more than once"):
        load_features(binary_set)
    (binary_set / "labels.txt").unlink()
    with pytest.raises(ValueError, match="target_names gives 4 label names"):
        load_features(binary_set, target_names=["a", "b", "c", "d"])
