r"""The small torch models the chapters train (import torch: load this module explicitly).

- ``make_rnn``: ``torch.nn.RNN``/``LSTM``/``GRU`` chosen by a cell name of
  ``course_rnn.cells`` (``"rnn"``, ``"rnn_relu"``, ``"lstm"``, ``"gru"``: its
  ``torch_class`` and ``torch_kwargs``), always ``batch_first=True``;
- ``TorchLanguageModel``: Embedding -> recurrent layers -> Linear, predicting the next
  token at every step (chapter 4, and chapters 5-6 to compare the cells);
- ``TorchSequenceRegressor``: recurrent layers -> Linear head, forecasting 1 or k values from
  the last step (seq-to-vec) or a value at every step (seq-to-seq) (chapters 6-7);
- ``detach_state``: cut the graph at a chunk boundary (truncated BPTT, chapter 3).

Shapes: ids (N, T) integers, xs (N, T, D), logits (N, T, V). The recurrence is the one of
the numpy modules, with ``course_rnn.torch_ref.convert`` to move weights between them.
"""

from __future__ import annotations

import torch
from torch import nn

from course_rnn.cells import get_cell


def make_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
             bidirectional: bool = False, dropout: float = 0.0) -> nn.Module:
    r"""A batch-first ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` from a cell name.

    .. math::

        (N, T, D) \to (N, T, H \cdot \mathrm{dirs})

    ``dropout`` applies between stacked layers (as in torch). The numpy counterpart is
    ``course_rnn.multilayer.stacked_forward``. Taught in chapter 4.
    """
    spec = get_cell(cell)
    if spec.torch_class is None:
        raise ValueError(f"cell {cell!r} has no torch.nn module (only a numpy one)")
    module = getattr(nn, spec.torch_class)
    return module(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                  bidirectional=bidirectional, dropout=dropout, **spec.torch_kwargs)


def detach_state(state):
    r"""``h.detach()`` (or both parts of an LSTM's ``(h, c)``): the truncated-BPTT cut.

    .. math::

        h_0^{(k+1)} = h_T^{(k)}, \qquad
        \frac{\partial L^{(k+1)}}{\partial h_T^{(k)}} := 0

    The next chunk starts from the values of ``state`` but no gradient flows back
    through it (in numpy: ``TimeRNN(stateful=True)``). Taught in chapter 3.
    """
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class TorchLanguageModel(nn.Module):
    r"""Next-token model: embedding, recurrent layers, and a linear map to the vocabulary.

    .. math::

        e_t = E[w_t], \qquad h_t = \mathrm{cell}(e_t, h_{t-1}), \qquad
        \mathrm{logits}_t = h_t W_{hy} + b_y \in \mathbb{R}^V

    Parameters
    ----------
    V : int
        Vocabulary size (characters or words).
    D : int
        Embedding size.
    H : int
        Hidden size.
    cell : str
        A cell name of ``course_rnn.cells`` with a torch module (``"rnn"``,
        ``"rnn_relu"``, ``"lstm"``, ``"gru"``).
    num_layers : int
    dropout : float
        Dropout on the embeddings, between layers, and before the output layer.
    tie_weights : bool
        The output layer's weight is the embedding matrix (``head.weight =
        embed.weight``, one parameter; needs ``D == H``), as in Deep Learning from
        Scratch 2's ``BetterRnnlm`` (numpy: ``course_rnn.deep_lm.DeepLanguageModel``).

    ``forward(ids (N, T), state=None) -> (logits (N, T, V), state)``; pass the returned
    state through ``detach_state`` to continue a long text chunk by chunk.
    Taught in chapter 4 (and chapter 5 with two layers, dropout and tied weights).
    """

    def __init__(self, V: int, D: int, H: int, cell: str = "lstm", num_layers: int = 1,
                 dropout: float = 0.0, tie_weights: bool = False):
        super().__init__()
        if tie_weights and D != H:
            raise ValueError(f"tie_weights needs D == H (head.weight (V, H) is "
                             f"embed.weight (V, D)), got D={D}, H={H}")
        self.embed = nn.Embedding(V, D)
        # torch's dropout acts between layers only: none to give (and no warning) for one
        between = dropout if num_layers > 1 else 0.0
        self.rnn = make_rnn(cell, D, H, num_layers=num_layers, dropout=between)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(H, V)
        if tie_weights:
            self.head.weight = self.embed.weight  # one Parameter, two uses

    def forward(self, ids, state=None):
        e = self.drop(self.embed(ids))  # (N, T, D)
        hs, state = self.rnn(e, state)  # (N, T, H)
        return self.head(self.drop(hs)), state  # (N, T, V)


class TorchSequenceRegressor(nn.Module):
    r"""Time-series model: recurrent layers and a linear head.

    .. math::

        h_t = \mathrm{cell}(x_t, h_{t-1}), \qquad
        \hat y = h_T W + b \in \mathbb{R}^k \;\; (\text{or } \hat y_t = h_t W + b)

    Parameters
    ----------
    D : int
        Features per time step (1 for a univariate series).
    H : int
        Hidden size.
    out : int
        k, the number of values predicted (e.g. the next k steps).
    cell : str
        As for ``TorchLanguageModel``.
    num_layers : int
    seq2seq : bool
        False: predict from the last step only, output (N, k). True: predict at every
        step, output (N, T, k).
    bidirectional : bool
        For whole sequences (classification, filling gaps), not for forecasting. The
        seq2vec head then reads the forward direction's state at T and the backward
        direction's at 1.

    ``forward(xs (N, T, D)) -> (N, k)`` or ``(N, T, k)``. Taught in chapters 6 and 7.
    """

    def __init__(self, D: int = 1, H: int = 20, out: int = 1, cell: str = "gru",
                 num_layers: int = 1, seq2seq: bool = False, bidirectional: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        self.rnn = make_rnn(cell, D, H, num_layers, bidirectional=bidirectional, dropout=dropout)
        self.seq2seq = seq2seq
        self.bidirectional = bidirectional
        self.head = nn.Linear(H * (2 if bidirectional else 1), out)

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        hs, state = self.rnn(xs)  # (N, T, H) or (N, T, 2H)
        if self.seq2seq:
            return self.head(hs)  # (N, T, k)
        h_n = state[0] if isinstance(state, tuple) else state  # (layers * directions, N, H)
        # top layer's final states; the backward direction ends at t = 1, not at t = T
        last = torch.cat([h_n[-2], h_n[-1]], dim=1) if self.bidirectional else h_n[-1]
        return self.head(last)  # (N, k)
