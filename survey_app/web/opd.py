"""The OPD's own pages: its approved findings, its follow-ups, and its self-assessment.

Every route here is for the `opd` role, and on the user's own OPD only (the
own-OPD rule inverted): the OPD comes from the account, never from the URL.
Nothing here names an evaluator or shows a visit that is not approved.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from survey_app.core import labels
from survey_app.findings import figures, periods
from survey_app.store import actions, opds
from survey_app.web.database import get_db
from survey_app.web.periods import date_arg
from survey_app.web.roles import login_required

bp = Blueprint("opd", __name__, url_prefix="/opd")
STATUS_LABELS = {
    "open": _l("Open"),
    "still_open": _l("Still open (failed again)"),
    "done": _l("Done, awaiting verification"),
    "verified": _l("Verified"),
}


def own_opd() -> dict:
    """The logged-in OPD user's OPD (the account's, never the request's); 403 without one."""
    record = opds.by_id(get_db(), g.user["opd_id"]) if g.user["opd_id"] else None
    if record is None:
        abort(403)
    return record


@bp.route("/")
@login_required("opd")
def index():
    """The OPD over a period: approved findings and figures, then its follow-up actions."""
    db, today = get_db(), dt.date.today()
    record = own_opd()
    span = periods.chosen(
        db,
        date_arg(request.args.get("from")),
        date_arg(request.args.get("to")),
        request.args.get("q"),
        today,
    )
    return render_template(
        "opd/index.html",
        opd=record,
        span=span,
        presets=periods.presets(db, today),
        view=figures.opd_own_view(db, record, span),
        follow_ups=actions.of_opd(db, record["id"]),
        statuses=STATUS_LABELS,
        today=today.isoformat(),
        dimension_labels=labels.DIMENSIONS,
    )


@bp.route("/follow-ups/<int:action_id>/done", methods=("GET", "POST"))
@login_required("opd")
def follow_up_done(action_id: int):
    """Ask to confirm, then mark an open follow-up done: the next approved visit verifies it."""
    db = get_db()
    record = own_opd()
    action = actions.get_of_opd(db, action_id, record["id"])
    if request.method == "POST":
        actions.mark_done(db, action_id, record["id"], g.user["id"])
        flash(_("Marked done. The next independent visit will verify it."), "success")
        return redirect(url_for(".index") + "#follow-ups")
    return render_template("opd/done.html", opd=record, action=action, statuses=STATUS_LABELS), (
        200 if action["status"] in actions.OPEN else 409
    )
