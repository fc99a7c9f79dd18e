"""Supervisor screens for follow-up actions: raise them from findings, see them checked."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from survey_app.core.errors import DomainError
from survey_app.store import actions, opds, records
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.roles import login_required

bp = Blueprint("followups", __name__, url_prefix="/follow-ups")
STATUS_LABELS = {
    "open": _l("Open"),
    "still_open": _l("Still open (failed again)"),
    "done": _l("Done, awaiting verification"),
    "verified": _l("Verified"),
}


class ActionForm(Form):
    item = HiddenField(validators=[DataRequired()])
    action = TextAreaField(_l("What must change"), validators=[DataRequired(), Length(max=2000)])
    due_date = DateField(_l("Due date"), validators=[DataRequired()])


def _period() -> tuple[str | None, str | None]:
    """The report period from the query string (YYYY-MM-DD), 400 when malformed."""
    values = []
    for key in ("from", "to"):
        raw = request.args.get(key) or None
        try:
            values.append(dt.date.fromisoformat(raw).isoformat() if raw else None)
        except ValueError:
            abort(400)
    return values[0], values[1]


@bp.route("/")
@login_required("supervisor", "admin")
def index():
    """Every action, overdue ones marked, filterable by OPD and status."""
    db = get_db()
    status = request.args.get("status")
    rows = actions.listing(db, request.args.get("opd"), status if status in STATUS_LABELS else None)
    return render_template(
        "followups/index.html",
        rows=rows,
        today=dt.date.today().isoformat(),
        opds=opds.names(db),
        labels=STATUS_LABELS,
    )


@bp.route("/new/<slug>", methods=("GET", "POST"))
@login_required("supervisor", "admin")
def new(slug: str):
    """Failed items of an OPD in a period, each of which can become an action."""
    db = get_db()
    try:
        opd = records.opd_by_slug(db, slug)
    except DomainError:
        abort(404)
    date_from, date_to = _period()
    form, refused = ActionForm(), False
    if form.validate_on_submit():
        try:
            actions.create(
                db,
                opd["id"],
                form.item.data,
                form.action.data,
                form.due_date.data.isoformat(),
                g.user["id"],
                date_from,
                date_to,
            )
        except DomainError as exc:
            flash(exc.message, "error")
            refused = True
        else:
            flash(_("Follow-up action recorded."), "success")
            return redirect(url_for("followups.index", opd=slug))
    items = actions.failed_items(db, opd["id"], date_from, date_to)
    return render_template(
        "followups/new.html", opd=opd, items=items, form=form, date_from=date_from, date_to=date_to
    ), 400 if form.errors or refused else 200
