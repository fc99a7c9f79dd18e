"""Checks (probes, desk reviews, self-assessments), probe plans and holidays: the SQL.

What a check must be and who may make it is decided in core/checks.py; here
are the records it is decided on and the one write, made in the shared
write transaction (connection.write_batched) after looking again, exactly
as store/sync.py stores a visit: 201 new, 200 the same again, 409 otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from survey_app.core import checks as core
from survey_app.core import workdays
from survey_app.core.errors import DomainError
from survey_app.core.instruments import Instrument
from survey_app.core.sync import CheckAnswers, Refused, refuse_lockout
from survey_app.store import lockout, records
from survey_app.store.connection import transaction, write_batched


@dataclass(frozen=True)
class Stored:
    """What became of a posted check: "stored" or "repeat", and the row found before."""

    outcome: str
    check: core.Check
    row: Mapping[str, Any] | None = None


# --- receiving a check -------------------------------------------------------------


def stored(db: Database, check_uuid: str) -> dict | None:
    """What the decision on a check needs of the one stored under its UUID, or None."""
    row = db.execute(
        "select uuid, assessor_id, status, content_hash from checks where uuid = ?", [check_uuid]
    ).fetchone()
    return dict(row) if row else None


def received(
    db: Database, assessor_id: int, opd_id: int, exclude_uuid: str | None = None
) -> list[dt.date]:
    """The server dates of the assessor's independent probes of the OPD, oldest first."""
    return [
        dt.date.fromisoformat(r[0][:10])
        for r in db.execute(
            "select created_at from checks where assessor_id = ? and opd_id = ? and kind = "
            "'probe' and self_assessed = 0 and uuid != ? order by 1",
            [assessor_id, opd_id, exclude_uuid or ""],
        )
    ]


def probe_refusal(
    db: Database,
    user: Mapping[str, Any],
    opd_id: int,
    today: dt.date,
    defaults: tuple[int, int],
    kind: str = "probe",
) -> core.Refusal | None:
    """Why the user may not make a check of this kind of the OPD today, or None."""
    probe = core.Check(uuid="", kind=kind, opd_id=opd_id, instrument=("", 0), check_date="")
    return core.judge(
        user,
        probe,
        today,
        lockout.limits(db, opd_id, defaults),
        received(db, user["id"], opd_id),
    )


def missing_photos(db: Database, check: core.Check, user_id: int) -> list[str]:
    """The hashes of the check's photos whose bytes this user has not sent."""
    return [p.sha256 for p in check.photos if not records.holds_photo(db, p.sha256, user_id)]


def receive(
    db: Database,
    payload: Any,
    user: Mapping[str, Any],
    limits: tuple[int, int],
    check_answers: CheckAnswers,
) -> Stored:
    """Check a posted check and store it once; core.sync.Refused when it is not accepted.

    A resend of what is stored is answered before anything else is checked
    (it was checked when it was stored). `limits` are the lockout defaults;
    `check_answers` the answer rules of the web form (web/forms.check_answers).
    """
    check = core.read_check(payload, dt.date.today(), user["id"])
    row = stored(db, check.uuid)
    if row and core.decide(row, check, user["id"]) == core.REPEAT:
        _refuse_missing(db, check, user["id"])
        _attach(db, check)
        return Stored("repeat", check, row)
    inst = _instrument(db, check)
    _check_service_and_plan(db, check, user)
    today = dt.date.today()
    opd_limits = lockout.limits(db, check.opd_id, limits)
    earlier = received(db, user["id"], check.opd_id, check.uuid)
    _refuse(core.judge(user, check, today, opd_limits, earlier))
    part = core.instrument_for(inst, check.channel)
    with_photos = {p.item_id for p in check.photos if p.item_id}
    cleaned, errors = check_answers(part, check.answers, with_photos)
    if errors:
        raise Refused(422, "invalid", ", ".join(sorted(errors)), fields=errors)
    unknown_notes = sorted(set(check.notes) - {i.id for i in part.items})
    if unknown_notes:
        raise Refused(422, "invalid", ", ".join(unknown_notes))
    _refuse_missing(db, check, user["id"])
    scores = core.check_scores({"channel": check.channel, "answers": cleaned}, inst)
    row = _row(check, cleaned, scores, user)
    return write_batched(db, lambda conn: _write(conn, check, row, user, opd_limits))


