import io

import pytest

from pavas_core.errors import Cancelled
from pavas_core.progress import ConsoleProgress, report


def test_report_cancels_when_callback_returns_false():
    seen = []

    def cb(done, total):
        seen.append((done, total))
        return done < 2

    report(cb, 1, 5)
    with pytest.raises(Cancelled, match="2 of 5"):
        report(cb, 2, 5)
    assert seen == [(1, 5), (2, 5)]


def test_report_propagates_exceptions_raised_by_the_callback():
    class Interrupt(Exception):
        pass

    def cb(done, total):
        raise Interrupt

    with pytest.raises(Interrupt):
        report(cb, 1, 1)
    report(None, 1, 1)  # no callback: nothing happens


def test_console_progress_is_silent_when_not_a_terminal():
    stream = io.StringIO()
    ConsoleProgress("x", stream=stream)(1, 1)
    assert stream.getvalue() == ""
