"""The Ombudsman readiness view at province level: each government's rapor on the hub.

A forecast, not the Ombudsman's opinion. Each forwarded approved visit is
scored again from its answers, against the instrument versions it used (their
definitions kept on the hub) and the service standard it was scored against
(max minutes, published fee), exactly as the city scores it
(scoring.visit_scores); its item results then go through core/rapor.py, the
city's rapor arithmetic, pooled per OPD and per government. The 2025
"Tanpa Maladministrasi" condition reads the forwarded follow-up actions'
states. Only visits reach the hub: the city's probes and desk reviews (and
self-assessments) stay in the city, so a government's figures here can differ
from its own rapor.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import orjson

from survey_app.core import rapor, scoring
from survey_app.core.instruments import Instrument, Item
from survey_app.findings import periods
from survey_app.findings import rapor as rapor_findings
from survey_app.store.hub import figures as hub_figures
from survey_app.store.hub import governments as hub_governments
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
    """A visit's pass/fail lists and SKM answers, scored as its city scored it."""
    standard = standard or {}
    scores = scoring.visit_scores(
        instruments,
        answers,
        max_minutes=standard.get("max_minutes"),
        published_fee=standard.get("fee"),
    )
    comp = scores["compliance"]
    return {"passed": comp["passed"], "failed": comp["failed"]}, scores["skm_values"]


def _pools(
    db: HubDB, date_from: str, date_to: str, province: str | None
) -> tuple[dict, dict, dict[str, Item]]:
    """(pools by government and by (government, OPD), counts, items by key)."""
    definitions = hub_governments.instrument_definitions(db)
    fallback = rapor.fallback_dimensions(_current(definitions))
    items: dict[str, Item] = dict(scoring.standard_items())
    for inst in definitions.values():
        items.update({f"{inst.id}.{item.id}": item for item in inst.items})
    pools: dict[Any, rapor.Pool] = defaultdict(rapor.Pool)
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for v in hub_figures.rapor_visits(db, date_from, date_to, province):
        gov, opd = v["government"], (v["government"], v["opd"])
        refs = [(i["id"], int(i["version"])) for i in orjson.loads(v["instruments"] or "[]")]
        insts = [definitions.get(ref) for ref in refs]
        for key in (gov, opd):
            counts[key]["visits"] += 1
        if not refs or None in insts:  # a version whose definition the hub never held
            for key in (gov, opd):
                counts[key]["unscored"] += 1
            continue
        answers = orjson.loads(v["answers"] or "{}")
        standard = orjson.loads(v["standard"]) if v["standard"] else None
        lists, skm = visit_item_results(insts, answers, standard)
        rapor.visit_results(insts, lists, skm, fallback, pools[gov], pools[opd])
    return pools, counts, items


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


def _figures(pool: rapor.Pool, follow_ups: list[dict], today: str, items) -> dict[str, Any]:
    figs = rapor_findings._shaped(rapor.figures(pool, follow_ups, today), items)
    return {**figs, "gaps": figs["gaps"][:GAPS_SHOWN]}


def _ranked(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Highest overall readiness first, no data last (as the city ranks its OPDs)."""
    lines.sort(key=lambda x: (*rapor.readiness_key(x["readiness"]), x["name"], x["key"]))
    for rank, line in enumerate(lines, 1):
        line["rank"] = rank
    return lines


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
                "readiness": _figures(pools[(gov, opd)], follow_ups[(gov, opd)], day, items),
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
