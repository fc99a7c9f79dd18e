"""The supervisor's dashboard: the city over a period, each OPD, drill down to a visit.

Every figure comes from survey_app.findings (the same functions the PDF
findings call, over the kept tallies of approved visits); this module reads
the request, picks the order of the OPD table and draws the SVG charts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from survey_app.core import checks, formatting, labels
from survey_app.findings import charts, periods
from survey_app.findings import figures as findings
from survey_app.findings import probes as probe_figures
from survey_app.store import actions, records, summaries
from survey_app.web.database import get_db
from survey_app.web.periods import date_arg
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
# Display orders the OPD table accepts (the rank itself is always by compliance).
SORTS = {
    "rank": lambda r: r["rank"],
    "ikm": lambda r: (-_or(r["figures"]["ikm_converted"], -1), r["rank"]),
    "visits": lambda r: (-r["figures"]["visits"], r["rank"]),
    "waiting": lambda r: (-_or(r["figures"]["waiting_minutes"], 0), r["rank"]),
    "name": lambda r: r["name"],
}
SORT_LABELS = {
    "rank": _l("Rank (compliance)"),
    "ikm": _l("IKM"),
    "visits": _l("Approved visits"),
    "waiting": _l("Waiting time, longest"),
    "name": _l("Name"),
}
# The city's change table: these headline figures, then the four priorities.
CHANGE = ("visits", "compliance", "ikm_converted", "waiting_minutes")
# Which way each change is an improvement: shorter waits are better; a count is neither.
BETTER = {"visits": None, "waiting_minutes": "down", "service_minutes": "down"}
CHANGE_LABELS = {
    "visits": _l("Approved visits"),
    "compliance": _l("Compliance"),
    "ikm_converted": _l("IKM (converted)"),
    "waiting_minutes": _l("Average waiting time (min)"),
}


def _or(value, default):
    return default if value is None else value


def chosen_period(args, today: dt.date) -> dict[str, Any]:
    """The period from ?from=&to= or ?q=YYYY-Qn (else the default), with the one before."""
    date_from, date_to = date_arg(args.get("from")), date_arg(args.get("to"))
    return periods.chosen(get_db(), date_from, date_to, args.get("q"), today)


# --- the city --------------------------------------------------------------------------


@bp.route("/")
@login_required(*SUPERVISORS)
def index():
    """Per OPD: visits, compliance and zone, IKM and mutu, priorities, time, fees; ranked."""
    db, today = get_db(), dt.date.today()
    span = chosen_period(request.args, today)
    items = findings.items_of(db, summaries.stored_versions(db))
    city = findings.city_figures(db, span, items)
    sort = request.args.get("sort", "rank")
    sort = sort if sort in SORTS else "rank"
    return render_template(
        "dashboard/index.html",
        span=span,
        presets=periods.presets(db, today),
        rows=sorted(city["opds"], key=SORTS[sort]),
        sort=sort,
        sorts=SORT_LABELS,
        city=city["figures"],
        change=findings.change(city["figures"], city["previous"], CHANGE),
        change_labels=CHANGE_LABELS,
        better_direction=BETTER,
        failed=city["findings"],
        pending=summaries.pending_counts(db, span["from"], span["to"]),
        overdue=overdue_by_slug(db, today),
        charts=city_charts(city["opds"]),
        self_rows=findings.self_assessment_overview(db, span),
        dimension_labels=labels.DIMENSIONS,
        probes=probes_of(span),
        channel_labels=checks.CHANNEL_LABELS,
    )


def probes_of(span: dict[str, Any], opd_id: int | None = None) -> dict[str, Any]:
    """The period's independent channel probes (findings.probes, as the PDFs print them)."""
    return probe_figures.probe_figures(
        get_db(),
        span["from"],
        span["to"],
        opd_id=opd_id,
        deadline_days=current_app.config["PROBE_DEADLINE_DAYS"],
    )


def overdue_by_slug(db, today: dt.date) -> dict[str, int]:
    """Follow-up actions past their due date and not verified, per OPD slug (server's date)."""
    late, names = actions.overdue(db, today), summaries.opd_names(db)
    return {names[opd_id][0]: n for opd_id, n in late.items() if opd_id in names}


# --- charts ----------------------------------------------------------------------------


def _number(value: float) -> str:
    return formatting.number(value, 2, g.lang)


def _bars(rows: list[dict[str, Any]], value: str, band: str) -> list[charts.Bar]:
    """One bar per OPD line: a figure, coloured by the zone of its band."""
    return [
        charts.Bar(r["name"], r["figures"][value], (r["figures"][band] or {}).get("zone"))
        for r in rows
    ]


def city_charts(rows: list[dict[str, Any]]) -> dict[str, Markup]:
    """Compliance and IKM per OPD, and compliance against the period before (SVG)."""
    compliance, ikm = _bars(rows, "compliance", "zone"), _bars(rows, "ikm_converted", "mutu")
    return {
        "compliance": Markup(
            charts.bar_chart(compliance, number=_number, title=_("Compliance per OPD"))
        ),
        "ikm": Markup(charts.bar_chart(ikm, number=_number, title=_("IKM per OPD"))),
        "change": Markup(
            charts.compare_chart(
                [r["name"] for r in rows],
                [r["figures"]["compliance"] for r in rows],
                [r["previous_compliance"] for r in rows],
                legend=(_(labels.THIS_PERIOD), _(labels.PREVIOUS_PERIOD)),
                number=_number,
            )
        ),
    }


def priority_chart(row: dict[str, Any]) -> Markup:
    """The four priorities side by side, banded like compliance (SVG)."""
    bars = [
        charts.Bar(_(labels.DIMENSIONS[p["code"]]), p["score"], (p["band"] or {}).get("zone"))
        for p in row["figures"]["dimensions"]
    ]
    return Markup(charts.bar_chart(bars, number=_number, title=_("The four priorities")))


# --- one OPD ---------------------------------------------------------------------------


@bp.route("/opd/<slug>")
@login_required(*SUPERVISORS)
def opd(slug: str):
    """One OPD over the period: figures, priorities, unsur, time per service, visits."""
    db, today = get_db(), dt.date.today()
    record = records.opd_by_slug(db, slug)
    span = chosen_period(request.args, today)
    items = findings.items_of(db, summaries.stored_versions(db))
    one = findings.opd_figures(db, record, span, items)
    row = one if one["figures"]["visits"] else None
    visits = findings.opd_visits(db, record["id"], span, items)
    return render_template(
        "dashboard/opd.html",
        opd=record,
        span=span,
        presets=periods.presets(db, today),
        row=row,
        priorities=priority_chart(row) if row else None,
        services=one["timing"],
        failed=findings.top_findings(one["failed_items"], items),
        visits=sorted(visits, key=lambda v: v["visit_date"], reverse=True),
        pending=summaries.pending_counts(db, span["from"], span["to"], record["id"]),
        sides=findings.self_vs_independent(db, record["id"], span),
        dimension_labels=labels.DIMENSIONS,
        unsur_labels=labels.UNSUR,
        probes=probes_of(span, record["id"]),
        channel_labels=checks.CHANNEL_LABELS,
    )
