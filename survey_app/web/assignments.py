"""Planned visits: who visits which OPD's service, with which instruments, in which window.

An evaluator is never assigned to their own OPD (they would be recognised).
The plan shows each assignment as open, started, done, late or cancelled,
judged on the server's date: late means the window has ended and no visit
started from the assignment has been submitted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from survey_app.core import formatting
from survey_app.store import assignments as plans
from survey_app.store import lockout, records, users, visit_lists
from survey_app.store import opds as opd_store
from survey_app.web import forms
from survey_app.web.audit import audit_trail
from survey_app.web.database import get_db
from survey_app.web.forms import Form, MultiCheckboxField
from survey_app.web.periods import int_arg
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("assignments", __name__, url_prefix="/assignments")
STATES = {
    "open": _l("Open"),
    "started": _l("Started"),
    "done": _l("Done"),
    "late": _l("Late"),
    "cancelled": _l("Cancelled"),
}


class AssignmentForm(Form):
    # Each select opens on a prompt: no evaluator, OPD or service is chosen for the supervisor.
    evaluator = SelectField(
        _l("Evaluator"),
        coerce=forms.id_or_none,
        validators=[InputRequired(_l("Choose an evaluator."))],
    )
    opd = SelectField(
        _l("OPD to visit"),
        coerce=forms.id_or_none,
        validators=[InputRequired(_l("Choose an OPD."))],
    )
    service = SelectField(
        _l("Service"), coerce=forms.id_or_none, validators=[InputRequired(_l("Choose a service."))]
    )
    instruments = MultiCheckboxField(_l("Instruments"))
    window_start = DateField(_l("From"), validators=[InputRequired()])
    window_end = DateField(_l("Until"), validators=[InputRequired()])


class CancelForm(Form):
    """Only the CSRF token."""


# --- rules ---------------------------------------------------------------------------


def problems(
    db: Database, data: dict[str, Any], today: dt.date, limits: tuple[int, int] = (0, 0)
) -> dict[str, str]:
    """Why an assignment may not be made, by form field; empty when it may.

    `limits` is (minimum days between visits, visits per quarter), the same rule
    the field app applies when a visit starts: an evaluator who could not go on any
    day of the window is refused now, with the day they may go again.
    """
    found: dict[str, str] = {}
    evaluator = users.active_evaluator(db, data["evaluator"])
    if evaluator is None:
        found["evaluator"] = _("Choose an active evaluator.")
    elif evaluator["opd_id"] == data["opd"]:
        found["opd"] = _(
            "This evaluator works at this OPD and would be recognised. Choose another evaluator."
        )
    elif data["window_end"] and data["window_end"] > today + forms.PLAN_AHEAD:
        found["window_end"] = _("The window must end within a year from today.")
    elif data["window_end"] and data["window_end"] >= today:
        refusal = lockout.may_visit(db, evaluator, data["opd"], data["window_end"], limits)
        if refusal is not None and refusal.code == "too_soon":
            found["evaluator"] = _(
                "This evaluator visited this OPD on %(last)s and may not go again before "
                "%(until)s, after this window. Choose a later window or another evaluator.",
                last=formatting.long_date(refusal.last, g.lang),
                until=formatting.long_date(refusal.until, g.lang),
            )
        elif refusal is not None and refusal.code == "quarter_full":
            found["evaluator"] = _(
                "This evaluator has already made %(limit)s visits to this OPD in that quarter, "
                "the most allowed; they may go again from %(until)s.",
                limit=refusal.limit,
                until=formatting.long_date(refusal.until, g.lang),
            )
    if opd_store.service_opd(db, data["service"]) != data["opd"]:
        found["service"] = _("This service does not belong to the chosen OPD.")
    if not data["instruments"]:
        found["instruments"] = _("Choose at least one instrument.")
    if data["window_end"] < data["window_start"]:
        found.setdefault("window_end", _("The window must end on or after its first day."))
    elif data["window_end"] < today:
        found["window_end"] = _("The window has already ended.")
    return found


# --- the plan ------------------------------------------------------------------------


@bp.route("/", methods=("GET", "POST"))
@login_required(*SUPERVISORS)
def plan():
    """The plan (filtered by evaluator, OPD, state) and the form to add an assignment."""
    db, today = get_db(), dt.date.today()
    form = AssignmentForm()
    _fill_choices(form, db)
    if request.method == "GET":
        form.window_start.data, form.window_end.data = today, today + dt.timedelta(days=14)
        form.instruments.data = [c.value for c in form.instruments.choices]
    elif form.validate_on_submit() and _allowed(form, db, today):
        new_id = plans.create(db, {k: form[k].data for k in _FIELDS}, g.user["id"])
        flash(_("Assignment #%(id)s planned.", id=new_id), "success")
        return redirect(url_for(".plan", _anchor=f"a{new_id}"))
    filters = {k: int_arg(request.args.get(k)) for k in ("evaluator", "opd")}
    chosen_state = request.args.get("state") if request.args.get("state") in STATES else None
    rows = [
        a
        for a in plans.listing(db, today, filters["evaluator"], filters["opd"], lang=g.lang)
        if chosen_state in (None, a["state"])
    ]
    return render_template(
        "assignments/plan.html",
        form=form,
        rows=rows,
        filters={**filters, "state": chosen_state},
        states=STATES,
        today=today,
    ), (400 if form.errors else 200)


_FIELDS = ("evaluator", "opd", "service", "instruments", "window_start", "window_end")


def _allowed(form: AssignmentForm, db: Database, today: dt.date) -> bool:
    cfg = current_app.config
    limits = (cfg["LOCKOUT_MIN_DAYS"], cfg["LOCKOUT_MAX_PER_QUARTER"])
    found = problems(db, {k: form[k].data for k in _FIELDS}, today, limits)
    for field, message in found.items():
        form[field].errors = [*form[field].errors, message]
    return not found


def _fill_choices(form: AssignmentForm, db: Database) -> None:
    form.evaluator.choices = forms.choices(
        [("", _("Choose an evaluator"))]
        + [
            (r["id"], f"{r['name']} ({r['home'] or '-'})")
            for r in users.evaluators(db, active_only=True)
        ]
    )
    form.opd.choices = forms.choices(
        [("", _("Choose an OPD"))] + [(r["id"], r["name"]) for r in opd_store.names(db)]
    )
    # Grouped by OPD; static/js/assignments.js shows only the chosen OPD's group.
    form.service.choices = [SelectChoice("", _("Choose the OPD first"))] + [
        SelectChoice(r["id"], r["name"], optgroup=r["opd"], render_kw={"data-opd": r["opd_id"]})
        for r in opd_store.services(db)
    ]
    form.instruments.choices = forms.choices(
        (i.id, i.title.get(g.lang)) for i in records.current_instruments(db)
    )


@bp.route("/<int:assignment_id>/cancel", methods=("POST",))
@login_required(*SUPERVISORS)
def cancel(assignment_id: int):
    """Cancel an assignment that is not done yet."""
    if not CancelForm().validate_on_submit():
        abort(400)
    before = plans.cancel(get_db(), assignment_id, g.user["id"], dt.date.today())
    if before is None:
        abort(404)
    if before in plans.FINAL:
        message = _("A done or cancelled assignment cannot be cancelled.")
        return render_template("error.html", message=message), 409
    flash(_("Assignment #%(id)s cancelled.", id=assignment_id), "success")
    return redirect(url_for(".plan"))


@bp.route("/<int:assignment_id>")
@login_required(*SUPERVISORS)
def detail(assignment_id: int):
    """One assignment with its visits and audit log."""
    db = get_db()
    found = plans.listing(db, dt.date.today(), assignment_id=assignment_id, lang=g.lang)
    if not found:
        abort(404)
    return render_template(
        "assignments/detail.html",
        a=found[0],
        visits=visit_lists.of_assignment(db, assignment_id),
        trail=audit_trail(db, "assignment", assignment_id),
        states=STATES,
    )
