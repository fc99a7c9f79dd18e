"""Dates, periods and ids read from query parameters: malformed ones are refused or ignored."""

from __future__ import annotations

import datetime as dt
import re

from survey_app.core.errors import DomainError


def date_arg(value: str | None) -> str | None:
    """A YYYY-MM-DD query parameter, None when empty; DomainError (400) when malformed."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise DomainError("bad_date", value[:40]) from None


def int_arg(value: str | None) -> int | None:
    """A positive id from a query parameter; None when absent, not ASCII digits or too large.

    str.isdigit() accepts '²' and int() then fails; and SQLite cannot look up past 2**63 - 1.
    """
    if not value or not re.fullmatch(r"[0-9]{1,18}", value):
        return None
    return int(value)
