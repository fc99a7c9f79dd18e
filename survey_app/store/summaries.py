"""Scores per OPD and for the city over a period, and visit exports (no Flask)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from typing import Any

import orjson
from sqlite_utils import Database

from survey_app.core import scoring
from survey_app.store import records, tallies

_IN = "in (select value from json_each(?))"


def opd_summaries(
    db: Database, date_from: str | None = None, date_to: str | None = None, status: str = "approved"
) -> list[dict[str, Any]]:
    """One aggregate per OPD that has visits in the period."""
    return period_summaries(db, date_from, date_to, status)[0]


def city_summary(
    db: Database, date_from: str | None = None, date_to: str | None = None, status: str = "approved"
) -> dict[str, Any]:
    """One aggregate over every visit in the period."""
    if date_from and date_to:
        return _shape(
            tallies.aggregate(tallies.total(db, date_from, date_to, status)), "kota", "Kota"
        )
    return _city([scores for _, scores in records.briefs_in(db, date_from, date_to, status)])


def period_summaries(
    db: Database, date_from: str | None = None, date_to: str | None = None, status: str = "approved"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(one aggregate per OPD, the city's) for a period.

    With both dates given, from the kept per-OPD monthly tallies (see
    store/tallies.py); otherwise from one read of the period's briefs.
    """
    if not (date_from and date_to):
        return summaries_from_briefs(db, date_from, date_to, status)
    per_opd_tallies = tallies.in_period(db, date_from, date_to, status)
    names = opd_names(db)
    populations = records.opd_populations(db)
    per_opd = [
        _shape(tallies.aggregate(t, populations.get(opd_id)), *names[opd_id])
        for opd_id, t in per_opd_tallies.items()
    ]
    per_opd.sort(key=lambda s: (*scoring.best_first(s["compliance"]), s["opd"]))
    return per_opd, _city_from_tallies(per_opd_tallies)


