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
# Marked done by the OPD ("selesai, menunggu verifikasi"): not verified until a
# later approved independent visit passes the item (records._check_follow_ups).
DONE = "done"
UNVERIFIED = (*OPEN, DONE)


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
        "(f.status in (?, ?, ?) or (f.status = 'verified' and v.visit_date >= ?)) "
        "order by f.status = 'verified', f.due_date",
        [opd_id, until, *UNVERIFIED, since],
    )
    return [dict(r) for r in rows]


def overdue(db: Database, today: dt.date | None = None) -> dict[int, int]:
    """Per OPD, how many actions are past their due date and not verified (server's date).

    One the OPD marked done by its due date waits for verification and is not
    overdue; one marked done later stays overdue until a visit verifies it.
    """
    today = (today or dt.date.today()).isoformat()
    return {
        r[0]: r[1]
        for r in db.execute(
            "select opd_id, count(*) from follow_ups where due_date < ? and "
            "(status in (?, ?) or (status = ? and substr(done_at, 1, 10) > due_date)) "
            "group by opd_id",
            [today, *OPEN, DONE],
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


def of_opd(db: Database, opd_id: int) -> list[dict]:
    """One OPD's actions, unverified first, by due date: what its own page lists.

    The verifying visit is named by date and service only, never by evaluator.
    """
    rows = db.execute(
        "select f.id, f.instrument_id, f.item_id, f.finding, f.action, f.owner, f.due_date, "
        "f.status, f.period_from, f.period_to, f.done_at, v.visit_date as verified_on, "
        "s.name as verified_service from follow_ups f "
        "left join visits v on v.uuid = f.verified_visit_uuid and v.status = 'approved' "
        "left join services s on s.id = v.service_id "
        "where f.opd_id = ? order by f.status = 'verified', f.due_date, f.id",
        [opd_id],
    )
    return [dict(r) for r in rows]


def get_of_opd(db: Database, action_id: int, opd_id: int) -> dict:
    """One action of this OPD; DomainError (404) for another OPD's or an unknown one."""
    row = db.execute(
        "select * from follow_ups where id = ? and opd_id = ?", [action_id, opd_id]
    ).fetchone()
    if row is None:
        raise DomainError("not_own_follow_up", str(action_id))
    return dict(row)


def mark_done(db: Database, action_id: int, opd_id: int, actor_id: int) -> dict:
    """The OPD says an open action is done: 'done', waiting for the next visit to verify it.

    Only the OPD's own, unverified, not yet marked action; audited. The time is the
    server's. Returns the action as it now is.
    """
    with transaction(db):
        row = get_of_opd(db, action_id, opd_id)
        if row["status"] not in OPEN:
            raise DomainError("follow_up_not_open", str(action_id))
        done_at = records.now()
        db.execute(
            "update follow_ups set status = ?, done_at = ?, done_by = ? where id = ?",
            [DONE, done_at, actor_id, action_id],
        )
        records.audit(
            db,
            actor_id,
            "follow_up_done",
            "follow_up",
            action_id,
            {"from": row["status"], "to": DONE, "opd_id": opd_id},
        )
    return {**row, "status": DONE, "done_at": done_at, "done_by": actor_id}
