"""The forecasting benchmark of chapter 11 (Hands-On ML's table, reproduced): ``rows``
(published values, models, scores) <- ``train`` (numpy) <- ``torch_twin`` <- ``run`` (one
row, several in parallel) <- ``bench`` (3 seeds, ``python -m course_rnn.forecast``).
``report`` formats a table. The series come from ``course_rnn.data.series``.
"""
