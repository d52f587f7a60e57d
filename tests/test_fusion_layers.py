"""The fusion modules: missing modalities never reach the output."""

import numpy as np
import pandas as pd
import pytest
import torch

from sklearn_mmer.neural_network._encoders import ENCODERS
from sklearn_mmer.neural_network._fusion_layers import (
    FUSIONS,
    FrameSequenceEncoder,
    MultimodalModule,
    drop_modalities,
)
from sklearn_mmer.neural_network._table import read_modalities

SIZES = [5, 3, 4]


def _batch(generator):
    X = torch.randn(8, sum(SIZES) + len(SIZES), generator=generator)
    X[:, -3:] = 1.0
    X[0, -2] = 0.0  # row 0 lacks modality 1
    X[1, -3] = X[1, -1] = 0.0  # row 1 has modality 1 only
    return X


@pytest.mark.parametrize("fusion", sorted(FUSIONS))
def test_a_missing_modality_never_changes_the_output(fusion):
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    module = MultimodalModule(
        SIZES, 3, fusion=fusion, encoder_layer_sizes=(8,), hidden_layer_sizes=(8,)
    ).eval()
    X = _batch(generator)
    changed = X.clone()
    changed[0, 5:8] = 100.0  # the cells of modality 1, missing in row 0
    changed[1, 0:5] = -50.0  # and of modality 0, missing in row 1
    changed[1, 8:12] = 7.0
    with torch.no_grad():
        out, out_changed = module(X), module(changed)
    assert out.shape == (8, 3) and torch.isfinite(out).all()
    torch.testing.assert_close(out[:2], out_changed[:2])
    # A present modality does change it.
    changed[2, 5:8] = 100.0
    with torch.no_grad():
        assert not torch.allclose(module(changed)[2], out[2])


def test_modality_dropout_never_drops_every_modality_of_a_row():
    torch.manual_seed(0)
    present = torch.rand(5000, 3) < 0.5
    present[~present.any(dim=1), 0] = True
    for rate in (0.3, 0.9, 0.999):
        kept = drop_modalities(present, rate)
        assert kept.any(dim=1).all()
        assert not (kept & ~present).any()  # never invents a modality
    full = torch.ones(5000, 3, dtype=torch.bool)
    share = drop_modalities(full, 0.3).float().mean().item()
    # 70% kept, plus the rescued 0.3**3 of rows that would lose all three.
    assert 0.69 < share < 0.73


@pytest.mark.parametrize("encoder", ENCODERS)
def test_frame_sequence_encoder_ignores_padding(encoder):
    torch.manual_seed(0)
    module = FrameSequenceEncoder(
        4, (6,), encoder=encoder, hidden_size=8, n_heads=2, dropout=0.5
    ).eval()
    frames = torch.randn(1, 3, 4)
    padded = torch.cat([frames, torch.full((1, 5, 4), 1e3)], dim=1)
    mask = torch.tensor([[True] * 3 + [False] * 5])
    alone = module(frames, torch.ones(1, 3, dtype=torch.bool))
    assert alone.shape == (1, 6)
    torch.testing.assert_close(module(padded, mask), alone, rtol=1e-5, atol=1e-5)


def test_frame_modalities_come_as_padded_frames_beside_the_vectors():
    torch.manual_seed(0)
    module = MultimodalModule(
        [3, 4],
        2,
        encoder_layer_sizes=(8,),
        frame_modalities=[True, False],
        sequence_params={"encoder": "gru", "hidden_size": 5},
    ).eval()
    assert isinstance(module.encoders[0], FrameSequenceEncoder)
    X = torch.cat([torch.randn(2, 4), torch.ones(2, 2)], dim=1)  # lexical, presence
    frames = torch.randn(2, 6, 3)
    mask = torch.tensor([[True] * 6, [True] * 2 + [False] * 4])
    with torch.no_grad():
        out = module(X, [frames], [mask])
        X[1, -2] = 0.0  # row 1's frames are missing: they must not count
        hidden = module(X, [frames], [mask])[1]
        frames[1] = 100.0
        torch.testing.assert_close(module(X, [frames], [mask])[1], hidden)
    assert out.shape == (2, 2) and torch.isfinite(out).all()


def test_tensor_fusion_too_wide_points_at_low_rank():
    with pytest.raises(ValueError, match="low_rank"):
        MultimodalModule([2] * 6, 2, fusion="tensor", encoder_layer_sizes=(32,))


def test_table_is_read_into_vectors_and_presence():
    X = pd.DataFrame(
        {
            "visual": [np.ones((3, 2)), None, np.array([[1.0, 3.0]])],
            "lexical": [np.arange(3.0), np.ones(3), np.nan],
            "score": [0.5, np.nan, 2.0],
        },
        index=["u0", "u1", "u2"],
    )
    blocks = read_modalities([X[c].to_numpy() for c in X], X.columns, X.index)
    np.testing.assert_array_equal(blocks.present, [[1, 1, 1], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_allclose(blocks.blocks[0], [[1, 1], [0, 0], [1, 3]])
    assert blocks.as_matrix().shape == (3, 2 + 3 + 1 + 3)
    with pytest.raises(ValueError, match=r"row 'u1' \(position 1\) has no modality"):
        read_modalities(
            [X[c].to_numpy() for c in ("visual", "score")], ["visual", "score"], X.index
        )
    with pytest.raises(
        ValueError, match=r"row 'u0'.*'visual'.*dimension 2 differs from 5"
    ):
        read_modalities([X["visual"].to_numpy()], ["visual"], X.index, [5])
