"""Data of the course, for every chapter: batches for truncated BPTT, the generated corpora,
the real corpora (``text``) and their tokenisers (``tokenize``), dates, the tasks of
chapters 2, 3 and 5, and the forecasting series. Imports nothing of the package but
``course_rnn._validate``.
"""
