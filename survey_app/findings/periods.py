"""The period a screen or document shows, and the one before it (no Flask).

A period is any span of days; the one compared with it has the same length
and ends the day before. Quarters ('2026-Q3') are the dashboard's presets.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlite_utils import Database

from survey_app.core.errors import DomainError
from survey_app.core.i18n import N_, LazyText, lazy
from survey_app.core.rules import quarter_bounds
from survey_app.store import summaries

PRESETS = 8  # quarter buttons on the dashboard, newest last


def period(date_from: str, date_to: str) -> dict[str, str]:
    """The reporting period and the same-length window right before it."""
    try:
        start, end = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
    except (TypeError, ValueError):
        raise DomainError("bad_date", f"{date_from} / {date_to}") from None
    if end < start:
        raise DomainError("bad_date", f"{date_to} < {date_from}")
    previous_to = start - dt.timedelta(days=1)
    previous_from = previous_to - (end - start)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "previous_from": previous_from.isoformat(),
        "previous_to": previous_to.isoformat(),
    }


def quarter_label(start: dt.date) -> LazyText:
    """'Triwulan 3 2026' / 'Q3 2026', in the reader's language when shown."""
    return lazy(N_("Q%(n)s %(year)s"), n=(start.month - 1) // 3 + 1, year=start.year)


def quarter_key(start: dt.date) -> str:
    """2026-07-01 -> '2026-Q3'."""
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def quarter(value: str) -> tuple[dt.date, dt.date]:
    """'2026-Q3' -> (2026-07-01, 2026-09-30); DomainError when malformed."""
    try:
        year, n = value.split("-Q")
        start = dt.date(int(year), 3 * (int(n) - 1) + 1, 1)
    except ValueError:
        raise DomainError("bad_date", value[:40]) from None
    return start, _last_day(start)


def _last_day(start: dt.date) -> dt.date:
    return quarter_bounds(start)[1] - dt.timedelta(days=1)


def default_period(db: Database, today: dt.date) -> tuple[dt.date, dt.date]:
    """The current quarter to date, today included: a visit approved today shows at once.

    `db` stays for callers; the last full quarter is one preset button away.
    """
    return quarter_bounds(today)[0], today


def chosen(
    db: Database, date_from: str | None, date_to: str | None, key: str | None, today: dt.date
) -> dict[str, Any]:
    """The period asked for (both dates, else a quarter key, else the default) and the one
    before; a whole quarter also carries its key and label."""
    if date_from and date_to:
        span: dict[str, Any] = period(date_from, date_to)
    else:
        start, end = quarter(key) if key else default_period(db, today)
        span = period(start.isoformat(), end.isoformat())
    start = dt.date.fromisoformat(span["from"])
    whole = quarter_bounds(start)[0] == start and span["to"] == _last_day(start).isoformat()
    span["quarter"] = quarter_key(start) if whole else None
    span["label"] = quarter_label(start) if whole else None
    return span


def presets(db: Database, today: dt.date) -> list[dict[str, Any]]:
    """Quarter buttons: from the first approved visit to the current quarter, newest last."""
    first = summaries.approved_dates(db)[0]
    current = quarter_bounds(today)[0]
    start = quarter_bounds(dt.date.fromisoformat(first))[0] if first else current
    found = []
    while start <= current:
        found.append({"q": quarter_key(start), "label": quarter_label(start)})
        start = quarter_bounds(start)[1]
    return found[-PRESETS:]
