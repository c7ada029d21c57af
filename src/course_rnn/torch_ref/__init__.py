"""The torch side of the course (every chapter from 1 on compares with it): conversion of
parameters to and from torch modules, torch twins of the numpy models, and the speed
benchmark (``python -m course_rnn.torch_ref.bench``). Every module here imports torch;
``import course_rnn`` imports none of them.
"""
