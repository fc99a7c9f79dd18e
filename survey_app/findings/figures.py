"""What each findings document shows, as plain dicts from the store and scoring (no Flask).

Every figure is the scoring module's, rounded once with scoring.round2 here;
templates only format. Evaluators are never named: an OPD must not learn
who visited it, so no evaluator (not even an id) reaches these dicts. A desk
review is not mystery shopping: its reviewer (a supervisor) is named.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from sqlite_utils import Database

from survey_app.core import scoring, selfassess
from survey_app.core.instruments import DIMENSIONS, OMBUDSMAN, UNSUR, Item, Label
from survey_app.findings.periods import period
from survey_app.store import actions, check_views, records, summaries, tallies
from survey_app.store import checks as check_store
from survey_app.store import quality as quality_reads

round2 = scoring.round2
SKM = scoring.SKM_SCHEME
TOP_FINDINGS = 10
HEADLINE = ("visits", "compliance", "ikm_converted")  # the change table's rows, then priorities


# --- labels and bands -----------------------------------------------------


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
        "unsur": {u: round2(v) for u, v in skm.get("nrr", {}).items()},
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


def delta(current: float | int | None, previous: float | int | None) -> float | int | None:
    """Change between two printed figures (exact on their two decimals); None when one is."""
    if current is None or previous is None:
        return None
    if isinstance(current, int) and isinstance(previous, int):
        return current - previous
    return round2(Fraction(str(current)) - Fraction(str(previous)))


def change(
    current: dict[str, Any], previous: dict[str, Any] | None, codes: tuple[str, ...] = HEADLINE
) -> list[dict[str, Any]]:
    """Headline figures (`codes`, then the priorities) now and before, with the difference."""
    pairs = [(code, current[code], previous and previous[code]) for code in codes]
    for n, dim in enumerate(current["dimensions"]):
        pairs.append((dim["code"], dim["score"], previous and previous["dimensions"][n]["score"]))
    return [
        {"code": code, "current": now, "previous": before, "delta": delta(now, before)}
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
        "opd": summaries.opd_row(db, record["opd_id"]),
        "service": {k: service[k] for k in ("name", "max_minutes", "fee", "requirements")},
        "instruments": [_answered(inst, record) for inst in insts],
        "figures": visit_figures(scores),
        "findings": [_finding(key, items.get(key)) for key in scores["compliance"]["failed"]],
        "photos": [
            _photo(p, items, record["visit_date"], service["name"]) for p in record["photos"]
        ],
    }


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


# --- failed items ------------------------------------------------------------------


def items_of(db: Database, versions: Iterable[tuple[str, int]]) -> dict[str, Item]:
    """Every item of these instrument versions by 'instrument.item'; newer versions win.

    Documents name items as the versions their visits used (summaries.instrument_versions);
    screens by every stored version (summaries.stored_versions), which needs no visit read.
    """
    items: dict[str, Item] = scoring.standard_items()
    for inst_id, version in sorted(versions, key=lambda iv: iv[1]):
        inst = records.instrument(db, inst_id, version)
        items.update({f"{inst.id}.{item.id}": item for item in inst.items})
    return items


def _counted(row: dict, items: dict[str, Item]) -> dict[str, Any]:
    """A failed_counts row as a finding: text, recommendation, failed of applicable, share."""
    return {
        **_finding(row["item"], items.get(row["item"])),
        "failed": row["failed"],
        "of": row["of"],
        "share": 100 * row["failed"] / row["of"],
    }


def top_findings(
    failed_items: list[dict], items: dict[str, Item], opds: list[dict] | None = None
) -> list[dict[str, Any]]:
    """The most frequently failed items with their texts; given OPD lines, how many each touches."""
    rows = [_counted(row, items) for row in failed_items[:TOP_FINDINGS]]
    for row in rows if opds is not None else ():
        row["opds"] = sum(1 for o in opds if row["key"] in o["failed_keys"])
    return rows


# --- the city and its OPDs, from the kept tallies --------------------------------------


def city_figures(
    db: Database,
    span: Mapping[str, str],
    items: dict[str, Item],
    status: str = "approved",
    months: bool = False,
) -> dict[str, Any]:
    """The city over a period and the one before, its OPDs ranked, its frequent findings.

    From the per-OPD monthly tallies (store.tallies), never every visit's scores;
    `items` (items_of) names the failed items; `months` adds the city month by month.
    """
    monthly = tallies.by_month(db, span["from"], span["to"], status)
    current = tallies.per_opd(monthly.values())
    before = tallies.in_period(db, span["previous_from"], span["previous_to"], status)
    agg = tallies.aggregate(tallies.merged(current.values()))
    prior = tallies.merged(before.values())
    opds = ranking(db, current, before, items)
    out = {
        "figures": figures(agg),
        "previous": figures(tallies.aggregate(prior)) if prior["visits"] else None,
        "opds": opds,
        "findings": top_findings(agg["failed_items"], items, opds),
    }
    if months:
        out["months"] = [
            {"month": month, **figures(tallies.aggregate(tallies.merged(per.values())))}
            for month, per in monthly.items()
        ]
    return out


def ranking(
    db: Database, current: Mapping[int, dict], before: Mapping[int, dict], items: dict[str, Item]
) -> list[dict[str, Any]]:
    """One line per OPD with visits (per-OPD tallies), ranked by compliance as summaries are."""
    names, populations = summaries.opd_names(db), records.opd_populations(db)
    lines = []
    for opd_id, tally in current.items():
        population = populations.get(opd_id)
        prior = before.get(opd_id)
        prior_agg = tallies.aggregate(prior, population) if prior else None
        lines.append(_line(names[opd_id], tallies.aggregate(tally, population), prior_agg, items))
    lines.sort(key=lambda s: (*scoring.best_first(s["figures"]["compliance"]), s["slug"]))
    for rank, line in enumerate(lines, 1):
        line["rank"] = rank
    return lines


def _line(
    names: tuple[str, str], agg: dict[str, Any], prior: dict[str, Any] | None, items: dict
) -> dict[str, Any]:
    """An OPD's figures now and before, the change in compliance and IKM, its failed items."""
    now = figures(agg)
    before = figures(prior) if prior else None
    failed = agg["failed_items"]
    return {
        "slug": names[0],
        "name": names[1],
        "figures": now,
        "previous": before,
        "previous_compliance": before and before["compliance"],
        "compliance_delta": delta(now["compliance"], before and before["compliance"]),
        "ikm_delta": delta(now["ikm_converted"], before and before["ikm_converted"]),
        "failed_items": failed,
        "finding_count": len(failed),
        "top_finding": _counted(failed[0], items) if failed else None,
        "failed_keys": {f["item"] for f in failed},
    }


