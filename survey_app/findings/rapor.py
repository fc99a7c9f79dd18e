"""The Ombudsman readiness report (rapor kesiapan penilaian Ombudsman): per OPD and city.

A forecast of where an OPD would stand in each of the Ombudsman's schemes, from
the independent item results of a period: approved visits, and independent
probes and desk reviews (`store.checks`, once that module is present). The
same computation over the OPD's self-assessments (checks with
`self_assessed=True`) is shown beside it, never mixed in. The arithmetic is
core/rapor.py's; this module gathers, labels and ranks. No evaluator (name or
id) reaches these dicts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup
from sqlite_utils import Database

from survey_app.core import formatting, labels, rapor, scoring
from survey_app.core.i18n import N_
from survey_app.core.instruments import Item
from survey_app.findings import charts, render
from survey_app.findings.figures import label
from survey_app.findings.periods import period
from survey_app.store import actions, records, summaries
from survey_app.store import rapor as rapor_reads

try:  # probes and desk reviews (helper "probes", issue #18); absent until merged
    from survey_app.store import checks as check_reads
except ImportError:  # pragma: no cover - depends on the merge
    check_reads = None

VERIFIED = "verified"


def _today(today: dt.date | None) -> str:
    return (today or dt.date.today()).isoformat()


def _fallback(db: Database) -> dict[str, str]:
    return rapor.fallback_dimensions(records.current_instruments(db))


def _checks(
    db: Database, date_from: str, date_to: str, *, self_assessed: bool, opd_id: int | None
) -> list[dict[str, Any]]:
    """Probes and desk reviews of the period, when the checks module exists."""
    if check_reads is None:
        return []
    rows = check_reads.for_period(
        db, date_from, date_to, self_assessed=self_assessed, opd_id=opd_id
    )
    # a check scores against its instrument; one refused on review counts nowhere
    return [c for c in rows if c.get("instrument_id") and c.get("status") != "rejected"]


def _pools(
    db: Database,
    date_from: str,
    date_to: str,
    opd_id: int | None,
    fallback: Mapping[str, str],
) -> tuple[dict[Any, rapor.Pool], dict[Any, rapor.Pool], dict[Any, dict[str, int]], dict]:
    """(independent pools, self-assessed pools, counts, items by key), by OPD id and 'city'."""
    independent: dict[Any, rapor.Pool] = defaultdict(rapor.Pool)
    self_pools: dict[Any, rapor.Pool] = defaultdict(rapor.Pool)
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    items: dict[str, Item] = dict(scoring.standard_items())
    visits = rapor_reads.visit_results(db, date_from, date_to, opd_id)
    versions = {ref for v in visits for ref in v["instruments"]}
    checks = {
        flag: _checks(db, date_from, date_to, self_assessed=flag, opd_id=opd_id)
        for flag in (False, True)
    }
    for rows in checks.values():
        versions |= {(c["instrument_id"], c["instrument_version"]) for c in rows}
    built = dict(zip(sorted(versions), records.instruments(db, sorted(versions)), strict=True))
    for inst in built.values():
        items.update({f"{inst.id}.{item.id}": item for item in inst.items})
    for v in visits:
        insts = [built[ref] for ref in v["instruments"]]
        pools = (independent[v["opd_id"]], independent["city"])
        rapor.visit_results(insts, v["item_results"], v["skm_values"], fallback, *pools)
        for key in (v["opd_id"], "city"):
            counts[key]["visits"] += 1
    for flag, rows in checks.items():
        target = self_pools if flag else independent
        for c in rows:
            inst = built[(c["instrument_id"], c["instrument_version"])]
            rapor.check_results(inst, c["answers"], fallback, target[c["opd_id"]], target["city"])
            for key in (c["opd_id"], "city"):
                counts[key][("self_" if flag else "") + c.get("kind", "check")] += 1
    return independent, self_pools, counts, items


def _follow_ups(db: Database, slug: str | None, date_to: str) -> list[dict[str, Any]]:
    """The follow-ups raised on findings up to the end of the period (one OPD's, or all)."""
    return [f for f in actions.listing(db, slug) if (f["period_to"] or "") <= date_to]


def _due(follow_ups: Iterable[Mapping[str, Any]], today: str) -> list[dict[str, Any]]:
    """The follow-ups not yet verified, by due date, each marked overdue or not."""
    rows = [
        {
            "opd": f.get("opd_name"),
            "finding": f["finding"],
            "action": f["action"],
            "owner": f["owner"],
            "due_date": f["due_date"],
            "status": f["status"],
            "overdue": f["status"] != "done" and f["due_date"] < today,
        }
        for f in follow_ups
        if f["status"] != VERIFIED
    ]
    return sorted(rows, key=lambda r: (r["due_date"], r["finding"]))


def _band(band: scoring.Band | None) -> dict[str, Any] | None:
    if band is None:
        return None
    return {
        "code": band.code,
        "zone": band.zone,
        "min": band.min,
        "label": label(band.label),
        "confirmed": band.confirmed,
    }


def _shaped(figs: dict[str, Any], items: Mapping[str, Item]) -> dict[str, Any]:
    """core.rapor.figures made printable: labelled gaps, plain bands."""
    gaps = []
    for g in figs["gaps"]:
        item = items.get(g["item"])
        gaps.append(
            {
                **g,
                "label": label(item.label) if item else {"id": g["item"], "en": g["item"]},
                "finding": label(item.finding) if item and item.finding else None,
                "recommendation": label(item.recommendation)
                if item and item.recommendation
                else None,
                "scale": bool(item and item.type == "scale4"),
                "unsur": item.tags.get("unsur") if item and item.type == "scale4" else None,
            }
        )
    forecast = [
        {
            "scheme": f["scheme"],
            "title": label(f["title"]),
            "band": _band(f["band"]),
            "condition": {
                "code": f["condition"].code,
                "label": label(f["condition"].label),
                "met": f["condition_met"],
                "confirmed": f["condition"].confirmed,
            }
            if f["condition"]
            else None,
            "confirmed": f["confirmed"],
            "cut_offs": [_band(b) for b in reversed(f["cut_offs"])],
        }
        for f in figs["forecast"]
    ]
    return {**figs, "gaps": gaps, "forecast": forecast}


def _side_by_side(independent: dict[str, Any], self_: dict[str, Any]) -> list[dict[str, Any]]:
    """Per dimension and overall: the self-assessed score, the independent one, the gap."""
    rows = []
    pairs = [
        *zip(independent["dimensions"], self_["dimensions"], strict=True),
        ({"code": "overall", "score": independent["overall"]}, {"score": self_["overall"]}),
    ]
    for ind, own in pairs:
        gap = (
            scoring.round2(own["score"] - ind["score"])
            if own["score"] is not None and ind["score"] is not None
            else None
        )
        rows.append(
            {"code": ind["code"], "self": own["score"], "independent": ind["score"], "gap": gap}
        )
    return rows


def _item_gaps(
    independent: rapor.Pool, own: rapor.Pool, items: Mapping[str, Item]
) -> list[dict[str, Any]]:
    """Items both sides assessed: the self-assessed share met beside the independent one,
    largest gap first."""
    rows = []
    for key, mine in own.items.items():
        theirs = independent.items.get(key)
        if theirs is None or not mine.weight or not theirs.weight:
            continue
        self_share = 100 * mine.credit / mine.weight
        ind_share = 100 * theirs.credit / theirs.weight
        item = items.get(key)
        rows.append(
            {
                "item": key,
                "label": label(item.label) if item else {"id": key, "en": key},
                "dimension": mine.dimension,
                "self": scoring.round2(self_share),
                "independent": scoring.round2(ind_share),
                "gap": scoring.round2(self_share - ind_share),
                "_exact": self_share - ind_share,
            }
        )
    rows.sort(key=lambda r: (-abs(r["_exact"]), r["item"]))
    for r in rows:
        del r["_exact"]
    return rows


def _entry(
    key: Any,
    independent: dict[Any, rapor.Pool],
    self_pools: dict[Any, rapor.Pool],
    follow_ups: list[dict[str, Any]],
    today: str,
    items: Mapping[str, Item],
) -> dict[str, Any]:
    figs = _shaped(rapor.figures(independent[key], follow_ups, today), items)
    own = _shaped(rapor.figures(self_pools[key], follow_ups, today), items)
    has_self = own["results"] > 0
    return {
        "independent": figs,
        "self": own if has_self else None,
        "side_by_side": _side_by_side(figs, own) if has_self else [],
        "item_gaps": _item_gaps(independent[key], self_pools[key], items) if has_self else [],
        "follow_ups_due": _due(follow_ups, today),
    }


def opd_rapor(
    db: Database, slug: str, date_from: str, date_to: str, today: dt.date | None = None
) -> dict[str, Any]:
    """One OPD's rapor for a period: dimensions, overall, forecast per scheme, gaps, follow-ups."""
    p = period(date_from, date_to)
    opd = records.opd_by_slug(db, slug)
    day = _today(today)
    independent, self_pools, counts, items = _pools(
        db, date_from, date_to, opd["id"], _fallback(db)
    )
    entry = _entry(opd["id"], independent, self_pools, _follow_ups(db, slug, date_to), day, items)
    return {
        "kind": "opd",
        "opd": {"slug": opd["slug"], "name": opd["name"]},
        "period": p,
        "today": day,
        "counts": dict(counts[opd["id"]]),
        **entry,
        "schemes_unconfirmed": _unconfirmed(),
    }


def city_rapor(
    db: Database, date_from: str, date_to: str, today: dt.date | None = None
) -> dict[str, Any]:
    """The city's rapor: the pooled figures, and the OPDs ranked by readiness (overall score)."""
    p = period(date_from, date_to)
    day = _today(today)
    independent, self_pools, counts, items = _pools(db, date_from, date_to, None, _fallback(db))
    everything = _follow_ups(db, None, date_to)
    by_opd = defaultdict(list)
    for f in everything:
        by_opd[f["opd_id"]].append(f)
    names = summaries.opd_names(db)
    opds = []
    for opd_id in [k for k in independent if k != "city"] + [
        k for k in self_pools if k != "city" and k not in independent
    ]:
        entry = _entry(opd_id, independent, self_pools, by_opd[opd_id], day, items)
        slug, name = names[opd_id]
        opds.append(
            {
                "slug": slug,
                "name": name,
                "counts": dict(counts[opd_id]),
                **entry,
                "top_gap": entry["independent"]["gaps"][0]
                if entry["independent"]["gaps"]
                else None,
            }
        )
    opds.sort(key=lambda o: (*rapor.readiness_key(o["independent"]), o["name"]))
    for rank, o in enumerate(opds, 1):
        o["rank"] = rank
    city = _entry("city", independent, self_pools, everything, day, items)
    return {
        "kind": "city",
        "period": p,
        "today": day,
        "counts": dict(counts["city"]),
        **city,
        "opds": opds,
        "schemes_unconfirmed": _unconfirmed(),
    }


def _unconfirmed() -> list[dict[str, Any]]:
    """Each Ombudsman scheme's cut-offs and conditions that public sources do not settle."""
    out = []
    for scheme_id in rapor.RAPOR_SCHEMES:
        scheme = scoring.load_schemes()[scheme_id]
        bands = [_band(b) for b in scheme.bands if not b.confirmed]
        cond = scheme.condition
        if bands or (cond and not cond.confirmed):
            out.append(
                {
                    "scheme": scheme_id,
                    "title": label(scheme.title),
                    "bands": bands,
                    "condition": label(cond.label) if cond and not cond.confirmed else None,
                }
            )
    return out


# --- the PDFs -----------------------------------------------------------------------

# The dimension names the chart prints (the templates carry the same in their macro).
DIMENSION_NAMES = {
    "input": N_("Input"),
    "proses": N_("Process"),
    "output": N_("Output"),
    "pengaduan": N_("Complaints"),
}
# The zone a score would take in the 2022-2024 scheme colours its bar.
CHART_SCHEME = "ombudsman-2022"


def _bars(rows: list[tuple[str, float | None]], locale: str) -> Markup:
    scheme = scoring.load_schemes()[CHART_SCHEME]
    bars = [
        charts.Bar(name, value, band.zone if (band := scheme.band(value)) else None)
        for name, value in rows
    ]
    return Markup(charts.bar_chart(bars, number=lambda v: formatting.number(v, 2, locale)))


def rapor_charts(doc: dict[str, Any], locale: str) -> dict[str, Markup]:
    """The four dimensions (OPD), or the OPDs by overall score (city)."""
    gettext = labels.translations(locale).gettext
    if doc["kind"] == "city":
        return {
            "ranking": _bars(
                [(o["name"], o["independent"]["overall"]) for o in doc["opds"]], locale
            )
        }
    return {
        "dimensions": _bars(
            [
                (gettext(DIMENSION_NAMES[d["code"]]), d["score"])
                for d in doc["independent"]["dimensions"]
            ],
            locale,
        )
    }


def _pdf(template: str, doc: dict, locale: str, photo_dir, official: render.Official):
    html = render.document_html(
        template, doc, locale, photo_dir, official.issuer, rapor_charts(doc, locale), official
    )
    rendered = render.html_to_pdf(html, photo_dir, files=(official.emblem,))
    rendered.number = official.number
    return rendered


def rapor_pdf(
    db: Database,
    slug: str,
    date_from: str,
    date_to: str,
    photo_dir,
    locale: str = "id",
    official: render.Official | None = None,
    today: dt.date | None = None,
) -> render.Rendered:
    """The OPD's rapor as PDF (unnumbered unless `official` carries a number)."""
    doc = opd_rapor(db, slug, date_from, date_to, today)
    return _pdf("findings/rapor.html", doc, locale, photo_dir, official or render.Official())


def city_rapor_pdf(
    db: Database,
    date_from: str,
    date_to: str,
    photo_dir,
    locale: str = "id",
    official: render.Official | None = None,
    today: dt.date | None = None,
) -> render.Rendered:
    """The city's rapor as PDF, the OPDs ranked by readiness."""
    doc = city_rapor(db, date_from, date_to, today)
    return _pdf("findings/rapor_city.html", doc, locale, photo_dir, official or render.Official())


def official_rapor_pdf(
    db: Database,
    slug: str | None,
    date_from: str,
    date_to: str,
    photo_dir,
    official: render.Official,
    locale: str = "id",
) -> render.Rendered:
    """An OPD's rapor (or the city's, slug None) under the next number of the register."""
    opd_id = records.opd_by_slug(db, slug)["id"] if slug else None  # unknown: no number
    period(date_from, date_to)  # nor for a bad period
    kind = "rapor" if slug else "rapor-kota"
    numbered, row = render.issue(db, official, kind, (date_from, date_to), opd_id)
    if slug:
        rendered = rapor_pdf(db, slug, date_from, date_to, photo_dir, locale, numbered)
    else:
        rendered = city_rapor_pdf(db, date_from, date_to, photo_dir, locale, numbered)
    render.seal(db, row, rendered)
    return rendered


def filename(slug: str | None, date_from: str, date_to: str) -> str:
    """rapor-ombudsman-dishub-2026-01-01-2026-06-30.pdf (or -kota- for the city)."""
    return render.opd_filename(slug or "kota", date_from, date_to).replace(
        "temuan-", "rapor-ombudsman-", 1
    )
