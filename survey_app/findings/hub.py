"""The hub's figures: governments ranked, the same kind of OPD across governments, trends.

The store adds each group's visits up (store/hub/figures.py); this module
turns the sums into the figures a city shows (means rounded once, IKM from
pooled SKM answers, zones and mutu banded on the printed value), for the
hub's screens, its `scores` command and the province PDF.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import hashlib
import io
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from survey_app.core import formatting, scoring
from survey_app.findings import charts, figures, hub_rapor, periods, render
from survey_app.findings.figures import SKM, scheme_table
from survey_app.store import summaries
from survey_app.store.hub import documents as hub_documents
from survey_app.store.hub import figures as hub_figures
from survey_app.store.hub import governments as hub_governments
from survey_app.store.hub.backend import HubDB
from survey_app.store.hub.schema import UNSUR


def shaped(row: dict[str, Any], unsur: bool = True) -> dict[str, Any]:
    """One group's sums as figures: visits, compliance and zone, IKM and mutu, time, fee.

    Without `unsur`, the NRR per unsur is left out (the OPD lines of a national
    period are tens of thousands).
    """
    scheme = row.get("scheme") or scoring.COMPLIANCE_DEFAULT_SCHEME
    compliance = row["c_sum"] / row["c_n"] if row.get("c_n") else None
    totals = {u.upper(): (int(row[f"{u}_sum"] or 0), int(row[f"{u}_n"] or 0)) for u in UNSUR}
    ikm = _ikm_converted(totals)
    nrr = (scoring.skm_totals(totals) or {}).get("nrr", {}) if unsur else {}
    return {
        "visits": int(row["visits"]),
        "scheme": scheme,
        "compliance": round2(compliance),
        "zone": band_of(scheme, compliance),
        "ikm_converted": round2(ikm),
        "mutu": band_of(SKM, ikm),
        "unsur": {u: round2(v) for u, v in nrr.items()},
        "waiting_minutes": round2(row["w_sum"] / row["w_n"]) if row.get("w_n") else None,
        "service_minutes": round2(row["s_sum"] / row["s_n"]) if row.get("s_n") else None,
        "over_max_time": int(row["over_max"] or 0),
        "fee_over_published": int(row["fee_over"] or 0),
    }


def round2(value: float | None) -> float | None:
    """scoring.round2 for floats, ten times faster where the last digit is not in doubt.

    Half up on the float's shortest repr, as scoring.round2: the same result
    whenever value x 100 is more than 1e-6 away from a half; there, scoring's.
    """
    if value is None:
        return None
    scaled = value * 100
    if abs(scaled - math.floor(scaled) - 0.5) < 1e-6:
        return scoring.round2(value)
    return math.floor(scaled + 0.5) / 100


@functools.cache
def _band(scheme_id: str, code: str | None) -> dict[str, Any] | None:
    return figures.band(scheme_id, code)


def band_of(scheme_id: str, value: float | None) -> dict[str, Any] | None:
    """figures.band_of on the value rounded here (the printed value), each band built once."""
    if value is None:
        return None
    mins, codes = _edges(scheme_id)
    index = bisect.bisect_right(mins, round2(value)) - 1
    return _band(scheme_id, codes[index]) if index >= 0 else None


@functools.cache
def _edges(scheme_id: str) -> tuple[list[float], list[str]]:
    bands = scoring.load_schemes()[scheme_id].bands
    return [b.min for b in bands], [b.code for b in bands]


def _ikm_converted(totals: dict[str, tuple[int, int]]) -> float | None:
    """Converted IKM with equal weights from pooled answers; None unless every unsur has some.

    In floats (a national period has ~30,000 OPD lines: Fractions took seconds);
    exact, as scoring.skm_totals, only when the float lies within 1e-7 of a
    rounding edge, where the last bit could move the printed value or band.
    """
    if len(totals) != len(UNSUR) or not all(n for _, n in totals.values()):
        return None
    value = 25 * sum(s / n for s, n in totals.values()) / len(UNSUR)
    if abs((value * 100) % 1 - 0.5) < 1e-7:
        return (scoring.skm_totals(totals) or {}).get("ikm_converted")
    return value


def _ranked(lines: list[dict[str, Any]], tie: str) -> list[dict[str, Any]]:
    """Highest compliance first, no score last (as the city ranks its OPDs)."""
    lines.sort(key=lambda x: (*scoring.best_first(x["figures"]["compliance"]), x[tie]))
    for rank, line in enumerate(lines, 1):
        line["rank"] = rank
    return lines


def government_ranking(
    db: HubDB,
    date_from: str | None,
    date_to: str | None,
    province: str | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every government with approved visits in the period, ranked by compliance."""
    names = {g["slug"]: g for g in hub_governments.governments(db)}
    if rows is None:
        rows = hub_figures.by_government(db, date_from, date_to, province)
    lines = [
        {
            "government": r["government"],
            "name": names.get(r["government"], {}).get("name", r["government"]),
            "province": names.get(r["government"], {}).get("province"),
            "figures": shaped(r),
        }
        for r in rows
    ]
    return _ranked(lines, "government")


