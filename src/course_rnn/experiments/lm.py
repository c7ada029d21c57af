r"""What chapter 4 computes around the language model: temperature, entropy, next-token
probabilities.

- :func:`temperature_softmax` and :func:`entropy`: the sampling distribution
  :math:`p_\tau = \mathrm{softmax}(s / \tau)` and its entropy
  :math:`H(p) = -\sum_v p_v \log p_v` (in nats; :math:`e^{H}` is the effective number
  of choices, the same reading as perplexity);
- :func:`next_token_probs`: the model's distribution over the next token after a prompt.

The torch twin of the model is in ``course_rnn.torch_ref.lm``, its drawings in
``course_rnn.figures.lm``. Taught in chapter 4.
"""

from __future__ import annotations

import numpy as np

from course_rnn.layers import softmax


def temperature_softmax(scores, temperature: float = 1.0) -> np.ndarray:
    r"""Next-token distribution at temperature :math:`\tau`.

    .. math::

        p_\tau(v) = \frac{\exp(s_v / \tau)}{\sum_u \exp(s_u / \tau)}

    ``scores`` (..., V) -> probabilities (..., V). :math:`\tau \to 0` tends to the
    one-hot of the arg max, :math:`\tau = 1` is the model's own distribution,
    :math:`\tau \to \infty` the uniform one. Torch: ``F.softmax(scores / tau, -1)``.
    Taught in chapter 4.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    return softmax(np.asarray(scores, dtype=np.float64) / temperature, axis=-1)


def entropy(p, axis: int = -1) -> np.ndarray:
    r"""Entropy in nats of the distributions ``p`` along ``axis``.

    .. math::

        H(p) = -\sum_v p_v \log p_v \qquad (0 \log 0 = 0)

    ``p`` (..., V) -> (...). :math:`e^{H}` is the number of equally likely choices with
    the same uncertainty. Torch: ``torch.distributions.Categorical(probs=p).entropy()``.
    Taught in chapter 4.
    """
    p = np.asarray(p, dtype=np.float64)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -np.sum(p * logp, axis=axis)


def next_token_probs(model, ids) -> np.ndarray:
    r"""The model's next-token distribution after each prefix of ``ids``.

    .. math::

        P_{t, v} = p(w_{t+1} = v \mid w_1, \dots, w_t) = \mathrm{softmax}(s_t)_v

    ``ids`` (T,) -> probabilities (T, V); row t is the prediction made after reading
    ``ids[t]``. The state is reset before and after. Torch: ``F.softmax(net(ids)[0], -1)``.
    Taught in chapter 4.
    """
    model.reset_state()
    try:
        scores = model.predict(np.asarray(ids, dtype=np.int64)[None])[0]  # (T, V)
    finally:
        model.reset_state()
    return softmax(scores.astype(np.float64), axis=-1)


