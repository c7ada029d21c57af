"""course_rnn.notebook: the setup of a chapter notebook."""

import pytest

from course_rnn.notebook import setup


def test_setup_rejects_an_unknown_edition():
    with pytest.raises(ValueError, match="lang must be one of"):
        setup("fr")
