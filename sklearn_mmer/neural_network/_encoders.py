"""Encoders of padded frame sequences into one vector per sequence.

The building block of :class:`TorchSequenceClassifier`, meant to be reused by
any network with frame modalities (e.g. one encoder per modality before a
fusion). The interface is stable::

    encoder = SequenceEncoder(n_features, encoder="gru", hidden_size=64,
                              pooling="attention", num_layers=1,
                              bidirectional=True, n_heads=4, kernel_size=3,
                              dropout=0.0)
    embedding = encoder(x, mask)   # x: float [B, T, n_features]
                                   # mask: bool [B, T], True on real frames
    embedding.shape == (B, encoder.output_size)
    encoder.attention_weights(x, mask)  # [B, T], pooling="attention" only

Every sequence needs at least one real frame, and the real frames of a row
come first (right padding). Padded frames never count: the GRU runs on packed
sequences, the transformer's attention ignores padded keys, the convolutions
see zeros past the end (as a lone sequence padded "same" would), and every
pooling is masked. A sequence padded into a batch of longer ones thus gets
the embedding it gets alone, up to float rounding.
"""

from __future__ import annotations

import itertools
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ENCODERS = ("gru", "transformer", "conv", "none")
POOLINGS = ("attention", "mean", "stats")
# SequenceEncoder's parameters that the classifiers expose under the same names.
ENCODER_PARAMS = (
    "encoder",
    "pooling",
    "hidden_size",
    "num_layers",
    "bidirectional",
    "n_heads",
    "kernel_size",
)


def encoder_params(classifier) -> dict:
    """Return a classifier's :class:`SequenceEncoder` parameters, checked.

    Raises
    ------
    ValueError
        If the transformer's ``hidden_size`` is not a multiple of ``n_heads``.
    """
    params = {name: getattr(classifier, name) for name in ENCODER_PARAMS}
    if params["encoder"] == "transformer" and params["hidden_size"] % params["n_heads"]:
        raise ValueError(
            f"hidden_size={params['hidden_size']} must be a multiple of "
            f"n_heads={params['n_heads']} for the transformer encoder."
        )
    return params


def encoder_work(lengths, n_features: int, hidden_size: int) -> float:
    """Multiply-adds per row of the encoder's input and recurrent products.

    Over the mean number of frames of ``lengths`` (a tensor of sequence
    lengths); what the classifiers weigh to pick their CPU threads.
    """
    return float(lengths.float().mean()) * (n_features + hidden_size) * hidden_size * 6


# Keeps the standard deviation of a one-frame sequence differentiable.
_MIN_VARIANCE = 1e-6


