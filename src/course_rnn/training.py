r"""The one numpy training loop of the course: full or truncated BPTT, clipping, any optimiser.

A *model* is a ``course_rnn.models.Model`` (or anything with the same protocol):
``forward(inputs, targets) -> loss`` (a float), ``backward()`` (fills ``grads``), the dicts
``params`` and ``grads`` with the same keys, and ``stateful``/``reset_state()``. Every
chapter trains with ``train``: the language model (chapters 3, 4), the models of chapter 2
(through ``fit``, Adam on reshuffled mini-batches with a printed line per round), the
regressors and forecasting stacks of chapter 11, the encoder-decoder of chapter 9.

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
clipping) and chapter 4 (the language model's training); used in chapters 2, 7, 8 and 9.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from course_rnn._validate import check_finite_loss
from course_rnn.optim import Adam, Optimizer, clip_grad_norm, global_norm

BPTT_MODES = ("truncated", "full")
EPOCH_MEANS = ("batch", "sample")
LANGS = ("en", "ko")  # languages of the printed lines


@dataclass
class History:
    r"""What ``train`` records: one loss and one gradient norm per step, means per epoch.

    .. math::

        \bar L_\text{epoch} = \frac{1}{K} \sum_{k=1}^{K} L^{(k)}
        \ \Bigl(\text{or } \frac{\sum_k n_k L^{(k)}}{\sum_k n_k}\Bigr), \qquad
        \mathrm{PPL} = e^{\bar L}

    and, if asked, the validation loss after every epoch and a metric :math:`m` at the
    epochs listed in ``metric_epochs``. Torch has no such record (a list filled by hand).
    Taught in chapter 4.
    """

    losses: list[float] = field(default_factory=list)  # every step
    grad_norms: list[float] = field(default_factory=list)  # every step, before clipping
    epoch_losses: list[float] = field(default_factory=list)  # mean over each epoch's steps
    val_losses: list[float] = field(default_factory=list)  # after each epoch, if asked
    metrics: list[float] = field(default_factory=list)  # metric(model), if asked
    metric_epochs: list[int] = field(default_factory=list)  # the epochs they were measured at

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
    training (for ``"full"``, reset before each batch). A model with ``train()``/``eval()``
    (dropout) is evaluated in evaluation mode and put back in its mode after. Torch: the
    loop under ``model.eval()`` and ``torch.no_grad()``. Taught in chapter 4.
    """
    _check_mode(model, bptt)
    mode = getattr(model, "training", None)  # a model with train()/eval(): dropout off
    if mode is not None:
        model.eval()
    try:
        _reset(model)
        losses = []
        for xs, ts in batches:
            if bptt == "full":
                _reset(model)
            losses.append(float(model.forward(xs, ts)))
        _reset(model)
    finally:
        if mode:
            model.train()
    if not losses:
        raise ValueError("evaluate got no batches")
    return float(np.mean(losses))


def shuffled_batches(inputs, targets, batch_size: int, rng: np.random.Generator,
                     every: int = 1) -> Callable[[int], list]:
    r"""Mini-batches in a random order, drawn anew every ``every`` epochs: for ``train``.

    .. math::

        \pi \sim \mathrm{Uniform}(S_N), \qquad
        B_j = \{\pi_{jB + 1}, \dots, \pi_{(j+1)B}\}

    Returns ``batches(epoch) -> [(inputs[B_j], targets[B_j]), ...]`` (epochs counted from
    1): at epoch 1, every + 1, 2 every + 1, ... one ``rng.permutation(N)``; in between, the
    same batches. ``inputs``, ``targets``: arrays with first axis N. Torch:
    ``DataLoader(TensorDataset(...), batch_size, shuffle=True)`` (which reshuffles every
    epoch). Taught in chapter 2 (``fit``) and chapter 11 (the forecasting benchmark).
    """
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    n = len(inputs)
    current: list = []

    def batches(epoch: int) -> list:
        if (epoch - 1) % every == 0 or not current:
            order = rng.permutation(n)
            current[:] = [(inputs[order[i:i + batch_size]], targets[order[i:i + batch_size]])
                          for i in range(0, n, batch_size)]
        return current

    return batches


