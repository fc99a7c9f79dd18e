"""The records the lockout rules are judged on: the OPD's limits and earlier visits received."""

from __future__ import annotations

import datetime as dt

from sqlite_utils import Database

from survey_app.core import rules
from survey_app.core.rules import Refusal

COUNTED = ("submitted", "returned", "approved")


RECEIVED = (
    "select coalesce(submitted_at, created_at) from visits where evaluator_id = ? "
    "and opd_id = ? and status in (?, ?, ?) and uuid != ? order by 1"
)


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
    return rules.judge(
        evaluator.get("opd_id"),
        opd_id,
        today,
        limits(db, opd_id, defaults),
        received(db, evaluator["id"], opd_id, exclude_uuid),
    )


def received(
    db: Database, evaluator_id: int, opd_id: int, exclude_uuid: str | None = None
) -> list[dt.date]:
    """The server dates of the evaluator's counted visits to the OPD, oldest first."""
    return [
        dt.date.fromisoformat(r[0][:10])
        for r in db.execute(RECEIVED, [evaluator_id, opd_id, *COUNTED, exclude_uuid or ""])
    ]
