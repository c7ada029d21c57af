"""``python -m course_rnn.forecast``: the 3-seed forecasting benchmark (``make forecast``)."""

import sys

from course_rnn.forecast.bench import main

sys.exit(main())