def train(model, batches, optimizer: Optimizer, *, epochs: int = 1,
          bptt: str = "truncated", max_grad_norm: float | None = None,
          val_batches: Iterable | None = None, metric: Callable | None = None,
          metric_every: int = 1, on_epoch: Callable[[int, History], None] | None = None,
          epoch_mean: str = "batch", log_every: int = 0, progress: bool = False,
          lang: str = "en") -> History:
    r"""Train ``model`` by gradient descent through time.

    For every batch: forward (loss), backward, clip the global gradient norm,
    :math:`g \leftarrow g \min(1, c / \|g\|)`, then ``optimizer.update(params, grads)``.

    Parameters
    ----------
    model
        See the module docstring.
    batches : re-iterable of (xs, ts), or callable
        A list such as ``truncated_bptt_batches(...)``, read once per epoch (a one-shot
        generator would leave later epochs empty, so it is refused); or
        ``batches(epoch) -> list`` called at the start of every epoch (counted from 1),
        e.g. ``shuffled_batches(...)``.
    optimizer : SGD, Momentum or Adam
    epochs : int
    bptt : {"truncated", "full"}
        "truncated": state carried across batches within an epoch, reset at its start;
        "full": state reset before every batch.
    max_grad_norm : float or None
        Clip by global norm (``clip_grad_norm``); None: no clipping.
    val_batches : re-iterable of (xs, ts), or None
        Evaluated after every epoch (``evaluate``) into ``History.val_losses``.
    metric : callable, optional
        ``metric(model) -> float``, measured after every ``metric_every`` epochs and after
        the last, into ``History.metrics`` (and the epoch into ``History.metric_epochs``).
    metric_every : int
    on_epoch : callable, optional
        ``on_epoch(epoch, history)``, called after every epoch (after the validation and
        the metric), e.g. to print a line of one's own.
    epoch_mean : {"batch", "sample"}
        ``History.epoch_losses``: the mean of the batches' losses, or their mean weighted
        by the batch sizes, :math:`\sum_k n_k L^{(k)} / \sum_k n_k` (the mean over samples).
    log_every : int
        Print one rounded line (epoch, loss, perplexity, validation) to stdout every
        ``log_every`` epochs; 0: silent. Suits notebooks (stdout, deterministic).
    progress : bool
        Show a tqdm progress bar (on stderr; off by default).
    lang : {"en", "ko"}
        Language of the printed lines and of the ``FloatingPointError`` message
        (``"ko"``: ``에폭  10  손실 0.5240  퍼플렉서티 1.69``); the numbers are the same.

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
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if epoch_mean not in EPOCH_MEANS:
        raise ValueError(f"epoch_mean must be one of {EPOCH_MEANS}, got {epoch_mean!r}")
    batches_of = batches if callable(batches) else lambda epoch: batches
    if not callable(batches) and iter(batches) is batches:
        raise TypeError("batches must be re-iterable (a list), not a one-shot iterator")
    if val_batches is not None and iter(val_batches) is val_batches:
        raise TypeError("val_batches must be re-iterable (a list), not a one-shot iterator")
    history, step = History(), 0
    bar = _progress_bar(progress, epochs, batches)
    for epoch in range(1, epochs + 1):
        _reset(model)
        first, sizes = len(history.losses), []
        for i, (xs, ts) in enumerate(batches_of(epoch), start=1):
            step += 1
            if bptt == "full":
                _reset(model)
            loss = float(model.forward(xs, ts))
            try:
                check_finite_loss(loss, step, lang)
            except FloatingPointError as err:
                where = {"en": f"epoch {epoch}, batch {i}", "ko": f"에폭 {epoch}, 배치 {i}"}[lang]
                raise FloatingPointError(f"{err} ({where})") from None
            model.backward()
            grads = model.grads
            if max_grad_norm is None:
                norm = global_norm(grads)
            else:
                norm = clip_grad_norm(grads, max_grad_norm)
            optimizer.update(model.params, grads)
            history.losses.append(loss)
            history.grad_norms.append(norm)
            sizes.append(len(xs))
            if bar is not None:
                bar.update()
                bar.set_postfix(loss=f"{loss:.4f}")
        history.epoch_losses.append(_epoch_loss(history.losses[first:], sizes, epoch_mean))
        if val_batches is not None:
            history.val_losses.append(evaluate(model, val_batches, bptt))
        if metric is not None and (epoch % metric_every == 0 or epoch == epochs):
            history.metrics.append(float(metric(model)))
            history.metric_epochs.append(epoch)
        if on_epoch is not None:
            on_epoch(epoch, history)
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(_log_line(epoch, history, lang))
    if bar is not None:
        bar.close()
    _reset(model)
    return history


def _epoch_loss(losses: list, sizes: list, epoch_mean: str) -> float:
    if epoch_mean == "batch":
        return float(np.mean(losses))
    total = 0.0
    for loss, n in zip(losses, sizes, strict=True):
        total += loss * n
    return total / sum(sizes)


_LOG_WORDS = {  # epoch, loss, perplexity, validation loss, validation perplexity
    "en": ("epoch", "loss", "ppl", "val loss", "val ppl"),
    "ko": ("에폭", "손실", "퍼플렉서티", "검증 손실", "검증 퍼플렉서티"),
}


def _log_line(epoch: int, history: History, lang: str = "en") -> str:
    w = _LOG_WORDS[lang]
    loss = history.epoch_losses[-1]
    line = f"{w[0]} {epoch:3d}  {w[1]} {loss:.4f}  {w[2]} {perplexity(loss):.2f}"
    if history.val_losses:
        val = history.val_losses[-1]
        line += f"  {w[3]} {val:.4f}  {w[4]} {perplexity(val):.2f}"
    return line


def _progress_bar(progress: bool, epochs: int, batches):
    if not progress:
        return None
    from tqdm.auto import tqdm

    total = epochs * len(batches) if hasattr(batches, "__len__") else None
    return tqdm(total=total, desc="training")


def fit(model, inputs, targets, *, epochs: int, rng: np.random.Generator, lr: float = 0.01,
        batch_size: int = 32, max_grad_norm: float = 5.0, log_every: int = 0,
        metric: Callable[[object], float] | None = None, metric_name: str = "metric",
        name: str = "", verbose: bool = True, lang: str = "en") -> History:
    r"""``train`` with Adam on mini-batches reshuffled every ``log_every`` epochs, in rounds.

    .. math::

        \theta \leftarrow \mathrm{Adam}\bigl(\theta, \nabla_\theta L\bigr), \qquad
        g \leftarrow g \min\bigl(1, c / \|g\|\bigr)

    Full BPTT (every sequence is whole, the state starts from zeros). A round is
    ``log_every`` epochs on the same shuffled batches (``shuffled_batches``); after each
    round ``metric(model)`` is measured and one rounded line goes to stdout: the epoch,
    the mean loss of the round's last epoch, and the metric.

    Parameters
    ----------
    model
        E.g. ``SequenceClassifier``, ``SequenceGenerator``, ``SequenceTagger`` or
        ``EncoderDecoder`` (``course_rnn.sequence_models``).
    inputs, targets : ndarray, first axis N
        E.g. ``xs`` (N, T, D) and ``labels`` (N,).
    epochs : int
    rng : numpy.random.Generator
        Shuffles the mini-batches.
    lr, batch_size, max_grad_norm : float, int, float
    log_every : int
        Epochs per round (0: one round of ``epochs``, printed once).
    metric : callable, optional
        ``metric(model) -> float``, e.g. the validation accuracy, printed as
        ``metric_name``; into ``History.metrics`` (epochs in ``History.metric_epochs``).
    name : str
        Printed before each line.
    verbose : bool
        Print the lines (False: record only).
    lang : {"en", "ko"}
        Language of the printed words (``"ko"``: ``에폭   10  손실 0.1813``) and of the
        ``FloatingPointError`` message; ``name`` and ``metric_name`` are printed as given.

    Returns
    -------
    History
        ``epoch_losses``: the mean training loss of every epoch.

    Notes
    -----
    torch: the loop ``for xb, yb in DataLoader(..., shuffle=True)`` with
    ``torch.optim.Adam`` and ``clip_grad_norm_``. Taught in chapter 2.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    every = log_every or epochs
    w = _LOG_WORDS[lang]  # epoch, loss

    def report(epoch: int, history: History) -> None:
        if verbose and (epoch % every == 0 or epoch == epochs):
            line = f"{name}{w[0]} {epoch:4d}  {w[1]} {history.epoch_losses[-1]:.4f}"
            if metric is not None:
                line += f"  {metric_name} {history.metrics[-1]:.4f}"
            print(line)

    return train(model, shuffled_batches(inputs, targets, batch_size, rng, every), Adam(lr=lr),
                 epochs=epochs, bptt="full", max_grad_norm=max_grad_norm, metric=metric,
                 metric_every=every, on_epoch=report, lang=lang)