class GRUFrames(nn.Module):
    """A (bidirectional) GRU over the real frames of each sequence.

    Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder
    for Statistical Machine Translation", EMNLP 2014.
    """

    def __init__(self, n_features, hidden_size, num_layers, bidirectional, dropout):
        super().__init__()
        self.gru = nn.GRU(
            n_features,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.output_size = hidden_size * (2 if bidirectional else 1)

    def forward(self, x, mask):
        """Return the GRU's output at each frame, zeros past each sequence."""
        # Packing keeps padded frames out of both directions: the backward
        # pass starts at each sequence's own last frame.
        lengths = mask.sum(dim=1).cpu()
        packed = pack_padded_sequence(
            x, lengths, batch_first=True, enforce_sorted=False
        )
        output, _ = self.gru(packed)
        output, _ = pad_packed_sequence(
            output, batch_first=True, total_length=x.shape[1]
        )
        return output


class TransformerFrames(nn.Module):
    """Transformer encoder layers whose attention ignores padded frames.

    Vaswani et al., "Attention Is All You Need", NeurIPS 2017. Frames are
    projected to ``hidden_size`` and given sinusoidal position encodings.
    """

    def __init__(self, n_features, hidden_size, num_layers, n_heads, dropout):
        super().__init__()
        self.projection = nn.Linear(n_features, hidden_size)
        layer = nn.TransformerEncoderLayer(
            hidden_size,
            n_heads,
            dim_feedforward=2 * hidden_size,
            dropout=dropout,
            batch_first=True,
        )
        self.layers = nn.TransformerEncoder(
            layer, num_layers, enable_nested_tensor=False
        )
        self.output_size = hidden_size

    def forward(self, x, mask):
        """Return the encoded frames (padded positions are not meaningful)."""
        h = self.projection(x) + _positions(x.shape[1], self.output_size, x)
        return self.layers(h, src_key_padding_mask=~mask)


class ConvFrames(nn.Module):
    """1-D convolutions over time, each followed by ReLU and dropout.

    Padded frames are zeroed before every convolution, so the last real
    frames see the zeros that ``padding="same"`` would give the lone sequence.
    """

    def __init__(self, n_features, hidden_size, num_layers, kernel_size, dropout):
        super().__init__()
        widths = [n_features] + [hidden_size] * num_layers
        self.convolutions = nn.ModuleList(
            nn.Conv1d(width_in, width_out, kernel_size, padding="same")
            for width_in, width_out in itertools.pairwise(widths)
        )
        self.dropout = dropout
        self.output_size = hidden_size

    def forward(self, x, mask):
        """Return the convolved frames, zeros past each sequence."""
        keep = mask.unsqueeze(1).to(x.dtype)
        h = x.transpose(1, 2)
        for convolution in self.convolutions:
            h = F.relu(convolution(h * keep))
            h = F.dropout(h, self.dropout, self.training)
        return (h * keep).transpose(1, 2)


class NoFrames(nn.Module):
    """The frames as they are: pooling acts on the input features."""

    def __init__(self, n_features):
        super().__init__()
        self.output_size = n_features

    def forward(self, x, mask):
        """Return ``x`` unchanged."""
        return x


class AttentionPooling(nn.Module):
    """Weighted mean over frames with learned, softmax-normalised weights.

    The attention pooling of Mirsamadi, Barsoum and Zhang, "Automatic Speech
    Emotion Recognition Using Recurrent Neural Networks with Local
    Attention", ICASSP 2017: a frame's weight is the softmax over the
    sequence's real frames of ``u . h_t``; padded frames get weight zero.
    """

    def __init__(self, input_size):
        super().__init__()
        self.score = nn.Linear(input_size, 1, bias=False)
        self.output_size = input_size

    def weights(self, h, mask):
        """Attention weights ``[B, T]``: each row sums to one, zero on padding."""
        scores = self.score(h).squeeze(-1).masked_fill(~mask, -math.inf)
        return torch.softmax(scores, dim=1)

    def forward(self, h, mask):
        """Return the attention-weighted mean of the frames."""
        weights = self.weights(h, mask)
        h = h.masked_fill(~mask.unsqueeze(-1), 0.0)
        return torch.bmm(weights.unsqueeze(1), h).squeeze(1)


class MeanPooling(nn.Module):
    """Mean over the real frames of each sequence."""

    def __init__(self, input_size):
        super().__init__()
        self.output_size = input_size

    def forward(self, h, mask):
        """Return the masked mean of the frames."""
        return _masked_mean(h, mask)


class StatsPooling(nn.Module):
    """Mean and standard deviation over the real frames, concatenated."""

    def __init__(self, input_size):
        super().__init__()
        self.output_size = 2 * input_size

    def forward(self, h, mask):
        """Return ``[mean, std]`` over the real frames of each sequence."""
        mean = _masked_mean(h, mask)
        squares = _masked_mean((h - mean.unsqueeze(1)).square(), mask)
        return torch.cat([mean, squares.clamp_min(_MIN_VARIANCE).sqrt()], dim=1)


_POOLING_MODULES = {
    "attention": AttentionPooling,
    "mean": MeanPooling,
    "stats": StatsPooling,
}


class SequenceEncoder(nn.Module):
    """Frames ``[B, T, n_features]`` and mask ``[B, T]`` -> ``[B, output_size]``.

    A frame encoder (GRU, transformer, convolutions, or none) followed by a
    masked pooling over time (attention, mean, or mean and std).

    Parameters
    ----------
    n_features : int
        Features per frame.
    encoder : {"gru", "transformer", "conv", "none"}, default="gru"
        ``"gru"``: a GRU (Cho et al. 2014) over the packed sequences;
        ``"transformer"``: transformer encoder layers (Vaswani et al. 2017)
        with a padding mask; ``"conv"``: 1-D convolutions over time;
        ``"none"``: pool the input frames themselves.
    hidden_size : int, default=64
        Width of the encoder (per direction for a bidirectional GRU).
    pooling : {"attention", "mean", "stats"}, default="attention"
        ``"attention"``: learned attention weights (Mirsamadi et al. 2017);
        ``"mean"``: the mean; ``"stats"``: mean and standard deviation.
    num_layers : int, default=1
        Stacked GRU, transformer or convolution layers.
    bidirectional : bool, default=True
        Run the GRU in both directions (GRU only).
    n_heads : int, default=4
        Attention heads of the transformer; must divide ``hidden_size``.
    kernel_size : int, default=3
        Frames each convolution sees (conv only).
    dropout : float, default=0.0
        Dropout inside the encoder (between GRU layers, in the transformer
        layers, after each convolution).

    Attributes
    ----------
    output_size : int
        Width of the embedding ``forward`` returns.

    Examples
    --------
    >>> import torch
    >>> from sklearn_mmer.neural_network._encoders import SequenceEncoder
    >>> encoder = SequenceEncoder(5, encoder="gru", hidden_size=8)
    >>> x = torch.randn(2, 4, 5)
    >>> mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    >>> encoder(x, mask).shape
    torch.Size([2, 16])
    >>> encoder.attention_weights(x, mask)[1, 2:].tolist()
    [0.0, 0.0]
    """

    def __init__(
        self,
        n_features: int,
        encoder: str = "gru",
        hidden_size: int = 64,
        pooling: str = "attention",
        num_layers: int = 1,
        bidirectional: bool = True,
        n_heads: int = 4,
        kernel_size: int = 3,
        dropout: float = 0.0,
    ):
        super().__init__()
        if encoder == "gru":
            self.frames = GRUFrames(
                n_features, hidden_size, num_layers, bidirectional, dropout
            )
        elif encoder == "transformer":
            self.frames = TransformerFrames(
                n_features, hidden_size, num_layers, n_heads, dropout
            )
        elif encoder == "conv":
            self.frames = ConvFrames(
                n_features, hidden_size, num_layers, kernel_size, dropout
            )
        elif encoder == "none":
            self.frames = NoFrames(n_features)
        else:
            raise ValueError(f"encoder={encoder!r}; expected one of {ENCODERS}.")
        if pooling not in _POOLING_MODULES:
            raise ValueError(f"pooling={pooling!r}; expected one of {POOLINGS}.")
        self.pooling = _POOLING_MODULES[pooling](self.frames.output_size)
        self.output_size = self.pooling.output_size

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Return one embedding per sequence, ``[B, output_size]``."""
        return self.pooling(self.frames(x, mask), mask)

    def attention_weights(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Return the attention pooling's weights over frames, ``[B, T]``."""
        if not isinstance(self.pooling, AttentionPooling):
            raise ValueError("attention_weights needs pooling='attention'.")
        return self.pooling.weights(self.frames(x, mask), mask)


def _masked_mean(h, mask):
    keep = mask.unsqueeze(-1)
    total = h.masked_fill(~keep, 0.0).sum(dim=1)
    return total / keep.sum(dim=1).to(h.dtype)


def _positions(n_frames, width, like):
    """Sinusoidal position encodings ``[n_frames, width]`` (Vaswani et al.)."""
    position = torch.arange(n_frames, device=like.device, dtype=like.dtype)
    frequency = torch.exp(
        torch.arange(0, width, 2, device=like.device, dtype=like.dtype)
        * (-math.log(10000.0) / width)
    )
    angles = position.unsqueeze(1) * frequency
    encoding = torch.zeros(n_frames, width, device=like.device, dtype=like.dtype)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles[:, : width // 2])
    return encoding
