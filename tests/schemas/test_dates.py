"""schemas.dates: the strict xsd:dateTime check proofs use, and the one output form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from schemas.dates import format_datetime, is_xsd_datetime, parse_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-09-01T08:30:00Z", True),
        ("2026-09-01T08:30:00.5-07:00", True),
        ("2026-09-01T08:30:00", True),
        ("2026-09-01 08:30:00Z", False),
        ("2026-09-01T08:30Z", False),
        ("2026-09-01", False),
        (None, False),
    ],
)
def test_is_xsd_datetime_checks_the_lexical_form(value: object, expected: bool) -> None:
    assert is_xsd_datetime(value) is expected


def test_proof_dates_are_whole_seconds_in_utc() -> None:
    moment = datetime(2026, 9, 1, 1, 30, 0, 500_000, tzinfo=timezone(timedelta(hours=-7)))
    assert format_datetime(moment) == "2026-09-01T08:30:00Z"
    assert format_datetime(moment, fraction=True) == "2026-09-01T08:30:00.500000Z"
    assert format_datetime(datetime(2026, 9, 1, 8, 30)) == "2026-09-01T08:30:00Z"  # naive: UTC


def test_parse_reads_z_and_takes_no_zone_as_utc() -> None:
    expected = datetime(2026, 9, 1, 8, 30, tzinfo=UTC)
    assert parse_datetime("2026-09-01T08:30:00Z") == expected
    assert parse_datetime(" 2026-09-01T08:30:00z ") == expected
    assert parse_datetime("2026-09-01T08:30:00") == expected
    assert parse_datetime("not a date") is None
    assert parse_datetime(42) is None
