r"""The training loop: full or truncated BPTT, gradient clipping, any optimiser.

A *model* here is anything with ``forward(xs, ts) -> loss`` (a float), ``backward()``
(fills ``grads``), and the dicts ``params`` and ``grads`` with the same keys, such as
``RNNLanguageModel``; ``reset_state()`` and ``stateful`` if it is recurrent.

Full BPTT: every batch is a sequence of its own; the state starts from zeros and the
backward pass runs through all of it. Truncated BPTT (source document 004): the batches
are consecutive chunks of the same rows (``truncated_bptt_batches``); the forward pass
carries the state from chunk to chunk (a stateful Time layer), the backward pass stops at
the chunk's first step. For one chunk :math:`k` of length :math:`T`,

.. math::

    h^{(k)}_0 = \mathrm{stop\_gradient}\bigl(h^{(k-1)}_T\bigr), \qquad
    \frac{\partial L^{(k)}}{\partial W} = \sum_{t=1}^{T}
    \frac{\partial L^{(k)}}{\partial h^{(k)}_t}\,
    \frac{\partial h^{(k)}_t}{\partial W}\Big|_{\text{within chunk } k}

which is torch's ``h = h.detach()`` between chunks. Taught in chapter 3 (truncated BPTT,
clipping) and chapter 4 (the language model's training).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from course_rnn._validate import check_finite_loss
from course_rnn.optim import Optimizer, clip_grad_norm, global_norm

BPTT_MODES = ("truncated", "full")


@dataclass
class History:
    r"""What ``train`` records: one loss and one gradient norm per step, means per epoch.

    .. math::

        \bar L_\text{epoch} = \frac{1}{K} \sum_{k=1}^{K} L^{(k)}, \qquad
        \mathrm{PPL} = e^{\bar L}

    Torch has no such record (a list filled by hand). Taught in chapter 4.
    """

    losses: list[float] = field(default_factory=list)  # every step
    grad_norms: list[float] = field(default_factory=list)  # every step, before clipping
    epoch_losses: list[float] = field(default_factory=list)  # mean over each epoch's steps
    val_losses: list[float] = field(default_factory=list)  # after each epoch, if asked

    @property
    def perplexities(self) -> list[float]:
        """Training perplexity of each epoch, ``exp(epoch_loss)``."""
        return [perplexity(loss) for loss in self.epoch_losses]

    @property
    def val_perplexities(self) -> list[float]:
        return [perplexity(loss) for loss in self.val_losses]


def perplexity(mean_loss: float) -> float:
    r"""Perplexity from a mean cross-entropy (in nats), :math:`\mathrm{PPL} = e^{L}`:
    the number of equally likely words the model hesitates between. Torch:
    ``torch.exp(loss)``. Taught in chapter 4.
    """
    return math.exp(mean_loss) if mean_loss < 700 else math.inf


def _check_mode(model, bptt: str) -> None:
    if bptt not in BPTT_MODES:
        raise ValueError(f"bptt must be one of {BPTT_MODES}, got {bptt!r}")
    if bptt == "truncated" and not getattr(model, "stateful", True):
        raise ValueError("truncated BPTT carries the state from chunk to chunk: the model's "
                         "recurrent layer must be stateful (stateful=True)")


def _reset(model) -> None:
    if hasattr(model, "reset_state"):
        model.reset_state()


def evaluate(model, batches: Iterable, bptt: str = "truncated") -> float:
    r"""Mean loss over ``batches`` without updating anything (validation loss).

    .. math::

        \bar L = \frac{1}{K} \sum_{k=1}^{K} L^{(k)}

    The state is reset first and, for ``"truncated"``, carried across the chunks as in
    training (for ``"full"``, reset before each batch). Torch: the loop under
    ``torch.no_grad()``. Taught in chapter 4.
    """
    _check_mode(model, bptt)
    _reset(model)
    losses = []
    for xs, ts in batches:
        if bptt == "full":
            _reset(model)
        losses.append(float(model.forward(xs, ts)))
    _reset(model)
    if not losses:
        raise ValueError("evaluate got no batches")
    return float(np.mean(losses))


def train(model, batches: Iterable, optimizer: Optimizer, *, epochs: int = 1,
          bptt: str = "truncated", max_grad_norm: float | None = None,
          val_batches: Iterable | None = None, log_every: int = 0,
          progress: bool = False) -> History:
    r"""Train ``model`` by gradient descent through time.

    For every batch: forward (loss), backward, clip the global gradient norm,
    :math:`g \leftarrow g \min(1, c / \|g\|)`, then ``optimizer.update(params, grads)``.

    Parameters
    ----------
    model
        See the module docstring.
    batches : re-iterable of (xs, ts)
        A list such as ``truncated_bptt_batches(...)``, read once per epoch (a one-shot
        generator would leave later epochs empty, so it is refused).
    optimizer : SGD, Momentum or Adam
    epochs : int
    bptt : {"truncated", "full"}
        "truncated": state carried across batches within an epoch, reset at its start;
        "full": state reset before every batch.
    max_grad_norm : float or None
        Clip by global norm (``clip_grad_norm``); None: no clipping.
    val_batches : re-iterable of (xs, ts), or None
        Evaluated after every epoch (``evaluate``) into ``History.val_losses``.
    log_every : int
        Print one rounded line (epoch, loss, perplexity, validation) to stdout every
        ``log_every`` epochs; 0: silent. Suits notebooks (stdout, deterministic).
    progress : bool
        Show a tqdm progress bar (on stderr; off by default).

    Returns
    -------
    History

    Raises
    ------
    FloatingPointError
        As soon as a loss is nan or infinite, naming the step (counted from 1 over all
        epochs), the epoch and the batch.

    Torch: the usual loop ``loss.backward(); clip_grad_norm_(...); opt.step()`` with
    ``h = h.detach()`` between chunks. Taught in chapter 3 and chapter 4.
    """
    _check_mode(model, bptt)
    if iter(batches) is batches:
        raise TypeError("batches must be re-iterable (a list), not a one-shot iterator")
    if val_batches is not None and iter(val_batches) is val_batches:
        raise TypeError("val_batches must be re-iterable (a list), not a one-shot iterator")
    history, step = History(), 0
    bar = _progress_bar(progress, epochs, batches)
    for epoch in range(1, epochs + 1):
        _reset(model)
        first = len(history.losses)
        for i, (xs, ts) in enumerate(batches, start=1):
            step += 1
            if bptt == "full":
                _reset(model)
            loss = float(model.forward(xs, ts))
            try:
                check_finite_loss(loss, step)
            except FloatingPointError as err:
                raise FloatingPointError(f"{err} (epoch {epoch}, batch {i})") from None
            model.backward()
            grads = model.grads
            if max_grad_norm is None:
                norm = global_norm(grads)
            else:
                norm = clip_grad_norm(grads, max_grad_norm)
            optimizer.update(model.params, grads)
            history.losses.append(loss)
            history.grad_norms.append(norm)
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{loss:.4f}")
        history.epoch_losses.append(float(np.mean(history.losses[first:])))
        if val_batches is not None:
            history.val_losses.append(evaluate(model, val_batches, bptt))
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(_log_line(epoch, history))
    if bar is not None:
        bar.close()
    _reset(model)
    return history


def _log_line(epoch: int, history: History) -> str:
    loss = history.epoch_losses[-1]
    line = f"epoch {epoch:3d}  loss {loss:.4f}  ppl {perplexity(loss):.2f}"
    if history.val_losses:
        val = history.val_losses[-1]
        line += f"  val loss {val:.4f}  val ppl {perplexity(val):.2f}"
    return line


def _progress_bar(progress: bool, epochs: int, batches):
    if not progress:
        return None
    from tqdm.auto import tqdm

    total = epochs * len(batches) if hasattr(batches, "__len__") else None
    return tqdm(total=total, desc="training")