def _refuse(refusal: core.Refusal | None) -> None:
    """Refused (403) when the judgement went against the check."""
    if refusal is not None and refusal.code == "not_own_opd":
        raise Refused(403, "not_own_opd", refusal.code, refusal=refusal)
    refuse_lockout(refusal)


def _instrument(db: Database, check: core.Check) -> Instrument:
    try:
        inst = records.instrument(db, *check.instrument)
    except DomainError as exc:
        raise Refused(422, "unknown_instrument", exc.detail) from None
    if inst.kind != core.INSTRUMENT_KIND[check.kind]:
        raise Refused(422, "unknown_instrument", f"{inst.id} v{inst.version}")
    if check.channel and not any(s.channel == check.channel for s in inst.sections):
        raise Refused(422, "unknown_channel", check.channel)
    return inst


def _check_service_and_plan(db: Database, check: core.Check, user: Mapping[str, Any]) -> None:
    if not db.execute("select 1 from opds where id = ?", [check.opd_id]).fetchone():
        raise Refused(422, "unknown_opd", str(check.opd_id))
    if check.service_id is not None:
        try:
            svc = records.service(db, check.service_id)
        except DomainError as exc:
            raise Refused(422, "unknown_service", exc.detail) from None
        if svc["opd_id"] != check.opd_id:
            raise Refused(422, "service_mismatch")
    if check.plan_id is not None:
        plan = plan_row(db, check.plan_id)
        if (
            plan is None
            or plan["evaluator_id"] != user["id"]
            or plan["opd_id"] != check.opd_id
            or plan["channel"] != check.channel
        ):
            raise Refused(422, "unknown_plan", str(check.plan_id))


def _refuse_missing(db: Database, check: core.Check, user_id: int) -> None:
    missing = missing_photos(db, check, user_id)
    if missing:
        raise Refused(409, "missing_photos", missing=missing)


def _row(
    check: core.Check, answers: Mapping[str, Any], scores: Mapping[str, Any], user: Mapping
) -> dict[str, Any]:
    return {
        "uuid": check.uuid,
        "kind": check.kind,
        "opd_id": check.opd_id,
        "service_id": check.service_id,
        "channel": check.channel,
        "instrument_id": check.instrument[0],
        "instrument_version": check.instrument[1],
        "assessor_id": user["id"],
        "self_assessed": int(core.is_self_assessed(user)),
        "status": "submitted",
        "answers": json.dumps(answers, ensure_ascii=False, sort_keys=True),
        "notes": json.dumps({k: v for k, v in check.notes.items() if v}, ensure_ascii=False),
        "sent_at": check.sent_at,
        "answered_at": check.answered_at,
        "check_date": check.check_date,
        "plan_id": check.plan_id,
        "content_hash": check.content_hash,
        "scores": json.dumps(scores, ensure_ascii=False),
    }


def _write(
    db: Database,
    check: core.Check,
    row: dict[str, Any],
    user: Mapping[str, Any],
    opd_limits: tuple[int, int],
) -> Stored:
    """Store the check or nothing, in the write lock; Refused when refused.

    Runs in write_batched: only its arguments. The lockout is judged again on
    the probes stored by now, so of probes sent at once only those it allows pass.
    """
    before = stored(db, check.uuid)
    decision = core.decide(before, check, user["id"])
    if decision == core.REPEAT:
        _attach(db, check)
        return Stored("repeat", check, before)
    if decision in core.REFUSED_STORED:
        raise Refused(409, decision)
    if check.kind == "probe" and any(opd_limits) and not core.is_self_assessed(user):
        _refuse(
            core.judge(
                user,
                check,
                dt.date.today(),
                opd_limits,
                received(db, user["id"], check.opd_id, check.uuid),
            )
        )
    db.table("checks").insert({**row, "created_at": records.now()})
    _attach(db, check)
    records.audit(db, user["id"], "submitted", "check", check.uuid, {"kind": check.kind})
    return Stored("stored", check, None)


def insert(
    db: Database, check: core.Check, scores: Mapping[str, Any], user: Mapping[str, Any]
) -> None:
    """Store a check as it is, with no refusal: for demo data, whose answers are made valid."""
    with transaction(db):
        db.table("checks").insert(
            {**_row(check, check.answers, scores, user), "created_at": records.now()}
        )


