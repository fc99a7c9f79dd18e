"""Who may visit where, decided on the server's own clock and records (no Flask).

A mystery shopper seen too often at one counter is recognised, so each OPD
has a minimum number of days between two visits by the same evaluator and a
cap on visits per evaluator per quarter. Both are judged from the dates the
server received earlier visits and the server's today, never from a date a
tablet sent, so a replayed or back-dated visit cannot slip past them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

COUNTED = ("submitted", "returned", "approved")

# asked on every visit sent; answered from the (evaluator_id, opd_id, status) index
RECEIVED = (
    "select coalesce(submitted_at, created_at) from visits where evaluator_id = ? "
    "and opd_id = ? and status in (?, ?, ?) and uuid != ? order by 1"
)


@dataclass(frozen=True)
class Refusal:
    code: str  # "own_opd" | "too_soon" | "quarter_full"
    until: dt.date | None = None
    last: dt.date | None = None
    limit: int | None = None


def quarter_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First day of day's quarter and first day of the next one."""
    start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    month = start.month + 3
    end = dt.date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
    return start, end


def limits(db: Database, opd_id: int, defaults: tuple[int, int]) -> tuple[int, int]:
    """(minimum days between visits, visits per quarter) for an OPD; 0 means no limit."""
    row = db.execute(
        "select min_days_between_visits, max_visits_per_quarter from opds where id = ?", [opd_id]
    ).fetchone()
    if row is None:
        return defaults
    return (
        row[0] if row[0] is not None else defaults[0],
        row[1] if row[1] is not None else defaults[1],
    )


def may_visit(
    db: Database,
    evaluator: dict,
    opd_id: int,
    today: dt.date,
    defaults: tuple[int, int],
    exclude_uuid: str | None = None,
) -> Refusal | None:
    """None when the evaluator may visit the OPD today, else why not and until when."""
    if evaluator.get("opd_id") == opd_id:
        return Refusal("own_opd")
    min_days, per_quarter = limits(db, opd_id, defaults)
    received = [
        dt.date.fromisoformat(r[0][:10])
        for r in db.execute(RECEIVED, [evaluator["id"], opd_id, *COUNTED, exclude_uuid or ""])
    ]
    if min_days and received:
        until = received[-1] + dt.timedelta(days=min_days)
        if today < until:
            return Refusal("too_soon", until=until, last=received[-1])
    start, end = quarter_bounds(today)
    if per_quarter and sum(1 for d in received if start <= d < end) >= per_quarter:
        return Refusal("quarter_full", until=end, limit=per_quarter)
    return None
