r"""RNN, LSTM and GRU side by side: parameter counts, and the same trainings timed.

- ``parameter_formula`` / ``count_parameters``: :math:`G \cdot H(D + H + b)` with
  :math:`G` = 1, 4, 3 blocks for the RNN, LSTM, GRU (``course_rnn.cells``), against the
  count of a module;
- ``compare_cells``: chapter 5's trainings (``course_rnn.experiments.adding.train_adding`` on the
  adding problem, ``train_char_lm`` on a character corpus) run for each cell with the
  same data, sizes, optimizer and seed, with the wall-clock time of each epoch.

Taught in chapter 6. torch is imported only inside the training functions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from course_rnn.cells import get_cell


def parameter_formula(cell: str, D: int, H: int, biases: int = 2) -> int:
    r"""Number of parameters of one recurrent layer.

    .. math::

        G \cdot H \cdot (D + H + \text{biases}), \qquad G = 1 \text{ (RNN)}, 4 \text{ (LSTM)},
        3 \text{ (GRU)}

    ``biases=2`` counts torch's ``bias_ih`` and ``bias_hh``; ``biases=1`` the single bias
    of course_rnn's RNN and LSTM (the sum, which is all they compute with). The GRU needs
    both (:math:`b_{hn}` is multiplied by the reset gate), so course_rnn's GRU has
    :math:`3H(D + H + 2)`. G is ``course_rnn.cells.get_cell(cell).blocks`` (the RNN's one
    block, the LSTM's i, f, g, o, the GRU's r, z, n). Taught in chapter 6.
    """
    return get_cell(cell).blocks * H * (D + H + biases)


def count_parameters(module) -> int:
    r"""Number of scalars in a torch module's parameters, :math:`\sum_p |p|`.

    torch: ``sum(p.numel() for p in module.parameters())``. Taught in chapter 6.
    """
    return int(sum(p.numel() for p in module.parameters()))


@dataclass
class CellResult:
    """One cell's training in ``compare_cells``. Taught in chapter 6."""

    cell: str
    parameters: int  # of the whole model (recurrent layer, head, embedding)
    recurrent_parameters: int  # of the recurrent layer alone
    metric: list = field(default_factory=list)  # validation MSE or perplexity, every epoch
    seconds_per_epoch: float = 0.0  # median wall-clock time of an epoch
    model: object = field(default=None, repr=False)

    @property
    def final(self) -> float:
        """The validation metric after the last epoch."""
        return self.metric[-1]


def compare_cells(task: str, train, val, cells=("rnn", "lstm", "gru"), **kwargs) -> dict:
    r"""Run one of chapter 5's trainings for every cell: ``{cell: CellResult}``.

    .. math::

        \text{same data},\ H,\ \text{optimizer, seed} \;\Rightarrow\; \text{only the cell differs}

    Parameters
    ----------
    task : {"adding", "char_lm"}
        ``"adding"``: ``train`` and ``val`` are ``(xs (N, T, 2), ys (N, 1))`` pairs and the
        metric is the validation MSE (``experiments.adding.train_adding``). ``"char_lm"``:
        they are id arrays (n,) and ``kwargs`` must hold ``V``; the metric is the
        validation perplexity (``course_rnn.experiments.adding.train_char_lm``).
    cells : sequence of cell names with a torch module (``course_rnn.cells``)
    **kwargs
        Passed to the training function (``H``, ``epochs``, ``lr``, ``seed``, ``log_every``,
        ``lang`` (the language of the printed lines)...).

    Returns
    -------
    dict
        ``CellResult`` per cell; the time of an epoch is the median over epochs (for
        ``"adding"``, the whole call divided by the number of epochs).

    Notes
    -----
    torch: ``nn.RNN``/``nn.LSTM``/``nn.GRU`` in ``torch_ref.models``. Taught in chapter 6.
    """
    from course_rnn.experiments.adding import train_adding, train_char_lm

    if task not in ("adding", "char_lm"):
        raise ValueError(f"task must be 'adding' or 'char_lm', got {task!r}")
    results = {}
    for cell in cells:
        start = time.perf_counter()
        if task == "adding":
            model, hist = train_adding(cell, train, val, **kwargs)
            metric = hist["val"]
            seconds = (time.perf_counter() - start) / len(metric)
        else:
            model, hist = train_char_lm(cell, train, val, **kwargs)
            metric = hist["val_ppl"]
            seconds = float(np.median(hist["seconds"]))
        results[cell] = CellResult(cell, count_parameters(model), count_parameters(model.rnn),
                                   list(metric), seconds, model)
    return results