def _attach(db: Database, check: core.Check) -> None:
    for pic in check.photos:
        db.execute(
            "insert or ignore into check_photos (check_uuid, sha256, item_id, captured_at) "
            "values (?, ?, ?, ?)",
            [check.uuid, pic.sha256, pic.item_id, pic.captured_at],
        )


# --- reading checks --------------------------------------------------------------------

_SELECT = (
    "select c.*, o.name as opd_name, o.slug as opd_slug from checks c "
    "join opds o on o.id = c.opd_id"
)


def _decoded(db: Database, rows: list) -> list[dict[str, Any]]:
    out = [dict(r) for r in rows]
    photos: dict[str, list] = {}
    if out:
        for p in db.execute(
            "select * from check_photos where check_uuid in (select value from json_each(?)) "
            "order by check_uuid, captured_at",
            [json.dumps([r["uuid"] for r in out])],
        ):
            photos.setdefault(p["check_uuid"], []).append(
                {"sha256": p["sha256"], "item_id": p["item_id"], "captured_at": p["captured_at"]}
            )
    for r in out:
        for key in ("answers", "notes", "scores"):
            r[key] = json.loads(r[key]) if r.get(key) else ({} if key != "scores" else None)
        r["self_assessed"] = bool(r["self_assessed"])
        r["photos"] = photos.get(r["uuid"], [])
    return out


def get(db: Database, check_uuid: str) -> dict[str, Any] | None:
    """One check with its answers, notes, scores and photos decoded, or None."""
    found = _decoded(db, db.execute(f"{_SELECT} where c.uuid = ?", [check_uuid]).fetchall())
    return found[0] if found else None