def opd_ranking(
    db: HubDB,
    date_from: str | None,
    date_to: str | None,
    province: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Every OPD (of one kind, across governments: every Dukcapil) ranked by compliance."""
    opds = hub_figures.opd_names(db, province)
    govs = {g["slug"]: g["name"] for g in hub_governments.governments(db)}
    lines = []
    for r in hub_figures.by_opd(db, date_from, date_to, province, kind):
        opd = opds.get((r["government"], r["opd"]), {})
        lines.append(
            {
                "government": r["government"],
                "government_name": govs.get(r["government"], r["government"]),
                "opd": r["opd"],
                "name": opd.get("name", r["opd"]),
                "kind": opd.get("kind"),
                "key": f"{r['government']}/{r['opd']}",
                "figures": shaped(r, unsur=False),
            }
        )
    return _ranked(lines, "key")


def distribution(lines: list[dict[str, Any]], scheme_id: str, key: str) -> list[dict[str, Any]]:
    """How many lines (governments or OPDs) fall in each band, best band first."""
    counts = Counter((x["figures"][key] or {}).get("code") for x in lines)
    bands = scheme_table(scheme_id)["bands"]
    rows = [{"band": b, "count": counts.get(b["code"], 0)} for b in bands]
    if counts.get(None):
        rows.append({"band": None, "count": counts[None]})
    return rows


def trend(
    db: HubDB,
    date_from: str | None,
    date_to: str | None,
    province: str | None = None,
    government: str | None = None,
) -> list[dict[str, Any]]:
    """Month by month: visits, compliance and zone, IKM and mutu."""
    rows = hub_figures.by_month(db, date_from, date_to, province, government)
    return [{"month": r["month"], **shaped(r)} for r in rows]


def overview(
    db: HubDB, date_from: str, date_to: str, province: str | None = None, kind: str | None = None
) -> dict[str, Any]:
    """What the hub's dashboard and the province PDF show for a period."""
    rows = hub_figures.by_government(db, date_from, date_to, province)
    govs = government_ranking(db, date_from, date_to, province, rows)
    # A province's OPDs (~700) are spread over the bands; nationally (~30,000 OPDs) the
    # governments are, as the Ombudsman reports bodies: one scan fewer, seconds less.
    opds = opd_ranking(db, date_from, date_to, province) if province else []
    spread = opds if province else govs
    scheme = scoring.COMPLIANCE_DEFAULT_SCHEME
    return {
        "period": periods.period(date_from, date_to),
        "province": province,
        "figures": {**shaped(_sum_rows(rows)), "governments": len(govs), "opds": len(opds)},
        "governments": govs,
        "spread_over": "opds" if province else "governments",
        "zones": distribution(spread, scheme, "zone"),
        "mutu": distribution(spread, SKM, "mutu"),
        # apart from the ranking: grouped by government and month together, PostgreSQL
        # sorted 30,000 estimated groups on disk (1.2 s at 300,000 visits against 0.8 s)
        "months": trend(db, date_from, date_to, province),
        "kinds": hub_figures.opd_kinds(db),
        "kind": kind,
        "kind_ranking": opd_ranking(db, date_from, date_to, province, kind) if kind else [],
        "versions": hub_figures.instrument_versions(db, province),
        "follow_ups": follow_ups(db, province),
    }


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The sums of several groups as one group's (all governments together)."""
    total: dict[str, Any] = {"scheme": None}
    for row in rows:
        for key, value in row.items():
            if key == "scheme":
                total["scheme"] = total["scheme"] or value
            elif key not in ("government", "month") and value is not None:
                total[key] = total.get(key, 0) + value
    total.setdefault("visits", 0)
    return total


def follow_ups(db: HubDB, province: str | None = None) -> list[dict[str, Any]]:
    """Per government, its follow-up actions per state."""
    table: dict[str, Counter] = {}
    for r in hub_figures.follow_up_states(db, province):
        table.setdefault(r["government"], Counter())[r["state"]] = int(r["actions"])
    return [{"government": g, "states": dict(c)} for g, c in sorted(table.items())]


def scores(db: HubDB, by: str, date_from: str | None, date_to: str | None, province=None) -> list:
    """`survey-app scores --by government|opd` on a hub: one object per line, as JSON."""
    lines = (
        government_ranking(db, date_from, date_to, province)
        if by == "government"
        else opd_ranking(db, date_from, date_to, province)
    )
    out = []
    for line in lines:
        f = line["figures"]
        out.append(
            {
                "rank": line["rank"],
                "government": line["government"],
                **({"opd": line["opd"], "kind": line["kind"]} if by == "opd" else {}),
                "name": line["name"],
                "visits": f["visits"],
                "compliance": f["compliance"],
                "zone": f["zone"]["code"] if f["zone"] else None,
                "ikm": f["ikm_converted"],
                "mutu": f["mutu"]["code"] if f["mutu"] else None,
                "unsur": f["unsur"],
                "waiting_minutes": f["waiting_minutes"],
                "service_minutes": f["service_minutes"],
                "over_max_time": f["over_max_time"],
                "fee_over_published": f["fee_over_published"],
            }
        )
    return out


def province_pdf(
    db: HubDB,
    date_from: str,
    date_to: str,
    photo_dir: str | Path,
    province: str | None = None,
    locale: str = "id",
    official: render.Official | None = None,
) -> render.Rendered:
    """The province (or national) report: governments ranked, distributions, trend."""
    doc = overview(db, date_from, date_to, province)
    doc["readiness"] = (
        None
        if hub_rapor.per_province_only(db, province)
        else hub_rapor.readiness(db, date_from, date_to, province)
    )
    number = lambda v: formatting.number(v, 2, locale)  # noqa: E731
    bars = [
        charts.Bar(g["name"][:30], f["compliance"], (f["zone"] or {}).get("zone"))
        for g in doc["governments"]
        for f in [g["figures"]]
    ]
    pictures = {"ranking": Markup(charts.bar_chart(bars, number=number))}
    official = official or render.Official()
    html = render.document_html(
        "findings/province.html", doc, locale, photo_dir, "", pictures, official
    )
    return render.html_to_pdf(html, photo_dir, files=(official.emblem,))


def official_province_pdf(
    db: HubDB,
    date_from: str,
    date_to: str,
    photo_dir: str | Path,
    official: render.Official,
    province: str | None = None,
    locale: str = "id",
) -> render.Rendered:
    """The province (or national) report under the hub's next document number, its checksum
    registered (`survey-app hub verify-document`)."""
    periods.period(date_from, date_to)  # a bad period takes no number
    now = dt.datetime.now(render.WIB)
    row = hub_documents.issue(
        db,
        "province" if province else "national",
        (date_from, date_to),
        province,
        official.created_by,
        lambda seq, when: official.number_for(seq, when, "province" if province else "national"),
        now,
    )
    numbered = replace(official, number=row["number"], issued_at=now)
    rendered = province_pdf(db, date_from, date_to, photo_dir, province, locale, numbered)
    hub_documents.seal(db, row["id"], hashlib.sha256(rendered.pdf).hexdigest())
    return rendered


def verify(db: HubDB, pdf: bytes) -> dict[str, Any] | None:
    """The hub register's row for these exact bytes, or None when they were never issued."""
    return hub_documents.by_checksum(db, hashlib.sha256(pdf).hexdigest())


CSV_COLUMNS = (
    "government", "uuid", "opd", "opd_kind", "service", "visit_date", "reviewed_at",
    "compliance", "waiting_minutes", "service_minutes", "over_max", "fee_over",
)  # fmt: skip


def visits_csv(rows: list[dict[str, Any]]) -> str:
    """The hub's visits as CSV, one row each (cells neutralised as the city's exports)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(summaries.csv_row({k: row.get(k) for k in CSV_COLUMNS}))
    return out.getvalue()
