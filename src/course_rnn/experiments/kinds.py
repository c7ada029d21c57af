r"""The measures of chapter 2 (kinds of RNN): accuracy, and the trivial baselines to beat.

The models are ``course_rnn.sequence_models`` (``SequenceClassifier``, ``SequenceGenerator``,
``SequenceTagger``, ``EncoderDecoder``), the tasks ``course_rnn.data.tasks``, the training
``course_rnn.training.fit``. Targets equal to ``IGNORE`` (-100, torch's ``ignore_index``)
are skipped, as by the losses.

.. math::

    \mathrm{acc} = \frac{1}{|\mathcal{V}|} \sum_{i \in \mathcal{V}} [\hat y_i = y_i], \qquad
    \mathcal{V} = \{i : y_i \ne \mathrm{IGNORE}\}

Taught in chapter 2 (kinds of RNN).
"""

from __future__ import annotations

import numpy as np

from course_rnn.sequence_models import IGNORE


def accuracy(scores, labels) -> float:
    r"""Share of the labels that the highest score picks, skipping ``IGNORE``.

    .. math::

        \mathrm{acc} = \frac{1}{|\mathcal{V}|} \sum_{i \in \mathcal{V}}
        [\arg\max_c s_{i,c} = y_i]

    ``scores`` (..., C), ``labels`` of shape ``scores.shape[:-1]``; or predicted ids of
    the labels' shape. torch: ``(scores.argmax(-1) == y)[y != -100].float().mean()``.
    Taught in chapter 2.
    """
    scores, labels = np.asarray(scores), np.asarray(labels)
    pred = scores if scores.shape == labels.shape else scores.argmax(axis=-1)
    valid = labels != IGNORE
    return float(np.mean(pred[valid] == labels[valid]))


def majority_accuracy(train_labels, test_labels) -> float:
    r"""Accuracy of the trivial baseline that always answers the most frequent training
    label, :math:`\hat y = \arg\max_c \#\{i : y_i = c\}` (``IGNORE`` skipped). torch: none.
    Taught in chapter 2.
    """
    train_labels, test_labels = np.asarray(train_labels), np.asarray(test_labels)
    kept = train_labels[train_labels != IGNORE]
    values, counts = np.unique(kept, return_counts=True)
    guess = values[counts.argmax()]
    valid = test_labels != IGNORE
    return float(np.mean(test_labels[valid] == guess))


def mean_baseline_mse(train_targets, test_targets) -> float:
    r"""MSE of the trivial baseline that outputs the mean training sequence,
    :math:`\hat y_t = \frac{1}{N}\sum_n y_{n,t}`, whatever the input. Shapes (N, T, M).
    torch: none. Taught in chapter 2.
    """
    mean = np.asarray(train_targets).mean(axis=0)  # (T, M)
    return float(np.mean((np.asarray(test_targets) - mean) ** 2))
