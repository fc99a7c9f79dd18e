"""The hub's reads: sums per government, per OPD, per month, added up by the database.

Each visit's score columns are summed in SQL and shaped into figures
(means, IKM, zones) by findings/hub.py. Per government and per month they
are added up from the day totals kept as visits arrive (store/hub/totals.py):
a national period is a few hundred thousand day rows, not a million visits.
Per OPD they are added up from the visits.
"""

from __future__ import annotations

from typing import Any

from survey_app.store.hub import totals
from survey_app.store.hub.backend import HubDB

SUMS = totals.VISIT_SUMS


def _where(
    date_from: str | None,
    date_to: str | None,
    province: str | None,
    kind: str | None = None,
    days: bool = False,
) -> tuple[str, list[Any]]:
    """The filter every figure shares: approved visits of a period, province, OPD kind; with
    `days`, the same over the day totals (which hold approved visits only, of every kind)."""
    t, date = ("t", "t.day") if days else ("v", "v.visit_date")
    clauses, params = ["1 = 1" if days else "v.status = 'approved'"], []
    for clause, value in (
        (f"{date} >= ?", date_from),
        (f"{date} <= ?", date_to),
        (f"{t}.government in (select slug from hub_governments where province = ?)", province),
        ("v.opd_kind = ?", None if days else kind),
    ):
        if value:
            clauses.append(clause)
            params.append(value)
    return " and ".join(clauses), params


def by_government(
    db: HubDB, date_from: str | None, date_to: str | None, province: str | None = None
) -> list[dict[str, Any]]:
    """Sums per government over its approved visits in the period (from its day totals)."""
    where, params = _where(date_from, date_to, province, days=True)
    return db.rows(
        f"select t.government, {totals.SUMS} from hub_day_totals t where {where} "
        "group by t.government",
        params,
    )


def by_opd(
    db: HubDB,
    date_from: str | None,
    date_to: str | None,
    province: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Sums per government and OPD (of one kind when given)."""
    where, params = _where(date_from, date_to, province, kind)
    return db.rows(
        f"select v.government, v.opd, {SUMS} from hub_visits v where {where} "
        "group by v.government, v.opd",
        params,
    )


def by_month(
    db: HubDB,
    date_from: str | None,
    date_to: str | None,
    province: str | None = None,
    government: str | None = None,
) -> list[dict[str, Any]]:
    """Sums per month (YYYY-MM), of one government when given (from the day totals)."""
    where, params = _where(date_from, date_to, province, days=True)
    if government:
        where += " and t.government = ?"
        params.append(government)
    return db.rows(
        f"select substr(t.day, 1, 7) as month, {totals.SUMS} from hub_day_totals t "
        f"where {where} group by substr(t.day, 1, 7) order by month",
        params,
    )


def opd_names(db: HubDB, province: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """(government, OPD slug) -> the OPD's name and kind as its city last sent them."""
    sql, params = "select government, slug, name, kind from hub_opds", []
    if province:
        sql += " where government in (select slug from hub_governments where province = ?)"
        params.append(province)
    rows = db.rows(sql, params)
    return {(r["government"], r["slug"]): r for r in rows}


def opd_kinds(db: HubDB) -> list[str]:
    """Every OPD kind the governments sent (opds.kind), sorted."""
    rows = db.rows("select distinct kind from hub_opds where kind is not null")
    return sorted(r["kind"] for r in rows)


def instrument_versions(db: HubDB, province: str | None = None) -> list[dict[str, Any]]:
    """Per government, each instrument version its visits used, with the first and last date."""
    sql, params = "select * from hub_versions_used", []
    if province:
        sql += " where government in (select slug from hub_governments where province = ?)"
        params.append(province)
    return db.rows(sql + " order by government, instrument_id, version", params)


def follow_up_states(db: HubDB, province: str | None = None) -> list[dict[str, Any]]:
    """Per government, how many follow-up actions are in each state."""
    sql = (
        "select f.government, f.state, count(*) as actions from hub_follow_ups f "
        "where f.status <> 'withdrawn'"
    )
    params: list[Any] = []
    if province:
        sql += " and f.government in (select slug from hub_governments where province = ?)"
        params.append(province)
    return db.rows(sql + " group by f.government, f.state order by f.government", params)


def counts(db: HubDB, government: str | None = None) -> dict[str, int]:
    """How many visits (approved, withdrawn) and actions the hub holds, for the fault tests."""
    where, params = ("where government = ?", [government]) if government else ("", [])
    visits = db.rows(
        f"select status, count(*) as n from hub_visits {where} group by status", params
    )
    out = {f"visits_{r['status']}": r["n"] for r in visits}
    out["follow_ups"] = db.value(f"select count(*) from hub_follow_ups {where}", params) or 0
    out["receipts"] = db.value(f"select count(*) from hub_receipts {where}", params) or 0
    return out


def export_visits(
    db: HubDB, date_from: str | None, date_to: str | None, province: str | None = None
) -> list[dict[str, Any]]:
    """Every approved visit of the period with its scores and answers (JSON text)."""
    where, params = _where(date_from, date_to, province)
    return db.rows(
        "select v.government, v.uuid, v.opd, v.opd_kind, v.service, v.visit_date, "
        "v.reviewed_at, v.compliance, v.waiting_minutes, v.service_minutes, v.over_max, "
        f"v.fee_over, d.instruments, d.brief, d.answers from hub_visits v join hub_visit_details d "
        f"on d.government = v.government and d.uuid = v.uuid where {where} "
        "order by v.government, v.visit_date, v.uuid",
        params,
    )


def rapor_visits(
    db: HubDB,
    date_from: str | None,
    date_to: str | None,
    province: str | None = None,
    governments: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Each approved visit of the period with what scores it again: its government and OPD,
    instrument versions, answers and service standard (JSON text), for the readiness view
    (of these governments only, when given)."""
    where, params = _where(date_from, date_to, province)
    if governments is not None:
        where += f" and v.government in ({', '.join('?' * len(governments)) or 'null'})"
        params += governments
    return db.rows(
        "select v.government, v.opd, v.uuid, d.instruments, d.answers, d.standard "
        "from hub_visits v join hub_visit_details d on d.government = v.government "
        f"and d.uuid = v.uuid where {where} order by v.government, v.opd, v.uuid",
        params,
    )


def rapor_follow_ups(db: HubDB, province: str | None = None) -> list[dict[str, Any]]:
    """Every follow-up action not withdrawn: its government, OPD, state, due date, detail."""
    sql = (
        "select f.government, f.opd, f.state, f.due_date, f.detail from hub_follow_ups f "
        "where f.status <> 'withdrawn'"
    )
    params: list[Any] = []
    if province:
        sql += " and f.government in (select slug from hub_governments where province = ?)"
        params.append(province)
    return db.rows(sql + " order by f.government, f.id", params)
