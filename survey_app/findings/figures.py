"""What each findings document shows, as plain dicts from the store and scoring (no Flask).

Every figure is the scoring module's, rounded once with scoring.round2 here;
templates only format. Evaluators are never named: an OPD must not learn
who visited it, so no evaluator (not even an id) reaches these dicts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from fractions import Fraction
from typing import Any

from sqlite_utils import Database

from survey_app.core import scoring
from survey_app.core.errors import DomainError
from survey_app.core.instruments import DIMENSIONS, UNSUR, Item, Label
from survey_app.store import actions, records
from survey_app.store import quality as quality_reads

round2 = scoring.round2
SKM = scoring.SKM_SCHEME
TOP_FINDINGS = 10
_IN = "in (select value from json_each(?))"


# --- periods, labels, bands -----------------------------------------------------


def period(date_from: str, date_to: str) -> dict[str, str]:
    """The reporting period and the same-length window right before it."""
    try:
        start, end = dt.date.fromisoformat(date_from), dt.date.fromisoformat(date_to)
    except (TypeError, ValueError):
        raise DomainError("bad_date", f"{date_from} / {date_to}") from None
    if end < start:
        raise DomainError("bad_date", f"{date_to} < {date_from}")
    previous_to = start - dt.timedelta(days=1)
    previous_from = previous_to - (end - start)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "previous_from": previous_from.isoformat(),
        "previous_to": previous_to.isoformat(),
    }


def label(value: Label | None) -> dict[str, str] | None:
    """A bilingual label as a plain dict, {'id': ..., 'en': ...}."""
    return {"id": value.id, "en": value.en} if value else None


def band(scheme_id: str, code: str | None) -> dict[str, Any] | None:
    """A band of a rating scheme by its code: code, zone colour, label, kinerja."""
    scheme = scoring.load_schemes()[scheme_id]
    for b in scheme.bands:
        if b.code == code:
            return {
                "code": b.code,
                "zone": b.zone,
                "min": b.min,
                "label": label(b.label),
                "kinerja": label(b.kinerja),
                "confirmed": b.confirmed,
            }
    return None


def band_of(scheme_id: str, value: float | None) -> dict[str, Any] | None:
    """The band a value falls in (the scheme decides; None for no value)."""
    found = scoring.load_schemes()[scheme_id].band(value)
    return band(scheme_id, found.code) if found else None


def scheme_table(scheme_id: str) -> dict[str, Any]:
    """A rating scheme for the method section: title and bands, best first."""
    scheme = scoring.load_schemes()[scheme_id]
    return {
        "id": scheme.id,
        "title": label(scheme.title),
        "bands": [band(scheme.id, b.code) for b in reversed(scheme.bands)],
    }


# --- figures ---------------------------------------------------------------------


def figures(agg: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of a scoring.aggregate result, rounded once."""
    skm = agg["skm"] or {}
    return {
        "visits": agg["visits"],
        "scheme": agg["scheme"],
        "compliance": round2(agg["compliance"]),
        "zone": band(agg["scheme"], agg["zone"]),
        "ikm": round2(skm.get("ikm")),
        "ikm_converted": round2(skm.get("ikm_converted")),
        "mutu": band(SKM, skm.get("mutu")),
        "dimensions": _dimensions(agg["scheme"], agg["dimensions"]),
        "waiting_minutes": round2(agg["waiting_minutes"]),
        "service_minutes": round2(agg["service_minutes"]),
        "over_max_time": agg["over_max_time"],
        "fee_over_published": agg["fee_over_published"],
        "population": agg["population"],
        "sample_required": agg["sample_required"],
        "sample_below": agg["sample_below"],
    }


def visit_figures(scores: dict[str, Any]) -> dict[str, Any]:
    """The figures of one visit's stored scores, rounded once."""
    comp, skm = scores["compliance"], scores["skm"] or {}
    nrr = skm.get("nrr", {})
    return {
        "compliance": round2(comp["score"]),
        "zone": band(scores["scheme"], scores["zone"]),
        "passed": len(comp["passed"]),
        "applicable": len(comp["passed"]) + len(comp["failed"]),
        "dimensions": _dimensions(scores["scheme"], comp["dimensions"]),
        "ikm_converted": round2(skm.get("ikm_converted")),
        "mutu": band(SKM, skm.get("mutu")),
        "unsur": [{"code": u, "nrr": round2(nrr[u])} for u in UNSUR if u in nrr],
        "timing": scores["timing"],
        "fee": scores["fee"],
    }


