"""The supervisor's dashboard: the city over a period, each OPD, drill down to a visit.

Every figure comes from summaries.py and scoring.py over approved visits only;
this module picks the period, pairs it with the one before, and draws the
same SVG charts the PDF findings use.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlite_utils import Database

from survey_app.core import formatting, labels, scoring
from survey_app.core.errors import DomainError
from survey_app.core.instruments import DIMENSIONS, Item
from survey_app.core.rules import quarter_bounds
from survey_app.findings import charts
from survey_app.findings import figures as findings_data
from survey_app.store import actions, records, summaries
from survey_app.web.database import get_db
from survey_app.web.periods import date_arg
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
TOP_FAILED = 10
LABEL_CHARS = 30  # what fits the 230 px label column of charts.bar_chart at 12 px
PRESETS = 8
# Display orders the OPD table accepts (the rank itself is always by compliance).
SORTS = {
    "rank": lambda s: s["rank"],
    "ikm": lambda s: (-(s["ikm"] if s["ikm"] is not None else -1), s["rank"]),
    "visits": lambda s: (-s["visits"], s["rank"]),
    "waiting": lambda s: (-(s["waiting_minutes"] or 0), s["rank"]),
    "name": lambda s: s["name"],
}
SORT_LABELS = {
    "rank": _l("Rank (compliance)"),
    "ikm": _l("IKM"),
    "visits": _l("Approved visits"),
    "waiting": _l("Waiting time, longest"),
    "name": _l("Name"),
}


# --- the period -----------------------------------------------------------------------


def quarter_label(start: dt.date) -> str:
    """'Triwulan 3 2026' / 'Q3 2026'."""
    n = (start.month - 1) // 3 + 1
    return _("Q%(n)s %(year)s", n=n, year=start.year)


def _quarter(value: str) -> tuple[dt.date, dt.date]:
    """'2026-Q3' -> (2026-07-01, 2026-09-30); DomainError when malformed."""
    try:
        year, n = value.split("-Q")
        start = dt.date(int(year), 3 * (int(n) - 1) + 1, 1)
    except ValueError:
        raise DomainError("bad_date", value[:40]) from None
    return start, quarter_bounds(start)[1] - dt.timedelta(days=1)


def quarter_key(start: dt.date) -> str:
    """2026-07-01 -> '2026-Q3'."""
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def default_period(db: Database, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last full quarter that has approved visits, else the current quarter."""
    current = quarter_bounds(today)[0]
    row = db.execute(
        "select max(visit_date) from visits where status = 'approved' and visit_date < ?",
        [current.isoformat()],
    ).fetchone()
    start = quarter_bounds(dt.date.fromisoformat(row[0][:10]))[0] if row[0] else current
    return start, quarter_bounds(start)[1] - dt.timedelta(days=1)


def chosen_period(db: Database, args, today: dt.date) -> dict[str, Any]:
    """The period from ?from=&to= or ?q=YYYY-Qn (else the default), with the one before."""
    date_from, date_to = date_arg(args.get("from")), date_arg(args.get("to"))
    if date_from and date_to:
        span = findings_data.period(date_from, date_to)
    else:
        start, end = _quarter(args["q"]) if args.get("q") else default_period(db, today)
        span = findings_data.period(start.isoformat(), end.isoformat())
    start = dt.date.fromisoformat(span["from"])
    is_quarter = (
        quarter_bounds(start)[0] == start
        and span["to"] == (quarter_bounds(start)[1] - dt.timedelta(days=1)).isoformat()
    )
    span["quarter"] = quarter_key(start) if is_quarter else None
    span["label"] = quarter_label(start) if is_quarter else None
    return span


def presets(db: Database, today: dt.date) -> list[dict[str, str]]:
    """Quarter buttons: from the first approved visit to the current quarter, newest last."""
    row = db.execute("select min(visit_date) from visits where status = 'approved'").fetchone()
    current = quarter_bounds(today)[0]
    start = quarter_bounds(dt.date.fromisoformat(row[0][:10]))[0] if row[0] else current
    found = []
    while start <= current:
        found.append({"q": quarter_key(start), "label": quarter_label(start)})
        start = quarter_bounds(start)[1]
    return found[-PRESETS:]


# --- the city --------------------------------------------------------------------------


@bp.route("/")
@login_required(*SUPERVISORS)
def index():
    """Per OPD: visits, compliance and zone, IKM and mutu, priorities, time, fees; ranked."""
    db, today = get_db(), dt.date.today()
    span = chosen_period(db, request.args, today)
    per_opd, city = summaries.period_summaries(db, span["from"], span["to"])
    per_opd_before, before = summaries.period_summaries(
        db, span["previous_from"], span["previous_to"]
    )
    rows = ranked(per_opd, per_opd_before)
    sort = request.args.get("sort", "rank")
    sort = sort if sort in SORTS else "rank"
    return render_template(
        "dashboard/index.html",
        span=span,
        presets=presets(db, today),
        rows=sorted(rows, key=SORTS[sort]),
        sort=sort,
        sorts=SORT_LABELS,
        city=decorate(city),
        change=changes(city, before),
        failed=failed_items(db, span["from"], span["to"]),
        pending=pending_counts(db, span["from"], span["to"]),
        overdue=overdue_by_slug(db, today),
        charts=city_charts(rows),
        dimension_labels=labels.DIMENSIONS,
    )


