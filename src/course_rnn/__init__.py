"""course_rnn: the recurrent networks of the course, from scratch in numpy.

Every chapter of the book imports this package instead of pasting code. Conventions
(fixed once for the whole course):

- batch first: a sequence batch is ``xs`` of shape (N, T, D), hidden states ``hs`` (N, T, H);
- row vectors: ``h_t = tanh(x_t W_xh + h_prev W_hh + b_h)``
  with ``W_xh`` (D, H), ``W_hh`` (H, H), ``b_h`` (H,);
- LSTM gates fused in PyTorch's order i, f, g, o; GRU with PyTorch's reset-gate placement;
- size letters N batch, T time, D input, H hidden, V vocabulary, K kernel;
- gradients carry a ``d`` prefix (``dW_xh``); randomness takes a ``numpy.random.Generator``.

The most used names are importable from the package itself. The core layers sit at the
top of the package, one module per family (``rnn``, ``lstm``, ``gru``, ``gru_variants``,
``layernorm``, ``conv``, ``dropout``, ``layers``), with the registry of cell types
(``cells``), the models and the one training loop built from them; the rest lives in
folders by role: ``data`` (batches, corpora, task generators), ``experiments`` (what a
chapter computes for its prose), ``figures`` (every drawing), ``torch_ref`` (torch twins,
conversion, the speed benchmark), ``forecast`` (the forecasting benchmark) and
``grading``. ``import course_rnn`` loads neither torch nor Matplotlib.
"""

from course_rnn.cells import get_cell
from course_rnn.conv import (
    Conv1D,
    MaxPool1D,
    conv1d_backward,
    conv1d_forward,
    maxpool1d_backward,
    maxpool1d_forward,
)
from course_rnn.conventions import convert_params
from course_rnn.data.batches import truncated_bptt_batches
from course_rnn.dropout import Dropout, dropout_backward, dropout_forward
from course_rnn.gradcheck import (
    check_gradients,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)
from course_rnn.gru import TimeGRU, gru_backward, gru_forward, gru_step_backward, gru_step_forward
from course_rnn.layernorm import (
    LayerNorm,
    TimeLNRNN,
    layernorm_backward,
    layernorm_forward,
    ln_rnn_backward,
    ln_rnn_forward,
)
from course_rnn.layers import (
    Embedding,
    MSELoss,
    TimeAffine,
    TimeSoftmaxCrossEntropy,
    embedding_backward,
    embedding_forward,
    mse_backward,
    mse_forward,
    softmax,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    time_affine_backward,
    time_affine_forward,
)
from course_rnn.lstm import (
    GATE_ORDER,
    TimeLSTM,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
)
from course_rnn.models import LanguageModel, Model, RNNLanguageModel, Sequential
from course_rnn.multilayer import (
    bidirectional_backward,
    bidirectional_forward,
    stacked_backward,
    stacked_forward,
)
from course_rnn.optim import SGD, Adam, Momentum, clip_grad_norm, global_norm
from course_rnn.rnn import (
    TimeRNN,
    init_rnn_params,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from course_rnn.training import History, evaluate, fit, perplexity, train

__version__ = "0.1.0"

__all__ = [
    "GATE_ORDER",
    "SGD",
    "Adam",
    "Conv1D",
    "Dropout",
    "Embedding",
    "History",
    "LanguageModel",
    "LayerNorm",
    "MSELoss",
    "MaxPool1D",
    "Model",
    "Momentum",
    "RNNLanguageModel",
    "Sequential",
    "TimeAffine",
    "TimeGRU",
    "TimeLNRNN",
    "TimeLSTM",
    "TimeRNN",
    "TimeSoftmaxCrossEntropy",
    "bidirectional_backward",
    "bidirectional_forward",
    "check_gradients",
    "clip_grad_norm",
    "conv1d_backward",
    "conv1d_forward",
    "convert_params",
    "dropout_backward",
    "dropout_forward",
    "embedding_backward",
    "embedding_forward",
    "evaluate",
    "fit",
    "get_cell",
    "global_norm",
    "gru_backward",
    "gru_forward",
    "gru_step_backward",
    "gru_step_forward",
    "init_rnn_params",
    "layernorm_backward",
    "layernorm_forward",
    "ln_rnn_backward",
    "ln_rnn_forward",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "maxpool1d_backward",
    "maxpool1d_forward",
    "mse_backward",
    "mse_forward",
    "numerical_gradient",
    "numerical_gradient_array",
    "perplexity",
    "rel_error",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "softmax",
    "softmax_cross_entropy_backward",
    "softmax_cross_entropy_forward",
    "stacked_backward",
    "stacked_forward",
    "time_affine_backward",
    "time_affine_forward",
    "train",
    "truncated_bptt_batches",
]
