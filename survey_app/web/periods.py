"""Dates and periods read from query parameters."""

from __future__ import annotations

import datetime as dt

from survey_app.core.errors import DomainError


def date_arg(value: str | None) -> str | None:
    """A YYYY-MM-DD query parameter, None when empty; DomainError (400) when malformed."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise DomainError("bad_date", value[:40]) from None