def overdue_by_slug(db: Database, today: dt.date) -> dict[str, int]:
    """Follow-up actions past their due date and not verified, per OPD slug (server's date)."""
    late = actions.overdue(db, today)
    return {r[0]: late[r[1]] for r in db.execute("select slug, id from opds") if r[1] in late}


def ranked(current: list[dict], previous: list[dict]) -> list[dict[str, Any]]:
    """OPD summaries ranked by compliance, with bands and the change since the period before."""
    before = {s["opd"]: s for s in previous}
    rows = []
    for rank, summary in enumerate(current, 1):
        row = decorate(summary)
        prior = before.get(summary["opd"])
        row.update(
            rank=rank,
            previous=prior,
            compliance_delta=delta(summary["compliance"], prior and prior["compliance"]),
            ikm_delta=delta(summary["ikm"], prior and prior["ikm"]),
        )
        rows.append(row)
    return rows


def decorate(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary with its zone, mutu and priority bands as display dicts."""
    scheme = compliance_scheme(summary["zone"])
    return {
        **summary,
        "zone_band": findings_data.band(scheme, summary["zone"]),
        "mutu_band": findings_data.band(scoring.SKM_SCHEME, summary["mutu"]),
        "priorities": [
            {
                "code": code,
                "score": summary["dimensions"].get(code),
                "band": findings_data.band_of(scheme, summary["dimensions"].get(code)),
            }
            for code in DIMENSIONS
        ],
    }


def compliance_scheme(zone: str | None) -> str:
    """The compliance scheme a zone code belongs to (the default one when unknown)."""
    schemes = scoring.load_schemes()
    for scheme_id in (scoring.COMPLIANCE_DEFAULT_SCHEME, *schemes):
        scheme = schemes[scheme_id]
        if scheme.measure == "compliance" and any(b.code == zone for b in scheme.bands):
            return scheme_id
    return scoring.COMPLIANCE_DEFAULT_SCHEME


def delta(current: float | int | None, previous: float | int | None) -> float | None:
    """The change between two printed (two-decimal) figures, exact."""
    if current is None or previous is None:
        return None
    return float(Decimal(repr(current)) - Decimal(repr(previous)))


def changes(city: dict[str, Any], before: dict[str, Any]) -> list[dict[str, Any]]:
    """The city's headline figures now and in the period before."""
    pairs = [
        (_("Approved visits"), "visits", 0),
        (_("Compliance"), "compliance", 2),
        (_("IKM (converted)"), "ikm", 2),
        (_("Average waiting time (min)"), "waiting_minutes", 2),
    ]
    out = [
        {
            "label": text,
            "current": city[key],
            "previous": before[key] if before["visits"] else None,
            "delta": delta(city[key], before[key]) if before["visits"] else None,
            "places": places,
        }
        for text, key, places in pairs
    ]
    for code in DIMENSIONS:
        now, then = city["dimensions"].get(code), before["dimensions"].get(code)
        out.append(
            {
                "label": _(labels.DIMENSIONS[code]),
                "current": now,
                "previous": then,
                "delta": delta(now, then),
                "places": 2,
            }
        )
    return out


def failed_items(
    db: Database, date_from: str, date_to: str, opd_id: int | None = None
) -> list[dict[str, Any]]:
    """The most frequently failed checklist items of approved visits, with their labels."""
    counts = summaries.failed_counts(db, date_from, date_to, opd_id)[:TOP_FAILED]
    items = item_index(db)
    for row in counts:
        item = items.get(row["item"])
        row["label"] = item.label.get(g.lang) if item else row["item"]
        row["dimension"] = item.tags.get("dimension") if item else None
        row["share"] = 100 * row["failed"] / row["of"]
    return counts


def item_index(db: Database) -> dict[str, Item]:
    """Every item of every stored instrument version by 'instrument.item' (newest wins)."""
    found: dict[str, Item] = {}
    for r in db.execute("select id, version from instruments order by version").fetchall():
        inst = records.instrument(db, r["id"], r["version"])
        found.update({f"{inst.id}.{item.id}": item for item in inst.items})
    return found


def pending_counts(
    db: Database, date_from: str, date_to: str, opd_id: int | None = None
) -> dict[str, int]:
    """Visits in the period that do not count (yet): submitted, returned, rejected."""
    sql = (
        "select status, count(*) from visits where visit_date >= ? and visit_date <= ? "
        "and status in ('submitted', 'returned', 'rejected')"
    )
    params: list[Any] = [date_from, date_to]
    if opd_id is not None:
        sql += " and opd_id = ?"
        params.append(opd_id)
    counts = {"submitted": 0, "returned": 0, "rejected": 0}
    counts.update({r[0]: r[1] for r in db.execute(sql + " group by status", params)})
    return counts


# --- charts ----------------------------------------------------------------------------


def _number(value: float) -> str:
    return formatting.number(value, 2, g.lang)


def _label(text: str) -> str:
    """An OPD name short enough for the chart's label column (about 30 characters)."""
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def city_charts(rows: list[dict[str, Any]]) -> dict[str, Markup]:
    """Compliance and IKM per OPD, and compliance against the period before (SVG)."""
    names = [_label(r["name"]) for r in rows]
    compliance = [
        charts.Bar(name, r["compliance"], (r["zone_band"] or {}).get("zone"))
        for name, r in zip(names, rows, strict=True)
    ]
    ikm = [
        charts.Bar(name, r["ikm"], (r["mutu_band"] or {}).get("zone"))
        for name, r in zip(names, rows, strict=True)
    ]
    return {
        "compliance": Markup(
            charts.bar_chart(compliance, number=_number, title=_("Compliance per OPD"))
        ),
        "ikm": Markup(charts.bar_chart(ikm, number=_number, title=_("IKM per OPD"))),
        "change": Markup(
            charts.compare_chart(
                names,
                [r["compliance"] for r in rows],
                [r["previous"]["compliance"] if r["previous"] else None for r in rows],
                legend=(_(labels.THIS_PERIOD), _(labels.PREVIOUS_PERIOD)),
                number=_number,
            )
        ),
    }


def priority_chart(row: dict[str, Any]) -> Markup:
    """The four priorities side by side, banded like compliance (SVG)."""
    bars = [
        charts.Bar(_(labels.DIMENSIONS[p["code"]]), p["score"], (p["band"] or {}).get("zone"))
        for p in row["priorities"]
    ]
    return Markup(charts.bar_chart(bars, number=_number, title=_("The four priorities")))


# --- one OPD ---------------------------------------------------------------------------


@bp.route("/opd/<slug>")
@login_required(*SUPERVISORS)
def opd(slug: str):
    """One OPD over the period: figures, priorities, unsur, time per service, visits."""
    db, today = get_db(), dt.date.today()
    record = records.opd_by_slug(db, slug)
    span = chosen_period(db, request.args, today)
    current = _one(summaries.opd_summaries(db, span["from"], span["to"]), slug)
    prior = _one(summaries.opd_summaries(db, span["previous_from"], span["previous_to"]), slug)
    row = ranked([current], [prior] if prior else [])[0] if current else None
    return render_template(
        "dashboard/opd.html",
        opd=record,
        span=span,
        presets=presets(db, today),
        row=row,
        priorities=priority_chart(row) if row else None,
        services=service_times(db, record["id"], span["from"], span["to"]),
        failed=failed_items(db, span["from"], span["to"], record["id"]),
        visits=approved_visits(db, record["id"], span["from"], span["to"]),
        pending=pending_counts(db, span["from"], span["to"], record["id"]),
        dimension_labels=labels.DIMENSIONS,
        unsur_labels=labels.UNSUR,
    )


def _one(found: list[dict], slug: str) -> dict | None:
    return next((s for s in found if s["opd"] == slug), None)


def service_times(db: Database, opd_id: int, date_from: str, date_to: str) -> list[dict]:
    """Per service: average waiting and service time against its published maximum, fees."""
    rows = records.visit_scores_in(db, date_from, date_to, "approved", opd_id, with_items=False)
    service_of = {
        r["uuid"]: r["service_id"]
        for r in db.execute("select uuid, service_id from visits where opd_id = ?", [opd_id])
    }
    grouped: dict[int, list] = defaultdict(list)
    for r in rows:
        grouped[service_of[r["uuid"]]].append(r["scores"])
    out = []
    for service_id, scores in grouped.items():
        agg = scoring.aggregate(scores)
        svc = records.service(db, service_id)
        out.append(
            {
                "name": svc["name"],
                "max_minutes": svc["max_minutes"],
                "fee": svc["fee"],
                "visits": agg["visits"],
                "waiting_minutes": scoring.round2(agg["waiting_minutes"]),
                "service_minutes": scoring.round2(agg["service_minutes"]),
                "over_max_time": agg["over_max_time"],
                "fee_over_published": agg["fee_over_published"],
            }
        )
    return sorted(out, key=lambda s: s["name"])


def approved_visits(db: Database, opd_id: int, date_from: str, date_to: str) -> list[dict]:
    """The approved visits behind the OPD's figures, each with its own scores."""
    rows = records.visit_scores_in(db, date_from, date_to, "approved", opd_id)
    names = {
        r["uuid"]: r["service"]
        for r in db.execute(
            "select v.uuid, s.name as service from visits v join services s "
            "on s.id = v.service_id where v.opd_id = ?",
            [opd_id],
        )
    }
    return [
        {
            "uuid": r["uuid"],
            "visit_date": r["visit_date"],
            "service": names[r["uuid"]],
            "figures": findings_data.visit_figures(r["scores"]),
        }
        for r in sorted(rows, key=lambda r: r["visit_date"], reverse=True)
    ]