def _distribution(opds: list[dict], scheme_id: str, key: str) -> list[dict[str, Any]]:
    """How many OPDs fall in each band of a scheme, best band first."""
    counts = Counter((o["figures"][key] or {}).get("code") for o in opds)
    rows = [
        {"band": b, "count": counts.get(b["code"], 0)} for b in scheme_table(scheme_id)["bands"]
    ]
    if counts.get(None):
        rows.append({"band": None, "count": counts[None]})
    return rows


# --- one OPD ----------------------------------------------------------------------------


def opd_figures(
    db: Database,
    opd: Mapping[str, Any],
    span: Mapping[str, str],
    items: dict[str, Item],
    status: str = "approved",
) -> dict[str, Any]:
    """One OPD over a period and the one before: its line, change table, SKM table, timing.

    Figures and failed items from its tallies; time and fee per service from its
    visits' briefs (tallies are per OPD, not per service).
    """
    population = records.opd_population(db, opd["id"])
    now = tallies.total(db, span["from"], span["to"], status, opd["id"])
    before = tallies.total(db, span["previous_from"], span["previous_to"], status, opd["id"])
    agg = tallies.aggregate(now, population)
    prior = tallies.aggregate(before, population) if before["visits"] else None
    line = _line((opd["slug"], opd["name"]), agg, prior, items)
    return {
        **line,
        "change": change(line["figures"], line["previous"]),
        "skm": _skm_table(now["skm"], agg["skm"]),
        "timing": service_times(db, opd["id"], span, status),
    }


def service_times(
    db: Database, opd_id: int, span: Mapping[str, str], status: str = "approved"
) -> list[dict[str, Any]]:
    """Per service: mean waiting and service time against its published maximum, and fees."""
    grouped: dict[int, list] = defaultdict(list)
    for service_id, brief in summaries.service_briefs(db, opd_id, span["from"], span["to"], status):
        grouped[service_id].append(brief)
    rows = []
    for service_id, briefs in grouped.items():
        agg, svc = scoring.aggregate(briefs), records.service(db, service_id)
        rows.append(
            {
                "service": svc["name"],
                "max_minutes": svc["max_minutes"],
                "fee": svc["fee"],
                "visits": agg["visits"],
                "waiting_minutes": round2(agg["waiting_minutes"]),
                "service_minutes": round2(agg["service_minutes"]),
                "over_max_time": agg["over_max_time"],
                "fee_over_published": agg["fee_over_published"],
            }
        )
    return sorted(rows, key=lambda r: r["service"])


