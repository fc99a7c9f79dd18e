"""The Ombudsman readiness view at province level: each government's rapor on the hub.

A forecast, not the Ombudsman's opinion. Each forwarded approved visit is
scored again from its answers, against the instrument versions it used (their
definitions kept on the hub) and the service standard it was scored against
(max minutes, published fee), exactly as the city scores it
(scoring.visit_scores); its item results then go through core/rapor.py, the
city's rapor arithmetic, pooled per OPD and per government. A government's
whole month is scored once and its tallies kept (store/hub/rapor_tallies.py)
until a visit in it changes; the days of a period's partial months are
scored on the spot. The 2025
"Tanpa Maladministrasi" condition reads the forwarded follow-up actions'
states. Only visits reach the hub: the city's probes and desk reviews (and
self-assessments) stay in the city, so a government's figures here can differ
from its own rapor.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import orjson

from survey_app.core import rapor, scoring
from survey_app.core.instruments import Instrument, Item
from survey_app.findings import periods
from survey_app.findings import rapor as rapor_findings
from survey_app.store import tallies
from survey_app.store.hub import figures as hub_figures
from survey_app.store.hub import governments as hub_governments
from survey_app.store.hub import rapor_tallies
from survey_app.store.hub.backend import HubDB

GAPS_SHOWN = 3  # per government: the items that cost it most


def _current(definitions: Mapping[tuple[str, int], Instrument]) -> list[Instrument]:
    """The newest version the hub holds of each instrument."""
    newest: dict[str, Instrument] = {}
    for (inst_id, _version), inst in sorted(definitions.items(), key=lambda kv: kv[0]):
        newest[inst_id] = inst
    return list(newest.values())


def visit_item_results(
    instruments: list[Instrument],
    answers: Mapping[str, Any],
    standard: Mapping[str, Any] | None,
) -> tuple[dict[str, list[str]], dict[str, list[int]]]:
    """A visit's pass/fail lists and SKM answers, scored as its city scored it.

    The parts of scoring.visit_scores these need, by the same functions (its
    SKM index and zone are not: a quarter of the time of a province's view).
    """
    standard = standard or {}
    given = {i.id: i.relevant_answers(answers.get(i.id, {})) for i in instruments}
    time = scoring.timing(instruments, given, standard.get("max_minutes"))
    paid = scoring.fee(instruments, given, standard.get("fee"))
    comp = scoring.compliance(instruments, given, scoring.kept_standard(time, paid))
    return {"passed": comp["passed"], "failed": comp["failed"]}, scoring.skm_values(
        instruments, given
    )


def _pools(
    db: HubDB, date_from: str | None, date_to: str | None, province: str | None
) -> tuple[dict, dict, dict[str, Item]]:
    """(pools by government and by (government, OPD), counts, items by key).

    Whole months from their kept tallies (made and kept first where missing),
    the days of partial months scored on the spot.
    """
    definitions = hub_governments.instrument_definitions(db)
    fallback = rapor.fallback_dimensions(_current(definitions))
    items: dict[str, Item] = dict(scoring.standard_items())
    for inst in definitions.values():
        items.update({f"{inst.id}.{item.id}": item for item in inst.items})
    pools: dict[Any, rapor.Pool] = defaultdict(rapor.Pool)
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(gov: str, opd: str, visits: int, unscored: int, pool: Any) -> None:
        """One OPD's tally: a Pool, or a kept one as dumped (merged without building it)."""
        for key in (gov, (gov, opd)):
            counts[key]["visits"] += visits
            if unscored:
                counts[key]["unscored"] += unscored
            if isinstance(pool, rapor.Pool):
                pools[key].merge(pool)
            else:
                pools[key].merge_dumped(pool)

    if date_from and date_to:
        months, edges = tallies.split(date_from, date_to)
    else:
        months, edges = [], [(date_from, date_to)]
    for (gov, _month), month in _month_tallies(db, months, province, definitions, fallback).items():
        for opd, t in month.items():
            add(gov, opd, t["visits"], t["unscored"], t["pool"])
    for first, last in edges:
        for (gov, opd), t in _scored(
            db, first, last, province, None, definitions, fallback
        ).items():
            add(gov, opd, t["visits"], t["unscored"], t["pool"])
    return pools, counts, items


def _scored(
    db: HubDB,
    date_from: str | None,
    date_to: str | None,
    province: str | None,
    governments: list[str] | None,
    definitions: Mapping[tuple[str, int], Instrument],
    fallback: Mapping[str, str],
) -> dict[tuple[str, str], dict[str, Any]]:
    """(government, OPD) -> visits, unscored and the item pool of its approved visits in the
    dates, each scored again from its answers."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    rows = hub_figures.rapor_visits(db, date_from, date_to, province, governments)
    for v in rows:
        t = out.get((v["government"], v["opd"]))
        if t is None:
            t = out[(v["government"], v["opd"])] = {
                "visits": 0,
                "unscored": 0,
                "pool": rapor.Pool(),
            }
        t["visits"] += 1
        refs = [(i["id"], int(i["version"])) for i in orjson.loads(v["instruments"] or "[]")]
        insts = [definitions.get(ref) for ref in refs]
        if not refs or None in insts:  # a version whose definition the hub never held
            t["unscored"] += 1
            continue
        answers = orjson.loads(v["answers"] or "{}")
        standard = orjson.loads(v["standard"]) if v["standard"] else None
        lists, skm = visit_item_results(insts, answers, standard)
        rapor.visit_results(insts, lists, skm, fallback, t["pool"])
    return out


def _month_tallies(
    db: HubDB,
    months: list[str],
    province: str | None,
    definitions: Mapping[tuple[str, int], Instrument],
    fallback: Mapping[str, str],
) -> dict[tuple[str, str], dict[str, Any]]:
    """(government, month) -> {OPD: tally} for every government's visits in these months:
    kept ones read, missing ones made from the visits and kept (rapor_tallies.keep)."""
    have = rapor_tallies.kept(db, months, province)
    missing = sorted(rapor_tallies.months_with_visits(db, months, province) - have.keys())
    seen = rapor_tallies.changes(db, {gov for gov, _ in missing})  # before the visits are read
    by_month: dict[str, list[str]] = defaultdict(list)
    for gov, month in missing:
        by_month[month].append(gov)
    for month, govs in sorted(by_month.items()):
        year, number = int(month[:4]), int(month[5:7])
        last = f"{month}-{calendar.monthrange(year, number)[1]:02d}"
        scored = _scored(db, f"{month}-01", last, None, govs, definitions, fallback)
        for gov in govs:
            made = {
                opd: {"visits": t["visits"], "unscored": t["unscored"], "pool": t["pool"].dump()}
                for (g, opd), t in scored.items()
                if g == gov
            }
            rapor_tallies.keep(db, gov, month, made, seen.get(gov, -1))
            have[(gov, month)] = {opd: t for (g, opd), t in scored.items() if g == gov}
    return have


def _follow_ups(db: HubDB, province: str | None, date_to: str) -> dict[Any, list[dict]]:
    """Forwarded follow-up actions raised on findings up to the end of the period, as
    {status, due_date} (what the 2025 condition reads), by government and (government, OPD)."""
    out: dict[Any, list[dict]] = defaultdict(list)
    for f in hub_figures.rapor_follow_ups(db, province):
        detail = orjson.loads(f["detail"]) if f["detail"] else {}
        if (detail.get("period_to") or "") > date_to:
            continue
        row = {"status": f["state"], "due_date": f["due_date"] or ""}
        out[f["government"]].append(row)
        out[(f["government"], f["opd"])].append(row)
    return out


def _figures(
    pool: rapor.Pool, follow_ups: list[dict], today: str, items, gaps: bool = True
) -> dict[str, Any]:
    figs = rapor_findings._shaped(rapor.figures(pool, follow_ups, today, gaps=gaps), items)
    return {**figs, "gaps": figs["gaps"][:GAPS_SHOWN]}


def _ranked(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Highest overall readiness first, no data last (as the city ranks its OPDs)."""
    lines.sort(key=lambda x: (*rapor.readiness_key(x["readiness"]), x["name"], x["key"]))
    for rank, line in enumerate(lines, 1):
        line["rank"] = rank
    return lines


def per_province_only(db: HubDB, province: str | None) -> bool:
    """True when no province is chosen and the hub holds several: the readiness view is
    made per province (a national one would score every visit again, for minutes)."""
    return province is None and len(hub_governments.provinces(db)) > 1


def choose_province(date_from: str, date_to: str) -> dict[str, Any]:
    """What the readiness page shows before a province is chosen."""
    return {
        "period": periods.period(date_from, date_to),
        "province": None,
        "choose_province": True,
        "governments": [],
        "schemes": [],
        "schemes_unconfirmed": [],
    }


def readiness(
    db: HubDB,
    date_from: str,
    date_to: str,
    province: str | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Per government (and per OPD within it): the Ombudsman dimension scores, the overall
    score and the forecast in each scheme; the governments ranked by readiness."""
    day = (today or dt.date.today()).isoformat()
    pools, counts, items = _pools(db, date_from, date_to, province)
    follow_ups = _follow_ups(db, province, date_to)
    names = {g["slug"]: g for g in hub_governments.governments(db, province)}
    opd_names = hub_figures.opd_names(db, province)
    govs = []
    for gov in sorted(k for k in counts if isinstance(k, str)):
        opds = [
            {
                "key": f"{gov}/{opd}",
                "opd": opd,
                "name": opd_names.get((gov, opd), {}).get("name", opd),
                "kind": opd_names.get((gov, opd), {}).get("kind"),
                "counts": dict(counts[(gov, opd)]),
                # an OPD line shows no gap list
                "readiness": _figures(
                    pools[(gov, opd)], follow_ups[(gov, opd)], day, items, gaps=False
                ),
            }
            for (g, opd) in sorted(k for k in counts if isinstance(k, tuple) and k[0] == gov)
        ]
        govs.append(
            {
                "key": gov,
                "government": gov,
                "name": names.get(gov, {}).get("name", gov),
                "province": names.get(gov, {}).get("province"),
                "counts": dict(counts[gov]),
                "readiness": _figures(pools[gov], follow_ups[gov], day, items),
                "opds": _ranked(opds),
            }
        )
    return {
        "period": periods.period(date_from, date_to),
        "province": province,
        "today": day,
        "governments": _ranked(govs),
        "schemes": [
            {"scheme": f["scheme"], "title": f["title"], "cut_offs": f["cut_offs"]}
            for f in rapor_findings._shaped(rapor.figures(rapor.Pool()), items)["forecast"]
        ],
        "schemes_unconfirmed": rapor_findings._unconfirmed(),
    }
