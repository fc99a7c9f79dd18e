"""Planned visits: stored, listed with their state, and tied to the visit started."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlite_utils import Database

from survey_app.store import records
from survey_app.store.connection import transaction

DONE = ("submitted", "approved")
STARTED = ("draft", "returned")
FINAL = ("done", "cancelled")  # states an assignment cannot be cancelled from


def create(db: Database, data: dict[str, Any], actor_id: int) -> int:
    """Store an assignment (already checked by problems()) and log it."""
    row = {
        "evaluator_id": data["evaluator"],
        "opd_id": data["opd"],
        "service_id": data["service"],
        "instruments": json.dumps(sorted(data["instruments"])),
        "window_start": data["window_start"].isoformat(),
        "window_end": data["window_end"].isoformat(),
        "created_by": actor_id,
        "created_at": records.now(),
        "status": "open",
    }
    with transaction(db):
        new_id = db.table("assignments").insert(row).last_pk
        records.audit(
            db,
            actor_id,
            "create",
            "assignment",
            new_id,
            {"changes": {k: [None, v] for k, v in row.items()}},
        )
    return new_id


def state(row: dict[str, Any], today: dt.date) -> str:
    """open, started, done, late or cancelled, from the visits started from it."""
    statuses = set((row.get("visit_statuses") or "").split(","))
    if row["status"] == "cancelled":
        return "cancelled"
    if statuses & set(DONE):
        return "done"
    if today > dt.date.fromisoformat(row["window_end"]):
        return "late"
    return "started" if statuses & set(STARTED) else "open"


_SELECT = (
    "select a.*, e.name as evaluator_name, o.name as opd_name, o.slug as opd_slug, "
    "s.name as service_name, c.name as created_by_name, "
    "(select group_concat(v.status) from visits v where v.assignment_id = a.id) "
    "as visit_statuses, "
    "(select v.uuid from visits v where v.assignment_id = a.id "
    "order by v.updated_at desc limit 1) as last_visit, "
    "(select v.uuid from visits v where v.assignment_id = a.id and v.status in "
    "('draft', 'returned') order by v.updated_at desc limit 1) as open_visit "
    "from assignments a join users e on e.id = a.evaluator_id "
    "join opds o on o.id = a.opd_id join services s on s.id = a.service_id "
    "left join users c on c.id = a.created_by "
)


def listing(
    db: Database,
    today: dt.date,
    evaluator_id: int | None = None,
    opd_id: int | None = None,
    assignment_id: int | None = None,
    lang: str = "id",
) -> list[dict[str, Any]]:
    """Assignments (optionally one evaluator's, one OPD's, or one) with their state."""
    sql, params = _SELECT + "where 1 = 1", []
    for clause, value in (
        ("a.evaluator_id = ?", evaluator_id),
        ("a.opd_id = ?", opd_id),
        ("a.id = ?", assignment_id),
    ):
        if value is not None:
            sql += f" and {clause}"
            params.append(value)
    titles = _titles(db, lang)
    rows = []
    for r in db.execute(sql + " order by a.window_end, a.id", params).fetchall():
        row = dict(r)
        row["instruments"] = json.loads(row["instruments"] or "[]")
        row["instrument_titles"] = [titles.get(i, i) for i in row["instruments"]]
        row["state"] = state(row, today)
        rows.append(row)
    return rows


def _titles(db: Database, lang: str) -> dict[str, str]:
    return {i.id: i.title.get(lang) for i in records.current_instruments(db)}


def for_evaluator(
    db: Database, evaluator_id: int, today: dt.date, lang: str = "id"
) -> list[dict[str, Any]]:
    """An evaluator's assignments still to do (open, started or late)."""
    return [
        a
        for a in listing(db, today, evaluator_id=evaluator_id, lang=lang)
        if a["state"] in ("open", "started", "late")
    ]


def own(db: Database, assignment_id: Any, evaluator_id: int) -> dict[str, Any] | None:
    """The evaluator's own, not cancelled assignment with this id, else None."""
    if not re.fullmatch(r"[0-9]{1,18}", str(assignment_id or "")):  # ASCII digits, in range
        return None
    row = db.execute(
        "select * from assignments where id = ? and evaluator_id = ? and status != 'cancelled'",
        [int(assignment_id), evaluator_id],
    ).fetchone()
    return dict(row) if row else None


def link_visit(db: Database, assignment_id: Any, visit_uuid: str, evaluator_id: int) -> bool:
    """Tie a visit just started to its assignment when both are for the same OPD."""
    found = own(db, assignment_id, evaluator_id)
    if found is None:
        return False
    with transaction(db):
        visit = db.execute("select opd_id from visits where uuid = ?", [visit_uuid]).fetchone()
        if visit is None or visit["opd_id"] != found["opd_id"]:
            return False
        db.execute("update visits set assignment_id = ? where uuid = ?", [found["id"], visit_uuid])
        db.execute("update assignments set visit_uuid = ? where id = ?", [visit_uuid, found["id"]])
        records.audit(db, evaluator_id, "start", "assignment", found["id"], {"visit": visit_uuid})
    return True


def cancel(db: Database, assignment_id: int, actor_id: int, today: dt.date) -> str | None:
    """Cancel an assignment unless it is FINAL, and log it; its state before, None if unknown.

    The check and the change share one write transaction, so two supervisors
    cancelling at once log one cancellation.
    """
    with transaction(db):
        found = db.execute(_SELECT + "where a.id = ?", [assignment_id]).fetchone()
        if found is None:
            return None
        before = state(dict(found), today)
        if before in FINAL:
            return before
        db.execute("update assignments set status = 'cancelled' where id = ?", [assignment_id])
        detail = {"changes": {"state": [before, "cancelled"]}}
        records.audit(db, actor_id, "cancel", "assignment", assignment_id, detail)
    return before
