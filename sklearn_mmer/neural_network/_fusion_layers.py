"""The PyTorch modules behind :class:`TorchMultimodalClassifier`.

One encoder per modality turns its input into an embedding; a fusion layer
combines the embeddings of the modalities present in each row; an MLP head
gives the logits. Every fusion layer takes the embeddings stacked as
``[batch, n_modalities, size]`` and a boolean ``present`` mask
``[batch, n_modalities]``: a missing modality's embedding never reaches the
output, so a row is classified from what it has.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._encoders import SequenceEncoder
from ._module import ACTIVATIONS

# A tensor fusion wider than this many features would not fit a sensible
# head; the error points at the low-rank version.
MAX_TENSOR_FEATURES = 2**20


class MLPEncoder(nn.Module):
    """[Linear -> activation -> dropout] per width: a vector's embedding.

    Parameters
    ----------
    n_features : int
        Width of the modality's vectors.
    layer_sizes : sequence of int
        Width of each layer; the last is the embedding size.
    activation : str
        A key of ``ACTIVATIONS``.
    dropout : float
        Dropout after each layer.
    """

    def __init__(self, n_features, layer_sizes, activation="relu", dropout=0.0):
        super().__init__()
        widths = [n_features, *layer_sizes]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in itertools.pairwise(widths)
        )
        self.activation = activation
        self.dropout = dropout
        self.output_size = widths[-1]

    def forward(self, X):
        activate = ACTIVATIONS[self.activation]
        for layer in self.layers:
            X = activate(F.linear(X, layer.weight, layer.bias))
            if self.dropout:
                X = F.dropout(X, self.dropout, self.training)
        return X


class FrameSequenceEncoder(nn.Module):
    """A :class:`SequenceEncoder` over a modality's frames, then an MLP.

    ``forward(x[B, T, D], mask[B, T]) -> [B, output_size]``: the frames go
    through the sequence encoder and its masked pooling over time (padded
    frames never count), then an :class:`MLPEncoder` to the embedding size
    the fusion expects.

    Parameters
    ----------
    n_features : int
        Features per frame.
    layer_sizes : sequence of int
        Layers of the MLP after the pooling; the last is the embedding size.
    activation : str
        A key of ``ACTIVATIONS``.
    dropout : float
        Dropout inside the sequence encoder, on its pooled output and after
        each MLP layer.
    **sequence_params
        ``encoder``, ``pooling``, ``hidden_size``, ``num_layers``,
        ``bidirectional``, ``n_heads``, ``kernel_size`` of the
        :class:`SequenceEncoder`.
    """

    def __init__(
        self, n_features, layer_sizes, activation="relu", dropout=0.0, **sequence_params
    ):
        super().__init__()
        self.sequence = SequenceEncoder(n_features, dropout=dropout, **sequence_params)
        self.mlp = MLPEncoder(
            self.sequence.output_size, layer_sizes, activation, dropout
        )
        self.dropout = dropout
        self.output_size = self.mlp.output_size

    def forward(self, X, mask):
        pooled = self.sequence(X, mask)
        if self.dropout:
            pooled = F.dropout(pooled, self.dropout, self.training)
        return self.mlp(pooled)


class ConcatFusion(nn.Module):
    """Concatenate the embeddings, zeros for the missing, and the presence mask.

    The baseline of every fusion comparison: early fusion of learned
    embeddings. The presence mask tells the head which zeros mean "absent".
    """

    def __init__(self, n_modalities, size, **_):
        super().__init__()
        self.output_size = n_modalities * size + n_modalities

    def forward(self, embeddings, present):
        masked = embeddings * present.unsqueeze(-1).to(embeddings.dtype)
        return torch.cat([masked.flatten(1), present.to(embeddings.dtype)], dim=1)


def _with_one(embeddings, present):
    """``[h_m; 1]`` per modality, with ``h_m = 0`` for a missing modality."""
    masked = embeddings * present.unsqueeze(-1).to(embeddings.dtype)
    ones = embeddings.new_ones((*embeddings.shape[:-1], 1))
    return torch.cat([masked, ones], dim=-1)


class TensorFusion(nn.Module):
    """Tensor Fusion Network: the outer product of ``[h_m; 1]`` over modalities.

    Zadeh, Chen, Poria, Cambria and Morency, "Tensor Fusion Network for
    Multimodal Sentiment Analysis", EMNLP 2017. Appending 1 to each
    embedding keeps the unimodal and bimodal terms in the product; a missing
    modality (``h_m = 0``) leaves exactly the terms of the others.
    """

    def __init__(self, n_modalities, size, **_):
        super().__init__()
        self.output_size = (size + 1) ** n_modalities
        if self.output_size > MAX_TENSOR_FEATURES:
            raise ValueError(
                f"fusion='tensor' over {n_modalities} modalities with embeddings "
                f"of size {size} makes {self.output_size} features (more than "
                f"{MAX_TENSOR_FEATURES}); use fusion='low_rank', its low-rank "
                "version, or smaller encoder_layer_sizes."
            )

    def forward(self, embeddings, present):
        extended = _with_one(embeddings, present)
        fused = extended[:, 0]
        for m in range(1, extended.shape[1]):
            fused = (fused.unsqueeze(-1) * extended[:, m].unsqueeze(1)).flatten(1)
        return fused


class LowRankFusion(nn.Module):
    """Low-rank Multimodal Fusion: the tensor fusion with rank-``r`` weights.

    Liu, Shen, Lakshminarasimhan, Liang, Zadeh and Morency, "Efficient
    Low-rank Multimodal Fusion with Modality-Specific Factors", ACL 2018.
    The weight of the tensor fusion's linear layer is a sum of ``rank``
    outer products of modality-specific factors, so the output is
    ``sum_r prod_m ([h_m; 1] W_m^(r))`` without ever forming the tensor.
    """

    def __init__(self, n_modalities, size, rank=4, **_):
        super().__init__()
        self.factors = nn.Parameter(torch.empty(n_modalities, rank, size + 1, size))
        self.rank_weights = nn.Parameter(torch.empty(1, rank))
        self.bias = nn.Parameter(torch.zeros(size))
        for factor in self.factors.view(-1, size + 1, size):
            nn.init.xavier_normal_(factor)
        nn.init.xavier_normal_(self.rank_weights)
        self.output_size = size

    def forward(self, embeddings, present):
        extended = _with_one(embeddings, present)  # [B, M, size + 1]
        # [B, M, rank, size]: each modality through each of its factors.
        projected = torch.einsum("bmi,mrio->bmro", extended, self.factors)
        product = projected.prod(dim=1)  # [B, rank, size]
        return (self.rank_weights @ product).squeeze(1) + self.bias


class GatedFusion(nn.Module):
    """Gated Multimodal Unit: a learned, per-feature convex mix of modalities.

    Arevalo, Solorio, Montes-y-Gómez and González, "Gated Multimodal Units
    for Information Fusion", ICLR workshop 2017, for any number of
    modalities: ``h = sum_m z_m * tanh(W_m e_m)`` where the gates ``z``
    come from all embeddings together and sum to one over the modalities
    present (a softmax whose missing entries are masked out).
    """

    def __init__(self, n_modalities, size, **_):
        super().__init__()
        self.transforms = nn.Parameter(torch.empty(n_modalities, size, size))
        self.transform_bias = nn.Parameter(torch.zeros(n_modalities, size))
        for weight in self.transforms:
            nn.init.xavier_uniform_(weight)
        self.gates = nn.Linear(n_modalities * (size + 1), n_modalities * size)
        self.output_size = size

    def forward(self, embeddings, present):
        batch, n_modalities, size = embeddings.shape
        features = torch.tanh(
            torch.einsum("bmi,mio->bmo", embeddings, self.transforms)
            + self.transform_bias
        )
        gate_input = _with_one(embeddings, present)[..., :-1]
        gate_input = torch.cat(
            [gate_input, present.unsqueeze(-1).to(embeddings.dtype)], -1
        )
        logits = self.gates(gate_input.flatten(1)).view(batch, n_modalities, size)
        logits = logits.masked_fill(~present.unsqueeze(-1), float("-inf"))
        return (torch.softmax(logits, dim=1) * features).sum(dim=1)


class AttentionFusion(nn.Module):
    """Self-attention across the modality embeddings, then their masked mean.

    Each modality is a token (its embedding plus a learned modality
    embedding); one multi-head attention layer (Vaswani et al., "Attention
    Is All You Need", NeurIPS 2017) lets each attend to the others present,
    as the cross-modal attention of the Multimodal Transformer (Tsai et al.,
    "Multimodal Transformer for Unaligned Multimodal Language Sequences",
    ACL 2019) does between modalities. Missing modalities are masked as keys
    and left out of the final mean.
    """

    def __init__(self, n_modalities, size, n_heads=4, dropout=0.0, **_):
        super().__init__()
        n_heads = math.gcd(size, n_heads)
        self.modality_embedding = nn.Parameter(torch.zeros(n_modalities, size))
        self.attention = nn.MultiheadAttention(
            size, n_heads, dropout=dropout, batch_first=True
        )
        self.norm = nn.LayerNorm(size)
        self.output_size = size

    def forward(self, embeddings, present):
        tokens = embeddings + self.modality_embedding
        attended, _ = self.attention(
            tokens, tokens, tokens, key_padding_mask=~present, need_weights=False
        )
        tokens = self.norm(tokens + attended)
        weights = present.unsqueeze(-1).to(tokens.dtype)
        return (tokens * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)


FUSIONS = {
    "concat": ConcatFusion,
    "tensor": TensorFusion,
    "low_rank": LowRankFusion,
    "gated": GatedFusion,
    "attention": AttentionFusion,
}


def drop_modalities(present, rate):
    """Hide each present modality with probability ``rate``, never all of a row.

    Where every present modality of a row would be dropped, the one with the
    highest random draw is kept, so each row keeps at least one modality.
    """
    draws = torch.rand(present.shape, device=present.device)
    kept = present & (draws >= rate)
    emptied = ~kept.any(dim=1)
    if emptied.any():
        best = draws.masked_fill(~present, -1.0).argmax(dim=1)
        rescue = F.one_hot(best, present.shape[1]).bool() & emptied.unsqueeze(1)
        kept = kept | rescue
    return kept


class MultimodalModule(nn.Module):
    """Encoders per modality, a fusion layer, an MLP head.

    The input ``X`` is one float32 matrix: the vector modalities side by
    side (``modality_sizes`` columns each, zeros where missing), then one
    presence column (1.0 or 0.0) per modality. One matrix lets the batches
    be views of one tensor, as for :class:`MLPModule`. Modalities flagged in
    ``frame_modalities`` are not in the matrix: each comes as padded frames
    ``frames[i]`` ``[B, T_i, size]`` with its mask ``masks[i]`` ``[B, T_i]``
    (in column order) and goes through a :class:`FrameSequenceEncoder`.

    Parameters
    ----------
    modality_sizes : sequence of int
        Width of each modality's vectors (of its frames, for a frame
        modality).
    n_classes : int
        Number of logits.
    fusion : str
        A key of ``FUSIONS``.
    encoder_layer_sizes : sequence of int
        Layers of each modality's encoder; the last is the embedding size.
    hidden_layer_sizes : sequence of int
        Layers of the head after the fusion.
    activation : str
        Non-linearity of encoders and head.
    dropout : float
        Dropout after each encoder and head layer (and inside the sequence
        encoders).
    modality_dropout : float
        Probability of hiding a present modality of a training row.
    rank : int
        Rank of the low-rank fusion.
    frame_modalities : sequence of bool, default=()
        Which modalities come as frames; empty: none.
    sequence_params : dict, default=None
        Parameters of the frame modalities' :class:`SequenceEncoder`
        (``encoder``, ``pooling``, ``hidden_size``...).
    """

    def __init__(
        self,
        modality_sizes: Sequence[int],
        n_classes: int,
        fusion: str = "gated",
        encoder_layer_sizes: Sequence[int] = (64,),
        hidden_layer_sizes: Sequence[int] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        modality_dropout: float = 0.0,
        rank: int = 4,
        frame_modalities: Sequence[bool] = (),
        sequence_params: dict | None = None,
    ):
        super().__init__()
        self.modality_sizes = list(modality_sizes)
        self.frame_modalities = list(frame_modalities) or [False] * len(
            self.modality_sizes
        )
        self.encoders = nn.ModuleList(
            FrameSequenceEncoder(
                size,
                encoder_layer_sizes,
                activation,
                dropout,
                **(sequence_params or {}),
            )
            if frames
            else MLPEncoder(size, encoder_layer_sizes, activation, dropout)
            for size, frames in zip(
                self.modality_sizes, self.frame_modalities, strict=True
            )
        )
        self.vector_sizes = [
            size
            for size, frames in zip(
                self.modality_sizes, self.frame_modalities, strict=True
            )
            if not frames
        ]
        embedding_size = encoder_layer_sizes[-1]
        self.fusion = FUSIONS[fusion](
            len(self.modality_sizes), embedding_size, rank=rank, dropout=dropout
        )
        self.head = MLPEncoder(
            self.fusion.output_size, hidden_layer_sizes, activation, dropout
        )
        self.output = nn.Linear(self.head.output_size, n_classes)
        self.modality_dropout = modality_dropout

    def forward(self, X, frames=(), masks=()):
        """Return the logits of a batch (see the class docstring)."""
        n_modalities = len(self.modality_sizes)
        *blocks, present = torch.split(X, [*self.vector_sizes, n_modalities], 1)
        present = present > 0.5
        if self.training and self.modality_dropout:
            present = drop_modalities(present, self.modality_dropout)
        vectors, sequences = iter(blocks), iter(zip(frames, masks, strict=True))
        embeddings = torch.stack(
            [
                encoder(*next(sequences)) if is_frames else encoder(next(vectors))
                for encoder, is_frames in zip(
                    self.encoders, self.frame_modalities, strict=True
                )
            ],
            dim=1,
        )
        fused = self.fusion(embeddings, present)
        hidden = self.head(fused)
        return F.linear(hidden, self.output.weight, self.output.bias)
