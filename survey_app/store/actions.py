"""From finding to follow-up: actions on failed items, checked by later visits.

An action is raised on an item that failed in an OPD's approved visits of a
report period. Every later approved visit to that OPD (a visit date after the
period) checks it: passing the item verifies the action (naming the visit),
failing it again keeps it open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlite_utils import Database

from survey_app.core import scoring
from survey_app.core.errors import DomainError
from survey_app.store import records, summaries
from survey_app.store.connection import transaction

OPEN = ("open", "still_open")


def failed_items(
    db: Database, opd_id: int, date_from: str | None, date_to: str | None
) -> list[dict[str, Any]]:
    """Items that failed in the OPD's approved visits of the period, with counts and texts."""
    counts = summaries.failed_counts(db, date_from, date_to, opd_id)
    texts = _texts(db)
    return [{**c, **texts.get(c["item"], {})} for c in counts]


def _with_standard(instruments) -> list[tuple[str, list]]:
    """Each instrument's items, and the derived standard items (time and fee kept)."""
    pairs = [(inst.id, list(inst.items)) for inst in instruments]
    return [*pairs, (scoring.STANDARD, list(scoring.STANDARD_ITEMS.values()))]


def _texts(db: Database) -> dict[str, dict[str, str]]:
    out = {}
    for inst_id, items in _with_standard(records.current_instruments(db)):
        for item in items:
            if item.checkable and item.finding:
                out[f"{inst_id}.{item.id}"] = {
                    "label": item.label.id,
                    "finding": item.finding.id,
                    "recommendation": item.recommendation.id if item.recommendation else "",
                }
    return out


def create(
    db: Database,
    opd_id: int,
    item_key: str,
    action: str,
    due_date: str,
    actor_id: int,
    date_from: str | None,
    date_to: str | None,
    owner: str | None = None,
) -> int:
    """Raise a follow-up on an item that failed in the period; DomainError otherwise."""
    failed = {f["item"]: f for f in failed_items(db, opd_id, date_from, date_to)}
    if item_key not in failed:
        raise DomainError("not_a_finding", item_key)
    if not action.strip():
        raise DomainError("empty_action", item_key)
    dt.date.fromisoformat(due_date)
    instrument_id, item_id = item_key.split(".", 1)
    opd = db.execute("select name from opds where id = ?", [opd_id]).fetchone()
    with transaction(db):
        new_id = (
            db.table("follow_ups")
            .insert(
                {
                    "opd_id": opd_id,
                    "instrument_id": instrument_id,
                    "item_id": item_id,
                    "finding": failed[item_key].get("finding", ""),
                    "action": action.strip(),
                    "owner": owner or opd[0],
                    "due_date": due_date,
                    "status": "open",
                    "period_from": date_from,
                    "period_to": date_to or dt.date.today().isoformat(),
                    "created_by": actor_id,
                    "created_at": records.now(),
                }
            )
            .last_pk
        )
        records.audit(
            db,
            actor_id,
            "follow_up",
            "follow_up",
            new_id,
            {"opd_id": opd_id, "item": item_key, "due": due_date},
        )
    return new_id


def for_report(db: Database, opd_id: int, since: str, until: str) -> list[dict]:
    """What an OPD report lists: actions still open, and those verified from `since` on.

    Each row says which visit verified it by date and service, never by evaluator.
    """
    rows = db.execute(
        "select f.*, v.visit_date as verified_on, s.name as verified_service "
        "from follow_ups f left join visits v on v.uuid = f.verified_visit_uuid "
        "left join services s on s.id = v.service_id "
        "where f.opd_id = ? and f.period_to <= ? and "
        "(f.status in (?, ?) or (f.status = 'verified' and v.visit_date >= ?)) "
        "order by f.status = 'verified', f.due_date",
        [opd_id, until, *OPEN, since],
    )
    return [dict(r) for r in rows]


def overdue(db: Database, today: dt.date | None = None) -> dict[int, int]:
    """Per OPD, how many actions are past their due date and not verified (server's date)."""
    today = (today or dt.date.today()).isoformat()
    return {
        r[0]: r[1]
        for r in db.execute(
            "select opd_id, count(*) from follow_ups where status in (?, ?) and due_date < ? "
            "group by opd_id",
            [*OPEN, today],
        )
    }


def listing(db: Database, opd_slug: str | None = None, status: str | None = None) -> list[dict]:
    """Every action with its OPD's name and slug, by due date; one OPD's or status's if given."""
    sql = (
        "select f.*, o.name as opd_name, o.slug from follow_ups f "
        "join opds o on o.id = f.opd_id where 1 = 1"
    )
    params: list[Any] = []
    for clause, value in (("o.slug = ?", opd_slug), ("f.status = ?", status)):
        if value:
            sql += f" and {clause}"
            params.append(value)
    return [dict(r) for r in db.execute(sql + " order by f.due_date", params)]
