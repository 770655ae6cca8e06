"""Cursors for keyset paging: what goes in comes back, and anything else reads as none."""

from datetime import UTC, datetime

import pytest

from lms_admin.plumbing.cursors import MOMENT, MOMENT_OR_NONE, NUMBER, decode_cursor, encode_cursor

WHEN = datetime(2026, 3, 1, 14, 5, 9, 123456, tzinfo=UTC)


def test_a_change_log_cursor_comes_back_as_it_went_in():
    text = encode_cursor(WHEN, 2, 41)
    assert "=" not in text
    assert decode_cursor(text, (MOMENT, NUMBER, NUMBER)) == (WHEN, 2, 41)


def test_an_archived_cursor_may_have_no_time():
    assert decode_cursor(encode_cursor(None, 7), (MOMENT_OR_NONE, NUMBER)) == (None, 7)
    assert decode_cursor(encode_cursor(WHEN, 7), (MOMENT_OR_NONE, NUMBER)) == (WHEN, 7)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 at all!",
        encode_cursor("yesterday", 7),  # not a time
        encode_cursor(WHEN, "7"),  # not a number
        encode_cursor(WHEN, 7),  # one value short for the change log
        encode_cursor(None, 2, 41),  # the change log's cursors always have a time
    ],
)
def test_a_cursor_that_is_not_one_of_ours_reads_as_none(text):
    assert decode_cursor(text, (MOMENT, NUMBER, NUMBER)) is None
