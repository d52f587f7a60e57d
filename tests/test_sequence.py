import itertools

import pytest
import torch

from sklearn_mmer.neural_network._encoders import (
    ENCODERS,
    POOLINGS,
    SequenceEncoder,
)

# Encoders --------------------------------------------------------------------


def _padded_batch(sequences):
    """Right-pad ``[T_i, D]`` tensors into ``[B, T, D]`` with a mask."""
    longest = max(len(s) for s in sequences)
    x = torch.zeros(len(sequences), longest, sequences[0].shape[1])
    mask = torch.zeros(len(sequences), longest, dtype=torch.bool)
    for i, sequence in enumerate(sequences):
        x[i, : len(sequence)] = sequence
        mask[i, : len(sequence)] = True
    return x, mask


@pytest.mark.parametrize(
    ("encoder", "pooling"), list(itertools.product(ENCODERS, POOLINGS))
)
def test_padding_never_changes_an_embedding(encoder, pooling):
    torch.manual_seed(0)
    module = SequenceEncoder(
        5, encoder=encoder, hidden_size=8, pooling=pooling, num_layers=2, n_heads=2
    ).eval()
    short = torch.randn(3, 5)
    others = [torch.randn(9, 5), torch.randn(7, 5)]
    alone = module(*_padded_batch([short]))
    # Garbage in the padded frames must not leak either.
    x, mask = _padded_batch([short, *others])
    x[0, 3:] = 1e3
    together = module(x, mask)
    assert together.shape == (3, module.output_size)
    torch.testing.assert_close(together[0], alone[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_no_gradient_reaches_padded_frames(encoder):
    torch.manual_seed(0)
    module = SequenceEncoder(4, encoder=encoder, hidden_size=8, n_heads=2)
    x, mask = _padded_batch([torch.randn(2, 4), torch.randn(6, 4)])
    x.requires_grad_(True)
    module(x, mask).sum().backward()
    assert torch.all(x.grad[~mask] == 0)
    assert torch.any(x.grad[mask] != 0)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_attention_weights_over_padded_frames_are_zero(encoder):
    torch.manual_seed(0)
    module = SequenceEncoder(4, encoder=encoder, hidden_size=8, n_heads=2)
    x, mask = _padded_batch([torch.randn(2, 4), torch.randn(6, 4), torch.randn(1, 4)])
    weights = module.attention_weights(x, mask)
    assert weights.shape == mask.shape
    assert torch.all(weights[~mask] == 0)
    assert torch.all(weights[mask] > 0)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(3))


def test_output_sizes_follow_encoder_and_pooling():
    assert SequenceEncoder(5, "gru", hidden_size=8).output_size == 16
    assert SequenceEncoder(5, "gru", 8, bidirectional=False).output_size == 8
    assert SequenceEncoder(5, "transformer", 8, "stats").output_size == 16
    assert SequenceEncoder(5, "conv", 8, "mean").output_size == 8
    assert SequenceEncoder(5, "none", 8, "stats").output_size == 10


def test_stats_pooling_is_mean_and_std_of_the_real_frames():
    module = SequenceEncoder(2, encoder="none", pooling="stats")
    frames = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    x, mask = _padded_batch([frames, torch.ones(5, 2)])
    embedding = module(x, mask)[0]
    torch.testing.assert_close(embedding[:2], torch.tensor([2.0, 0.0]))
    torch.testing.assert_close(embedding[2], torch.tensor(1.0))
    assert 0 < embedding[3] < 1e-2  # a constant dimension keeps a gradient


def test_unknown_encoder_or_pooling_is_a_clear_error():
    with pytest.raises(ValueError, match="encoder='lstm'"):
        SequenceEncoder(3, encoder="lstm")
    with pytest.raises(ValueError, match="pooling='max'"):
        SequenceEncoder(3, pooling="max")