def summaries_from_briefs(
    db: Database, date_from: str | None = None, date_to: str | None = None, status: str = "approved"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """period_summaries from one read of the period's briefs (no tallies)."""
    by_opd: dict[int, list[dict]] = defaultdict(list)
    briefs = records.briefs_in(db, date_from, date_to, status)
    names = opd_names(db)
    populations = records.opd_populations(db)
    per_opd = []
    with records.collector_paused():
        for opd_id, scores in briefs:
            by_opd[opd_id].append(scores)
        for opd_id, scores in by_opd.items():
            agg = scoring.aggregate(scores, population=populations.get(opd_id))
            per_opd.append(_shape(agg, *names[opd_id]))
    per_opd.sort(key=lambda s: (*scoring.best_first(s["compliance"]), s["opd"]))
    return per_opd, _city([s for _, s in briefs])


def opd_names(db: Database) -> dict[int, tuple[str, str]]:
    """(slug, name) of every OPD by id."""
    return {r[0]: (r[1], r[2]) for r in db.execute("select id, slug, name from opds")}


def _city_from_tallies(per_opd_tallies: dict) -> dict[str, Any]:
    """The city's aggregate from the period's per-OPD tallies, shaped as by _city."""
    return _shape(tallies.aggregate(tallies.merged(per_opd_tallies.values())), "kota", "Kota")


def _city(scores: list[dict]) -> dict[str, Any]:
    """The city's aggregate, shaped as one more OPD ('kota')."""
    with records.collector_paused():
        return _shape(scoring.aggregate(scores), slug="kota", name="Kota")


def failed_counts(
    db: Database,
    date_from: str | None = None,
    date_to: str | None = None,
    opd_id: int | None = None,
    status: str = "approved",
) -> list[dict[str, Any]]:
    """scoring.failed_counts over a period's visits (of one OPD when given).

    From the kept tallies when both dates are given, else from the visits' lists.
    """
    if date_from and date_to:
        return tallies.failed_counts(tallies.total(db, date_from, date_to, status, opd_id))
    results = records.item_results_in(db, date_from, date_to, status, opd_id)
    with records.collector_paused():
        return scoring.failed_counts({"compliance": r} for r in results)


def _shape(agg: dict[str, Any], slug: str, name: str) -> dict[str, Any]:
    skm = agg["skm"] or {}
    return {
        "opd": slug,
        "name": name,
        "visits": agg["visits"],
        "compliance": scoring.round2(agg["compliance"]),
        "zone": agg["zone"],
        "ikm": scoring.round2(skm.get("ikm_converted")),
        "mutu": skm.get("mutu"),
        "unsur": {u: scoring.round2(v) for u, v in skm.get("nrr", {}).items()},
        "dimensions": {k: scoring.round2(v) for k, v in agg["dimensions"].items()},
        "waiting_minutes": scoring.round2(agg["waiting_minutes"]),
        "service_minutes": scoring.round2(agg["service_minutes"]),
        "over_max_time": agg["over_max_time"],
        "fee_over_published": agg["fee_over_published"],
        "sample_required": agg["sample_required"],
        "sample_below": agg["sample_below"],
    }


# --- what screens and documents read besides the tallies ------------------------


def approved_dates(db: Database, before: str | None = None) -> tuple[str | None, str | None]:
    """(first, last) visit date of the approved visits (those before a date, when given)."""
    row = db.execute(
        "select min(visit_date), max(visit_date) from visits "
        "where status = 'approved' and visit_date < ?",
        [before or "9999"],
    ).fetchone()
    return (row[0][:10] if row[0] else None), (row[1][:10] if row[1] else None)


def pending_counts(
    db: Database, date_from: str, date_to: str, opd_id: int | None = None
) -> dict[str, int]:
    """Visits in the period that do not count (yet): submitted, returned, rejected."""
    where, params = records.visits_where(None, date_from, date_to, opd_id)
    counts = {"submitted": 0, "returned": 0, "rejected": 0}
    rows = db.execute(
        f"select status, count(*) from visits where {where} "
        "and status in ('submitted', 'returned', 'rejected') group by status",
        params,
    )
    counts.update({r[0]: r[1] for r in rows})
    return counts


def instrument_versions(
    db: Database, date_from: str, date_to: str, status: str = "approved", opd_id: int | None = None
) -> Counter:
    """How many of the period's visits (of one OPD when given) used each (instrument, version)."""
    where, params = records.visits_where(status, date_from, date_to, opd_id, alias="v.")
    rows = db.execute(
        "select i.instrument_id, i.instrument_version, count(*) from visits v "
        f"join visit_instruments i on i.visit_uuid = v.uuid where {where} group by 1, 2",
        params,
    )
    return Counter({(r[0], r[1]): r[2] for r in rows})


def stored_versions(db: Database) -> list[tuple[str, int]]:
    """Every stored (instrument, version), oldest version first."""
    return [
        (r[0], r[1]) for r in db.execute("select id, version from instruments order by version")
    ]


def service_briefs(
    db: Database, opd_id: int, date_from: str, date_to: str, status: str = "approved"
) -> list[tuple[int, dict]]:
    """(service id, brief scores) of an OPD's visits in a period: timing and fee per service.

    A visit without a brief (stored before briefs, or not reviewed) is read from its scores.
    """
    where, params = records.visits_where(status, date_from, date_to, opd_id)
    rows = db.execute(f"select uuid, service_id, brief from visits where {where}", params)
    return [
        (r[1], orjson.loads(r[2]) if r[2] else records.scores_of(db, records.visit(db, r[0])))
        for r in rows.fetchall()
    ]


def visit_services(db: Database, uuids: list[str]) -> dict[str, dict[str, Any]]:
    """Per visit: its uuid, service id, service name and published maximum time."""
    rows = db.execute(
        "select v.uuid, v.service_id, s.name as service, s.max_minutes from visits v "
        f"join services s on s.id = v.service_id where v.uuid {_IN}",
        [json.dumps(uuids)],
    )
    return {r["uuid"]: dict(r) for r in rows}


def visit_photos(db: Database, uuids: list[str]) -> dict[str, list[dict]]:
    """The photos linked to each of these visits, in the order they were linked."""
    photos: dict[str, list[dict]] = defaultdict(list)
    rows = db.execute(
        f"select * from visit_photos where visit_uuid {_IN} order by id", [json.dumps(uuids)]
    )
    for p in rows:
        photos[p["visit_uuid"]].append(dict(p))
    return photos


def opd_row(db: Database, opd_id: int) -> dict[str, Any]:
    """An OPD's slug, name, kind and address (what a document's cover shows)."""
    row = db.execute("select slug, name, kind, address from opds where id = ?", [opd_id])
    return dict(row.fetchone())


def opd_slugs_with_visits(
    db: Database, date_from: str, date_to: str, status: str = "approved"
) -> list[str]:
    """The OPDs that have visits in the period, by name."""
    rows = db.execute(
        "select distinct o.slug, o.name from visits v join opds o on o.id = v.opd_id "
        "where v.status = ? and v.visit_date >= ? and v.visit_date <= ? order by o.name",
        [status, date_from, date_to],
    ).fetchall()
    return [r["slug"] for r in rows]


# --- exports -------------------------------------------------------------------


def export_visits(
    db: Database,
    date_from: str | None = None,
    date_to: str | None = None,
    status: str | None = None,
    opd_id: int | None = None,
) -> list[dict]:
    """One object per visit: who, where, which instruments, every answer, scores."""
    sql = (
        "select v.uuid, o.slug as opd, s.slug as service, v.evaluator_id, v.status, "
        "v.visit_date, v.created_at, v.submitted_at, v.reviewed_at "
        "from visits v join opds o on o.id = v.opd_id "
        "join services s on s.id = v.service_id where "
    )
    where, params = records.visits_where(status, date_from, date_to, opd_id, alias="v.")
    sql += where
    out = []
    for row in db.execute(sql + " order by v.visit_date, v.uuid", params).fetchall():
        record = records.visit(db, row["uuid"])
        insts = records.visit_instruments(db, record)
        out.append(
            {
                **dict(row),
                "instruments": record["instruments"],
                "answers": _answer_rows(insts, record),
                "photos": [
                    {
                        "sha256": p["sha256"],
                        "instrument": p["instrument_id"] or None,
                        "item": p["item_id"] or None,
                        "caption": p.get("caption") or "",
                        "captured_at": p.get("captured_at"),
                    }
                    for p in record["photos"]
                ],
                "scores": records.scores_of(db, record),
            }
        )
    return out


def _answer_rows(insts, record) -> list[dict[str, Any]]:
    rows = []
    for inst in insts:
        given = record["answers"].get(inst.id, {})
        for item in inst.items:
            if item.id in given:
                rows.append(
                    {
                        "instrument": inst.id,
                        "item": item.id,
                        "type": item.type,
                        "value": given[item.id],
                        "weight": item.weight,
                        "tags": dict(item.tags),
                        "note": record["notes"].get(inst.id, {}).get(item.id),
                    }
                )
    return rows


def visits_json(visits: list[dict] | dict) -> str:
    """The JSON export text (a list of visits, or {"quality": ..., "visits": [...]})."""
    return json.dumps(visits, ensure_ascii=False, indent=2)


def visits_csv(visits: list[dict]) -> str:
    """Wide CSV: one row per visit, one column per instrument item."""
    fixed = [
        "uuid",
        "opd",
        "service",
        "evaluator_id",
        "status",
        "visit_date",
        "compliance",
        "zone",
        "ikm",
    ]
    item_cols: list[str] = []
    for v in visits:
        for a in v["answers"]:
            col = f"{a['instrument']}.{a['item']}"
            if col not in item_cols:
                item_cols.append(col)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fixed + item_cols)
    writer.writeheader()
    for v in visits:
        skm = v["scores"]["skm"] or {}
        row = {k: v.get(k) for k in fixed[:6]}
        row.update(
            compliance=scoring.round2(v["scores"]["compliance"]["score"]),
            zone=v["scores"]["zone"],
            ikm=scoring.round2(skm.get("ikm_converted")),
        )
        for a in v["answers"]:
            value = a["value"]
            row[f"{a['instrument']}.{a['item']}"] = (
                json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
            )
        writer.writerow(csv_row(row))
    return buf.getvalue()


# What a spreadsheet reads as the start of a formula (OWASP "CSV injection")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell no spreadsheet runs: text starting a formula gets a leading ', NUL goes.

    Only text: a number (a negative delta) stays a number.
    """
    if not isinstance(value, str):
        return value
    value = value.replace("\x00", "")
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_row(row: dict) -> dict:
    """Every cell of a CSV row through csv_cell."""
    return {key: csv_cell(value) for key, value in row.items()}