def _dimensions(scheme_id: str, scores: dict[str, float | None]) -> list[dict[str, Any]]:
    """The four priorities in the city's order, each with its score and band."""
    return [
        {
            "code": code,
            "score": round2(scores.get(code)),
            "band": band_of(scheme_id, scores.get(code)),
        }
        for code in DIMENSIONS
    ]


def _delta(current, previous):
    """Change between two printed figures (exact on their two decimals)."""
    if current is None or previous is None:
        return None
    if isinstance(current, int) and isinstance(previous, int):
        return current - previous
    return round2(Fraction(str(current)) - Fraction(str(previous)))


def change(current: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Headline figures now and in the previous period, with the difference."""
    pairs = [
        ("visits", current["visits"], previous and previous["visits"]),
        ("compliance", current["compliance"], previous and previous["compliance"]),
        ("ikm_converted", current["ikm_converted"], previous and previous["ikm_converted"]),
    ]
    for n, dim in enumerate(current["dimensions"]):
        pairs.append((dim["code"], dim["score"], previous and previous["dimensions"][n]["score"]))
    return [
        {"code": code, "current": now, "previous": before, "delta": _delta(now, before)}
        for code, now, before in pairs
    ]


# --- one visit -------------------------------------------------------------------


def visit_sheet(db: Database, visit_uuid: str) -> dict[str, Any]:
    """One visit: where and when, every answer in the order asked, scores, photos."""
    record = records.visit(db, visit_uuid)
    insts = records.visit_instruments(db, record)
    scores = records.scores_of(db, record)
    service = records.service(db, record["service_id"])
    items = {f"{i.id}.{item.id}": item for i in insts for item in i.items}
    return {
        "uuid": visit_uuid,
        "status": record["status"],
        "visit_date": record["visit_date"],
        "submitted_at": record["submitted_at"],
        "reviewed_at": record["reviewed_at"],
        "opd": _opd(db, record["opd_id"]),
        "service": {k: service[k] for k in ("name", "max_minutes", "fee", "requirements")},
        "instruments": [_answered(inst, record) for inst in insts],
        "figures": visit_figures(scores),
        "findings": [_finding(key, items.get(key)) for key in scores["compliance"]["failed"]],
        "photos": [
            _photo(p, items, record["visit_date"], service["name"]) for p in record["photos"]
        ],
    }


def _opd(db: Database, opd_id: int) -> dict[str, Any]:
    row = db.execute("select slug, name, kind, address from opds where id = ?", [opd_id])
    return dict(row.fetchone())


def _answered(inst, record: dict[str, Any]) -> dict[str, Any]:
    """An instrument's shown items, section by section, with their answers."""
    given = inst.relevant_answers(record["answers"].get(inst.id, {}))
    notes = record["notes"].get(inst.id, {})
    sections = []
    for section in inst.sections:
        rows = [
            _answer(item, given.get(item.id), notes.get(item.id))
            for item in section.items
            if item.is_relevant(given)
        ]
        if rows:
            sections.append({"title": label(section.title), "rows": rows})
    return {
        "id": inst.id,
        "version": inst.version,
        "title": label(inst.title),
        "sections": sections,
    }


def _answer(item: Item, value: Any, note: str | None) -> dict[str, Any]:
    """One answer with what the template needs to print it in either language."""
    options = {o.value: o.label for o in item.options}
    chosen: list[dict[str, str] | None] = []
    if item.type == "scale4" and value is not None:
        chosen = [label(item.points[int(value) - 1])]
    elif item.type == "choice" and value is not None:
        chosen = [label(options.get(value)) or {"id": str(value), "en": str(value)}]
    elif item.type == "multi" and value is not None:
        chosen = [label(options.get(v)) or {"id": str(v), "en": str(v)} for v in value]
    return {
        "id": item.id,
        "type": item.type,
        "role": item.role,
        "label": label(item.label),
        "unit": label(item.unit),
        "multiline": item.multiline,
        "value": value,
        "chosen": chosen,
        "passed": item.passed(value),
        "note": note,
    }


def _finding(key: str, item: Item | None) -> dict[str, Any]:
    """A failed item's finding and recommendation, tagged with its priority."""
    tags = item.tags if item else {}
    return {
        "key": key,
        "label": label(item.label) if item else {"id": key, "en": key},
        "finding": label(item.finding) if item else None,
        "recommendation": label(item.recommendation) if item else None,
        "dimension": tags.get("dimension"),
        "component": tags.get("component"),
    }


def _photo(row: dict, items: dict[str, Item], visit_date: str, service: str) -> dict[str, Any]:
    key = f"{row['instrument_id']}.{row['item_id']}" if row["item_id"] else None
    item = items.get(key) if key else None
    return {
        "sha256": row["sha256"],
        "visit_uuid": row["visit_uuid"],
        "key": key,
        "item_label": label(item.label) if item else None,
        "caption": row["caption"] or "",
        "captured_at": row["captured_at"],
        "visit_date": visit_date,
        "service": service,
    }


# --- many visits ------------------------------------------------------------------


def _versions(db: Database, uuids: list[str]) -> Counter:
    """How many of these visits used each (instrument, version)."""
    rows = db.execute(
        f"select instrument_id, instrument_version from visit_instruments where visit_uuid {_IN}",
        [json.dumps(uuids)],
    ).fetchall()
    return Counter((r["instrument_id"], r["instrument_version"]) for r in rows)


def _items(db: Database, versions: Counter) -> dict[str, Item]:
    """Every item of these instrument versions by 'instrument.item'; newer versions win."""
    items: dict[str, Item] = {}
    for inst_id, version in sorted(versions, key=lambda iv: iv[1]):
        inst = records.instrument(db, inst_id, version)
        items.update({f"{inst.id}.{item.id}": item for item in inst.items})
    return items


def _visits(db: Database, rows: list[dict], items: dict[str, Item]) -> list[dict[str, Any]]:
    """The visits behind an aggregate: date, service, figures, failed items, photos."""
    uuids = json.dumps([r["uuid"] for r in rows])
    services = {
        r["uuid"]: dict(r)
        for r in db.execute(
            "select v.uuid, v.service_id, s.name as service, s.max_minutes "
            f"from visits v join services s on s.id = v.service_id where v.uuid {_IN}",
            [uuids],
        )
    }
    photos = defaultdict(list)
    for p in db.execute(f"select * from visit_photos where visit_uuid {_IN} order by id", [uuids]):
        photos[p["visit_uuid"]].append(dict(p))
    return [
        {
            **services[r["uuid"]],
            "visit_date": r["visit_date"],
            "scores": r["scores"],
            "figures": visit_figures(r["scores"]),
            "failed": set(r["scores"]["compliance"]["failed"]),
            "photos": [
                _photo(p, items, r["visit_date"], services[r["uuid"]]["service"])
                for p in photos[r["uuid"]]
            ],
        }
        for r in rows
    ]


def _findings(failed_items: list[dict], items: dict[str, Item], visits: list[dict]) -> list:
    """Failed items grouped by priority, most frequent first, with their evidence photos."""
    groups: dict[str | None, list] = {code: [] for code in (*DIMENSIONS, None)}
    for row in failed_items:
        finding = _counted(row, items)
        finding["photos"] = [
            p
            for v in visits
            if row["item"] in v["failed"]
            for p in v["photos"]
            if p["key"] == row["item"]
        ]
        dim = finding["dimension"] if finding["dimension"] in groups else None
        groups[dim].append(finding)
    number = 0
    for rows in groups.values():
        for finding in rows:
            number += 1
            finding["number"] = number
    return [{"dimension": code, "findings": rows} for code, rows in groups.items() if rows]


def _timing(visits: list[dict]) -> list[dict[str, Any]]:
    """Waiting and service time per service, against its published maximum."""
    by_service: dict[int, list] = defaultdict(list)
    for v in visits:
        by_service[v["service_id"]].append(v)
    rows = []
    for group in by_service.values():
        agg = scoring.aggregate([v["scores"] for v in group])
        rows.append(
            {
                "service": group[0]["service"],
                "max_minutes": group[0]["max_minutes"],
                "visits": len(group),
                "waiting_minutes": round2(agg["waiting_minutes"]),
                "service_minutes": round2(agg["service_minutes"]),
                "over_max_time": agg["over_max_time"],
            }
        )
    return sorted(rows, key=lambda r: r["service"])


def _skm_table(rows: list[dict], skm: dict[str, Any] | None) -> dict[str, Any] | None:
    """SKM per unsur: answers, NRR, NRR converted (x25) with its mutu; then the IKM."""
    if not skm:
        return None
    pooled: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        for unsur, values in r["scores"].get("skm_values", {}).items():
            pooled[unsur].extend(values)
    table = []
    for code in UNSUR:
        one = scoring.skm({code: pooled[code]}, {code: Fraction(1)}) if pooled[code] else None
        table.append(
            {
                "code": code,
                "answers": skm["answers"].get(code, 0),
                "nrr": round2(skm["nrr"].get(code)),
                "converted": round2(one["ikm_converted"]) if one else None,
                "mutu": band(SKM, one["mutu"]) if one else None,
            }
        )
    return {
        "unsur": table,
        "ikm": round2(skm["ikm"]),
        "ikm_converted": round2(skm["ikm_converted"]),
        "mutu": band(SKM, skm["mutu"]),
    }


def _method(db: Database, versions: Counter, scheme_id: str) -> dict[str, Any]:
    """Instruments used (with how many visits) and the rating tables applied."""
    instruments = [
        {
            "id": inst_id,
            "version": version,
            "title": label(records.instrument(db, inst_id, version).title),
            "visits": count,
        }
        for (inst_id, version), count in sorted(versions.items())
    ]
    return {"instruments": instruments, "scheme": scheme_table(scheme_id), "skm": scheme_table(SKM)}


def _aggregate(db: Database, rows: list[dict], opd_id: int | None = None) -> dict[str, Any]:
    """scoring.aggregate over stored scores, with the OPD's population as summaries use it."""
    population = records.opd_population(db, opd_id) if opd_id else None
    return scoring.aggregate([r["scores"] for r in rows], population=population)


# --- one OPD ----------------------------------------------------------------------


def opd_report(
    db: Database, slug: str, date_from: str, date_to: str, status: str = "approved"
) -> dict[str, Any]:
    """Findings for one OPD over a period, compared with the period before."""
    opd = records.opd_by_slug(db, slug)
    span = period(date_from, date_to)
    rows = records.visit_scores_in(db, span["from"], span["to"], status, opd["id"])
    before = records.visit_scores_in(
        db, span["previous_from"], span["previous_to"], status, opd["id"]
    )
    versions = _versions(db, [r["uuid"] for r in rows])
    items = _items(db, versions)
    visits = _visits(db, rows, items)
    agg = _aggregate(db, rows, opd["id"])
    current = figures(agg)
    groups = _findings(agg["failed_items"], items, visits)
    return {
        "opd": _opd(db, opd["id"]),
        "period": span,
        "status": status,
        "figures": current,
        "findings": groups,
        "finding_count": len(agg["failed_items"]),
        "findings_by_dimension": {g["dimension"]: len(g["findings"]) for g in groups},
        "timing": _timing(visits),
        "visits": visits,
        "fees": [v for v in visits if v["scores"]["fee"]["over_published"]],
        "skm": _skm_table(rows, agg["skm"]),
        "change": change(current, figures(_aggregate(db, before, opd["id"])) if before else None),
        "documentation": _documentation(visits, groups),
        "method": _method(db, versions, current["scheme"]),
        "follow_ups": actions.for_report(db, opd["id"], span["previous_from"], span["to"]),
        "quality": quality_reads.report(db, span["from"], span["to"], opd["id"]),
    }


def _documentation(visits: list[dict], groups: list[dict]) -> list[dict[str, Any]]:
    """The visits' photos that no finding shows (general photos, passed items)."""
    shown = {
        (p["visit_uuid"], p["sha256"], p["key"])
        for g in groups
        for f in g["findings"]
        for p in f["photos"]
    }
    return [
        p
        for v in visits
        for p in v["photos"]
        if (p["visit_uuid"], p["sha256"], p["key"]) not in shown
    ]


# --- the city ---------------------------------------------------------------------


def city_report(
    db: Database, date_from: str, date_to: str, status: str = "approved"
) -> dict[str, Any]:
    """The city over a period: OPD ranking, zones and mutu, frequent findings, trend."""
    span = period(date_from, date_to)
    rows = records.visit_scores_in(db, span["from"], span["to"], status)
    before = records.visit_scores_in(db, span["previous_from"], span["previous_to"], status)
    versions = _versions(db, [r["uuid"] for r in rows])
    items = _items(db, versions)
    agg = _aggregate(db, rows)
    current = figures(agg)
    opds = _opd_lines(db, rows, before, items)
    return {
        "period": span,
        "status": status,
        "figures": current,
        "opds": opds,
        "zones": _distribution(opds, current["scheme"], "zone"),
        "mutu": _distribution(opds, SKM, "mutu"),
        "findings": _top_findings(agg["failed_items"], items, opds),
        "months": _months(db, rows),
        "change": change(current, figures(_aggregate(db, before)) if before else None),
        "method": _method(db, versions, current["scheme"]),
        "quality": quality_reads.report(db, span["from"], span["to"]),
    }


def _by_opd(rows: list[dict]) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        grouped[r["opd_id"]].append(r)
    return grouped


def _opd_lines(db: Database, rows: list, before: list, items: dict[str, Item]) -> list[dict]:
    """One line per OPD, ranked as summaries.opd_summaries ranks them."""
    previous = _by_opd(before)
    lines = []
    for opd_id, group in _by_opd(rows).items():
        agg = _aggregate(db, group, opd_id)
        failed = agg["failed_items"]
        prior = _aggregate(db, previous[opd_id], opd_id) if previous.get(opd_id) else None
        lines.append(
            {
                "slug": group[0]["slug"],
                "name": group[0]["name"],
                "figures": figures(agg),
                "previous_compliance": round2(prior["compliance"]) if prior else None,
                "finding_count": len(failed),
                "top_finding": _counted(failed[0], items) if failed else None,
                "failed_keys": {f["item"] for f in failed},
            }
        )
    lines.sort(key=lambda s: (-(s["figures"]["compliance"] or -1), s["slug"]))
    for rank, line in enumerate(lines, 1):
        line["rank"] = rank
    return lines


def _distribution(opds: list[dict], scheme_id: str, key: str) -> list[dict[str, Any]]:
    """How many OPDs fall in each band of a scheme, best band first."""
    counts = Counter((o["figures"][key] or {}).get("code") for o in opds)
    rows = [
        {"band": b, "count": counts.get(b["code"], 0)} for b in scheme_table(scheme_id)["bands"]
    ]
    if counts.get(None):
        rows.append({"band": None, "count": counts[None]})
    return rows


def _counted(row: dict, items: dict[str, Item]) -> dict[str, Any]:
    """A failed_counts row as a finding: text, recommendation, failed of applicable."""
    return {
        **_finding(row["item"], items.get(row["item"])),
        "failed": row["failed"],
        "of": row["of"],
    }


def _top_findings(failed_items: list, items: dict[str, Item], opds: list) -> list[dict]:
    """The most frequent failed items city-wide, with how many OPDs each touches."""
    return [
        {
            **_counted(row, items),
            "opds": sum(1 for o in opds if row["item"] in o["failed_keys"]),
        }
        for row in failed_items[:TOP_FINDINGS]
    ]


def _months(db: Database, rows: list[dict]) -> list[dict[str, Any]]:
    """The city's headline figures month by month within the period."""
    by_month: dict[str, list] = defaultdict(list)
    for r in rows:
        by_month[r["visit_date"][:7]].append(r)
    return [
        {"month": month, **figures(_aggregate(db, group))}
        for month, group in sorted(by_month.items())
    ]


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
