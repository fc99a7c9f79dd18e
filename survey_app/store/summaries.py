"""Scores per OPD and for the city over a period, and visit exports (no Flask)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

from sqlite_utils import Database

from survey_app.core import scoring
from survey_app.store import records, tallies


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
        return _city_from_tallies(tallies.in_period(db, date_from, date_to, status))
    return _city([scores for _, scores in records.briefs_in(db, date_from, date_to, status)])


def period_summaries(
    db: Database, date_from: str | None = None, date_to: str | None = None, status: str = "approved"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(one aggregate per OPD, the city's) for a period.

    With both dates given, from the kept per-OPD monthly tallies (see
    survey_app.tallies); otherwise from one read of the period's briefs.
    """
    if not (date_from and date_to):
        return summaries_from_briefs(db, date_from, date_to, status)
    per_opd_tallies = tallies.in_period(db, date_from, date_to, status)
    names = _opd_names(db)
    populations = records.opd_populations(db)
    per_opd = [
        _shape(tallies.aggregate(t, populations.get(opd_id)), *names[opd_id])
        for opd_id, t in per_opd_tallies.items()
    ]
    per_opd.sort(key=lambda s: (-(s["compliance"] or -1), s["opd"]))
    return per_opd, _city_from_tallies(per_opd_tallies)


def summaries_from_briefs(
    db: Database, date_from: str | None = None, date_to: str | None = None, status: str = "approved"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """period_summaries from one read of the period's briefs (no tallies)."""
    by_opd: dict[int, list[dict]] = defaultdict(list)
    briefs = records.briefs_in(db, date_from, date_to, status)
    names = _opd_names(db)
    populations = records.opd_populations(db)
    per_opd = []
    with records.collector_paused():
        for opd_id, scores in briefs:
            by_opd[opd_id].append(scores)
        for opd_id, scores in by_opd.items():
            agg = scoring.aggregate(scores, population=populations.get(opd_id))
            per_opd.append(_shape(agg, *names[opd_id]))
    per_opd.sort(key=lambda s: (-(s["compliance"] or -1), s["opd"]))
    return per_opd, _city([s for _, s in briefs])


def _opd_names(db: Database) -> dict[int, tuple[str, str]]:
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
        per_opd = tallies.in_period(db, date_from, date_to, status)
        chosen = [t for o, t in per_opd.items() if opd_id is None or o == opd_id]
        return tallies.failed_counts(tallies.merged(chosen))
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