def _skm_table(totals: Mapping[str, list[int]], skm: dict[str, Any] | None) -> dict | None:
    """SKM per unsur: answers, NRR, NRR converted (x25) with its mutu; then the IKM."""
    if not skm:
        return None
    table = []
    for code in UNSUR:
        total = totals.get(code)
        one = scoring.skm_totals({code: tuple(total)}, {code: Fraction(1)}) if total else None
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


def opd_visits(
    db: Database,
    opd_id: int,
    span: Mapping[str, str],
    items: dict[str, Item],
    status: str = "approved",
) -> list[dict[str, Any]]:
    """The visits behind an OPD's figures: date, service, own figures, failed items, photos."""
    rows = records.visit_scores_in(db, span["from"], span["to"], status, opd_id)
    uuids = [r["uuid"] for r in rows]
    services, photos = summaries.visit_services(db, uuids), summaries.visit_photos(db, uuids)
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


# --- the documents ------------------------------------------------------------------


def opd_report(
    db: Database, slug: str, date_from: str, date_to: str, status: str = "approved"
) -> dict[str, Any]:
    """Findings for one OPD over a period, compared with the period before."""
    opd = records.opd_by_slug(db, slug)
    span = period(date_from, date_to)
    versions = summaries.instrument_versions(db, span["from"], span["to"], status, opd["id"])
    items = items_of(db, versions)
    one = opd_figures(db, opd, span, items, status)
    visits = opd_visits(db, opd["id"], span, items, status)
    groups = _findings(one["failed_items"], items, visits)
    return {
        "opd": summaries.opd_row(db, opd["id"]),
        "period": span,
        "status": status,
        "figures": one["figures"],
        "findings": groups,
        "finding_count": one["finding_count"],
        "findings_by_dimension": {g["dimension"]: len(g["findings"]) for g in groups},
        "timing": one["timing"],
        "visits": visits,
        "fees": [v for v in visits if v["scores"]["fee"]["over_published"]],
        "skm": one["skm"],
        "change": one["change"],
        "documentation": _documentation(visits, groups),
        "method": _method(db, versions, one["figures"]["scheme"]),
        "follow_ups": actions.for_report(db, opd["id"], span["previous_from"], span["to"]),
        "quality": quality_reads.report(db, span["from"], span["to"], opd["id"]),
        "self_assessment": self_vs_independent(db, opd["id"], span),
    }


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


def city_report(
    db: Database, date_from: str, date_to: str, status: str = "approved"
) -> dict[str, Any]:
    """The city over a period: OPD ranking, zones and mutu, frequent findings, trend."""
    span = period(date_from, date_to)
    versions = summaries.instrument_versions(db, span["from"], span["to"], status)
    city = city_figures(db, span, items_of(db, versions), status, months=True)
    current = city["figures"]
    return {
        "period": span,
        "status": status,
        "figures": current,
        "opds": city["opds"],
        "zones": _distribution(city["opds"], current["scheme"], "zone"),
        "mutu": _distribution(city["opds"], SKM, "mutu"),
        "findings": city["findings"],
        "months": city["months"],
        "change": change(current, city["previous"]),
        "method": _method(db, versions, current["scheme"]),
        "quality": quality_reads.report(db, span["from"], span["to"]),
    }


def opd_slugs_with_visits(
    db: Database, date_from: str, date_to: str, status: str = "approved"
) -> list[str]:
    """The OPDs that have visits in the period, by name."""
    return summaries.opd_slugs_with_visits(db, date_from, date_to, status)


# --- the OPD's own view ------------------------------------------------------------------


def opd_own_view(db: Database, opd: Mapping[str, Any], span: Mapping[str, str]) -> dict[str, Any]:
    """What an OPD's own officer sees of a period: approved visits only, no evaluator.

    The OPD's figures and the change since the period before, its failed items with
    finding and recommendation, time per service, and its visits by date and service
    (no uuid, no photo: those open the evaluator's working papers).
    """
    items = items_of(db, summaries.stored_versions(db))
    one = opd_figures(db, opd, span, items)
    visits = opd_visits(db, opd["id"], span, items)
    return {
        "figures": one["figures"],
        "compliance_delta": one["compliance_delta"],
        "ikm_delta": one["ikm_delta"],
        "change": one["change"],
        "timing": one["timing"],
        "findings": [_counted(row, items) for row in one["failed_items"]],
        "visits": [
            {
                "visit_date": v["visit_date"],
                "service": v["service"],
                "figures": {k: v["figures"][k] for k in ("compliance", "zone", "ikm_converted")},
                "waiting_minutes": v["figures"]["timing"].get("waiting_minutes"),
                "over_max": v["figures"]["timing"].get("over_max"),
                "fee_over": v["figures"]["fee"].get("over_published"),
            }
            for v in sorted(visits, key=lambda v: v["visit_date"], reverse=True)
        ],
    }


# --- self-assessment beside the independent view ------------------------------------------

