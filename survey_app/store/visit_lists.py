"""Visits as the screens list them: the review queue, counts, recent visits, one person's.

Each list takes a records.VisitFilter, so every screen selects visits the same
way the documents and exports do (records.visit_filter).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from survey_app.store import records
from survey_app.store.records import VisitFilter

# The orders the review queue offers; the screen names them.
QUEUE_ORDERS = {
    "waiting": "v.submitted_at is null, v.submitted_at, v.visit_date",
    "date": "v.visit_date desc, v.submitted_at desc",
    "opd": "o.name, v.visit_date desc",
    "evaluator": "u.name, v.visit_date desc",
}
_NAMES = "from visits v join opds o on o.id = v.opd_id join services s on s.id = v.service_id "


def queue(db: Database, found: VisitFilter, order: str, limit: int) -> list[dict[str, Any]]:
    """The review queue: visits with OPD, service, evaluator and instruments, in QUEUE_ORDERS."""
    where, params = records.visit_filter(found, alias="v.")
    rows = db.execute(
        "select v.uuid, v.status, v.visit_date, v.submitted_at, v.reviewed_at, "
        "o.name as opd_name, s.name as service_name, u.name as evaluator_name, "
        "(select group_concat(vi.instrument_id, ', ') from visit_instruments vi "
        "where vi.visit_uuid = v.uuid) as instruments "
        f"{_NAMES}join users u on u.id = v.evaluator_id where {where} "
        f"order by {QUEUE_ORDERS[order]} limit ?",
        [*params, limit],
    )
    return [dict(r) for r in rows]


def status_counts(db: Database, found: VisitFilter) -> dict[str, int]:
    """How many of the filtered visits are in each status (every status, zero included)."""
    where, params = records.visit_filter(found, alias="v.")
    rows = db.execute(
        f"select v.status, count(*) from visits v where {where} group by v.status", params
    )
    counts = dict.fromkeys(records.STATUSES, 0)
    counts.update({r[0]: r[1] for r in rows})
    return counts


def recent(db: Database, found: VisitFilter, limit: int) -> list[dict[str, Any]]:
    """The newest filtered visits (uuid, date, status, OPD and service names)."""
    where, params = records.visit_filter(found, alias="v.")
    rows = db.execute(
        "select v.uuid, v.visit_date, v.status, o.name as opd_name, s.name as service_name "
        f"{_NAMES}where {where} order by v.visit_date desc limit ?",
        [*params, limit],
    )
    return [dict(r) for r in rows]


def of_evaluator(db: Database, evaluator_id: int) -> list[dict[str, Any]]:
    """An evaluator's visits with OPD and service names, newest visit date first."""
    where, params = records.visit_filter(VisitFilter(evaluator_id=evaluator_id), alias="v.")
    rows = db.execute(
        "select v.*, o.name as opd_name, s.name as service_name "
        f"{_NAMES}where {where} order by v.visit_date desc, v.updated_at desc",
        params,
    )
    return [dict(r) for r in rows]


def per_opd(db: Database, found: VisitFilter) -> list[dict[str, Any]]:
    """OPDs with filtered visits: slug, name and their count of visits, by name."""
    where, params = records.visit_filter(found, alias="v.")
    rows = db.execute(
        "select o.slug, o.name, count(*) as visits from visits v join opds o "
        f"on o.id = v.opd_id where {where} group by o.id order by o.name",
        params,
    )
    return [dict(r) for r in rows]


def date_span(db: Database, found: VisitFilter) -> tuple[str | None, str | None]:
    """The first and last visit date (ISO) among the filtered visits; (None, None) if none."""
    where, params = records.visit_filter(found)
    row = db.execute(
        f"select min(visit_date), max(visit_date) from visits where {where}", params
    ).fetchone()
    return row[0], row[1]


def people(db: Database, visit_uuid: str) -> dict[str, Any] | None:
    """Who filled a visit and who reviewed it, its review note, and the plan it came from."""
    row = db.execute(
        "select v.created_at, v.submitted_at, v.reviewed_at, v.review_note, v.revision, "
        "v.assignment_id, e.name as evaluator, e.username as evaluator_username, "
        "r.name as reviewer, s.id as service_id from visits v "
        "join users e on e.id = v.evaluator_id left join users r on r.id = v.reviewer_id "
        "join services s on s.id = v.service_id where v.uuid = ?",
        [visit_uuid],
    ).fetchone()
    return dict(row) if row else None


def of_assignment(db: Database, assignment_id: int) -> list[dict[str, Any]]:
    """The visits started from an assignment (uuid, status, dates), oldest first."""
    where, params = records.visit_filter(VisitFilter(assignment_id=assignment_id))
    rows = db.execute(
        f"select uuid, status, visit_date, submitted_at from visits where {where} "
        "order by created_at",
        params,
    )
    return [dict(r) for r in rows]


def synced(db: Database, evaluator_id: int) -> list[dict[str, Any]]:
    """An evaluator's visits as the tablet shows their outcome, newest visit date first."""
    return [
        dict(r)
        for r in db.execute(
            "select uuid, status, visit_date, opd_id, service_id, review_note, updated_at, "
            "submitted_at, reviewed_at, revision from visits where evaluator_id = ? "
            "order by visit_date desc, updated_at desc",
            [evaluator_id],
        )
    ]