def of_assessor(db: Database, assessor_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The assessor's own checks, newest first (GET /api/v1/checks)."""
    rows = db.execute(
        f"{_SELECT} where c.assessor_id = ? order by c.created_at desc limit ?",
        [assessor_id, limit],
    ).fetchall()
    return _decoded(db, rows)


def for_period(
    db: Database,
    date_from: str | None,
    date_to: str | None,
    *,
    self_assessed: bool,
    kind: str | None = None,
    opd_id: int | None = None,
) -> list[dict[str, Any]]:
    """The checks of a period (check_date, inclusive), independent or self-assessed only.

    `self_assessed` is required: a caller always says which side it counts,
    so an independent figure cannot take in a self-assessment by default.
    """
    where, params = ["c.self_assessed = ?"], [int(self_assessed)]
    for clause, value in (
        ("c.check_date >= ?", date_from),
        ("c.check_date <= ?", date_to),
        ("c.kind = ?", kind),
        ("c.opd_id = ?", opd_id),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    rows = db.execute(
        f"{_SELECT} where {' and '.join(where)} order by c.check_date, c.opd_id, c.uuid", params
    ).fetchall()
    return _decoded(db, rows)


def count(db: Database) -> int:
    """How many checks the server holds."""
    return db.execute("select count(*) from checks").fetchone()[0]


# --- probe plans -------------------------------------------------------------------------


def add_plan(db: Database, plan: Mapping[str, Any], actor_id: int) -> int:
    """Store a planned probe (checked by the caller) and log it."""
    row = {
        "opd_id": plan["opd_id"],
        "channel": plan["channel"],
        "evaluator_id": plan["evaluator_id"],
        "window_start": str(plan["window_start"]),
        "window_end": str(plan["window_end"]),
        "question": plan.get("question") or "",
        "created_by": actor_id,
        "created_at": records.now(),
    }
    with transaction(db):
        new_id = db.table("probe_plans").insert(row).last_pk
        records.audit(db, actor_id, "create", "probe_plan", new_id, {"plan": row})
    return new_id


def delete_plan(db: Database, plan_id: int, actor_id: int) -> bool:
    """Remove a plan no probe was made from; False when it has one or is unknown."""
    with transaction(db):
        if db.execute("select 1 from checks where plan_id = ?", [plan_id]).fetchone():
            return False
        gone = db.execute("delete from probe_plans where id = ?", [plan_id]).rowcount
        if gone:
            records.audit(db, actor_id, "delete", "probe_plan", plan_id)
    return bool(gone)


_PLANS = (
    "select p.*, o.name as opd_name, o.slug as opd_slug, u.name as evaluator_name, "
    "(select c.uuid from checks c where c.plan_id = p.id limit 1) as check_uuid "
    "from probe_plans p join opds o on o.id = p.opd_id join users u on u.id = p.evaluator_id"
)


def plan_row(db: Database, plan_id: int) -> dict | None:
    """One plan, or None."""
    row = db.execute(f"{_PLANS} where p.id = ?", [plan_id]).fetchone()
    return dict(row) if row else None


def plans_for(db: Database, evaluator_id: int) -> list[dict[str, Any]]:
    """The evaluator's planned probes, soonest window first, with the check made of each."""
    return [
        dict(r)
        for r in db.execute(
            f"{_PLANS} where p.evaluator_id = ? order by p.window_end, p.id", [evaluator_id]
        )
    ]


def plans(db: Database, date_from: str | None = None) -> list[dict[str, Any]]:
    """Every planned probe whose window ends on or after date_from, soonest first."""
    return [
        dict(r)
        for r in db.execute(
            f"{_PLANS} where p.window_end >= ? order by p.window_end, p.id", [date_from or ""]
        )
    ]


# --- holidays ----------------------------------------------------------------------------


def holidays(db: Database, year: int | None = None) -> list[dict[str, Any]]:
    """The holidays and cuti bersama held (of one year), in date order."""
    if year is None:
        rows = db.execute("select * from holidays order by date")
    else:
        rows = db.execute(
            "select * from holidays where date like ? order by date", [f"{int(year):04d}-%"]
        )
    return [dict(r) for r in rows]


def holiday_dates(db: Database) -> frozenset[dt.date]:
    """Every holiday's date, as core.workdays takes them."""
    return frozenset(dt.date.fromisoformat(r[0]) for r in db.execute("select date from holidays"))


def holiday_years(db: Database) -> list[int]:
    """The years that have holidays, in order."""
    return [
        int(r[0]) for r in db.execute("select distinct substr(date, 1, 4) from holidays order by 1")
    ]


def seed_holidays(db: Database, found: list[workdays.Holiday] | None = None) -> int:
    """Add the shipped holidays (core/holidays.yaml) not yet held; the number added.

    Only dates not held are added: an admin's rename stays. Migration m017 seeds the
    same when it creates the table; this adds the years shipped later.
    """
    rows = [(h.date.isoformat(), h.name, h.kind) for h in (found or workdays.load_holidays())]
    before = db.execute("select count(*) from holidays").fetchone()[0]
    db.conn.executemany("insert or ignore into holidays (date, name, kind) values (?, ?, ?)", rows)
    return db.execute("select count(*) from holidays").fetchone()[0] - before


def add_holiday(db: Database, day: dt.date, name: str, kind: str, actor_id: int) -> None:
    """Add or rename a holiday (kind "libur" or "cuti_bersama"), logged."""
    if kind not in workdays.KINDS:
        raise ValueError(kind)
    with transaction(db):
        db.execute(
            "insert into holidays (date, name, kind) values (?, ?, ?) on conflict(date) do "
            "update set name = excluded.name, kind = excluded.kind",
            [day.isoformat(), name, kind],
        )
        records.audit(
            db, actor_id, "save", "holiday", day.isoformat(), {"name": name, "kind": kind}
        )


def remove_holiday(db: Database, day: dt.date, actor_id: int) -> bool:
    """Remove a holiday: the day is a working day again (if a weekday). False if none."""
    with transaction(db):
        gone = db.execute("delete from holidays where date = ?", [day.isoformat()]).rowcount
        if gone:
            records.audit(db, actor_id, "delete", "holiday", day.isoformat())
    return bool(gone)


def recent(db: Database, kind: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The latest checks received (of a kind), newest first, with the assessor's name.

    For the supervisor's desk only: an OPD-facing page never names the assessor.
    """
    where, params = ("where c.kind = ?", [kind]) if kind else ("", [])
    rows = db.execute(
        "select c.*, o.name as opd_name, o.slug as opd_slug, u.name as assessor_name "
        "from checks c join opds o on o.id = c.opd_id join users u on u.id = c.assessor_id "
        f"{where} order by c.created_at desc, c.uuid limit ?",
        [*params, limit],
    ).fetchall()
    found = _decoded(db, rows)
    return found
