"""Every drawing of the book (Matplotlib), chapter by chapter. Only the notebook set-up
(``course_rnn.notebook``) and the chapters import these modules; nothing else in the package
does.
"""
