"""Who may visit where, decided on the server's own clock and records (pure).

A mystery shopper seen too often at one counter is recognised, so each OPD
has a minimum number of days between two visits by the same evaluator and a
cap on visits per evaluator per quarter. Both are judged from the dates the
server received earlier visits and the server's today, never from a date a
tablet sent, so a replayed or back-dated visit cannot slip past them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# asked on every visit sent; answered from the (evaluator_id, opd_id, status) index


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


def judge(
    evaluator_opd_id: int | None,
    opd_id: int,
    today: dt.date,
    limits: tuple[int, int],
    received: list[dt.date],
) -> Refusal | None:
    """None when the evaluator may visit the OPD today, else why not and until when.

    `limits` is (minimum days between visits, visits per quarter), 0 meaning
    none; `received` are the server dates of the evaluator's earlier visits
    to the OPD, oldest first.
    """
    if evaluator_opd_id == opd_id:
        return Refusal("own_opd")
    min_days, per_quarter = limits
    if min_days and received:
        until = received[-1] + dt.timedelta(days=min_days)
        if today < until:
            return Refusal("too_soon", until=until, last=received[-1])
    start, end = quarter_bounds(today)
    if per_quarter and sum(1 for d in received if start <= d < end) >= per_quarter:
        return Refusal("quarter_full", until=end, limit=per_quarter)
    return None
