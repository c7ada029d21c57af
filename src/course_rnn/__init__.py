"""course_rnn: the recurrent networks of the course, from scratch in numpy.

Every chapter of the book imports this package instead of pasting code. Conventions
(fixed once for the whole course):

- batch first: a sequence batch is ``xs`` of shape (N, T, D), hidden states ``hs`` (N, T, H);
- row vectors as in the source documents: ``h_t = tanh(x_t W_xh + h_prev W_hh + b_h)``
  with ``W_xh`` (D, H), ``W_hh`` (H, H), ``b_h`` (H,);
- LSTM gates fused in PyTorch's order i, f, g, o; GRU with PyTorch's reset-gate placement;
- size letters N batch, T time, D input, H hidden, V vocabulary, K kernel;
- gradients carry a ``d`` prefix (``dW_xh``); randomness takes a ``numpy.random.Generator``.
"""

from course_rnn.gradcheck import check_gradients, numerical_gradient, rel_error

__version__ = "0.1.0"

__all__ = ["check_gradients", "numerical_gradient", "rel_error"]
