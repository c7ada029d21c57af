"""Auto-graded exercises: instant checks for learners, release and batch grading for instructors.

Used by the exercises of every chapter (``exercises/ko``, ``exercises/en``: one notebook
per chapter, chapter 1 first); the instructors' page of chapter 0 and
``exercises/README.md`` describe the format, the ``course-rnn`` command and the sandbox.

- learners: ``check = load_checks("01_recurrent_cell", "ko")`` in the set-up cell, then
  ``check("q1")`` after each answer (``course_rnn.grading.checks``);
- instructors: ``course-rnn release`` writes the student notebooks, refusing when a
  solution fails its own tests (``course_rnn.grading.release``);
  ``course-rnn grade`` grades a folder of submissions in a sandbox into a gradebook
  and feedback files (``course_rnn.grading.grade``, ``course_rnn.grading.sandbox``).

Modules: ``spec`` (the format), ``assignment`` (the solution's outputs), ``judge``
(comparing, explaining), ``messages`` (Korean and English), ``_worker`` (the sandboxed
process, standard library and numpy only), ``bench`` (speed of grading).
"""

from course_rnn.grading.checks import Checks, load_checks

__all__ = ["Checks", "load_checks"]