# Per kind of self-assessment: the instrument it is filled on (a checklist: the compliance
# checklist, a visit instrument), the tag its items are grouped by, and that tag's order.
SELF_KINDS = (
    ("checklist", "kepatuhan", "dimension", DIMENSIONS),
    ("probe", None, "dimension", DIMENSIONS),
    ("desk", None, "ombudsman", OMBUDSMAN),
)


def _kind_instrument(db: Database, kind: str, inst_id: str | None):
    """The newest instrument a kind of check is filled on, or None when none is loaded."""
    if inst_id:
        found = [i for i in records.current_instruments(db) if i.id == inst_id]
    else:
        found = records.current_instruments(db, kind=kind)
    return found[0] if found else None


def _visit_verdicts(db: Database, opd_id: int, span: Mapping[str, str], inst_id: str) -> list:
    """The independent side of a checklist: per approved visit that used the instrument,
    each of its items passed (True) or failed (False); items it did not judge are absent."""
    prefix = f"{inst_id}."
    out = []
    for row in records.visit_scores_in(db, span["from"], span["to"], "approved", opd_id):
        comp = row["scores"]["compliance"]
        verdicts = {k[len(prefix) :]: True for k in comp["passed"] if k.startswith(prefix)}
        verdicts.update({k[len(prefix) :]: False for k in comp["failed"] if k.startswith(prefix)})
        if verdicts:
            out.append(verdicts)
    return out


def _check_verdicts(rows: list[dict]) -> list[dict]:
    return [(r["scores"] or {}).get("items") or {} for r in rows]


def self_vs_independent(db: Database, opd_id: int, span: Mapping[str, str]) -> list[dict[str, Any]]:
    """The OPD's self-assessments of the period beside the independent figures, with the gap.

    One block per kind the OPD assessed itself on (checklist, probe, desk): its
    score, per dimension and per item on each side. The independent side of a
    checklist is the approved visits' results on that checklist; of a probe or
    a desk review, the independent checks. Each side is read on its own
    (store.checks.for_period's `self_assessed`): no self-assessment reaches an
    independent figure, and none of this changes one.
    """
    blocks = []
    for kind, inst_id, tag, order in SELF_KINDS:
        own = check_store.for_period(
            db, span["from"], span["to"], self_assessed=True, kind=kind, opd_id=opd_id
        )
        inst = _kind_instrument(db, kind, inst_id)
        if not own or inst is None:
            continue
        reviewers: list[dict[str, str]] = []
        if kind == "checklist":
            theirs = _visit_verdicts(db, opd_id, span, inst.id)
        else:
            independent = check_store.for_period(
                db, span["from"], span["to"], self_assessed=False, kind=kind, opd_id=opd_id
            )
            theirs = _check_verdicts(independent)
            if kind == "desk":  # not mystery shopping: a desk review names its reviewer
                names = check_views.reviewer_names(db, [r["uuid"] for r in independent])
                reviewers = [
                    {"name": names[r["uuid"]], "date": r["check_date"]}
                    for r in independent
                    if r["uuid"] in names
                ]
        items = [i for i in inst.items if i.checkable]
        group = {i.id: i.tags[tag] for i in items if tag in i.tags}
        both = selfassess.compare(
            selfassess.side(_check_verdicts(own), items, group),
            selfassess.side(theirs, items, group),
            items,
            order,
        )
        by_id = {i.id: i for i in items}
        # the widest gaps first (either way); items one side could not judge last
        both["items"].sort(key=lambda r: (r["gap"] is None, -abs(r["gap"] or 0)))
        for row in both["items"]:
            row["label"] = label(by_id[row["item"]].label)
            row["key"] = f"{inst.id}.{row['item']}"
        blocks.append(
            {
                "kind": kind,
                "instrument": {"id": inst.id, "title": label(inst.title)},
                "group_tag": tag,
                "reviewers": reviewers,
                **both,
            }
        )
    return blocks


def self_assessment_overview(db: Database, span: Mapping[str, str]) -> list[dict[str, Any]]:
    """The city's OPDs that assessed themselves in the period, by name: each kind's
    self-assessed and independent score and the gap (self_vs_independent's headline)."""
    names = summaries.opd_names(db)
    rows = []
    for opd_id in check_views.self_assessed_opds(db, span["from"], span["to"]):
        for block in self_vs_independent(db, opd_id, span):
            rows.append(
                {
                    "slug": names[opd_id][0],
                    "name": names[opd_id][1],
                    "kind": block["kind"],
                    "instrument": block["instrument"],
                    "self": block["self"],
                    "independent": block["independent"],
                    "gap": block["gap"],
                }
            )
    return sorted(rows, key=lambda r: (r["name"], r["kind"]))
