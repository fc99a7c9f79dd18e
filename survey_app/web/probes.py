"""Supervisor: plan probes of the OPDs' contact channels, and see the probes received.

A plan names the OPD, the channel, the evaluator (never one who works at
that OPD: their voice or number would be known) and the window, with the
question to ask; the evaluator finds it in the field app (bootstrap) and
carries it out offline. Received probes are listed with their outcome
against the deadline, counted in working days (SURVEY_APP_PROBE_DEADLINE_DAYS).
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
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from survey_app.core import checks
from survey_app.store import checks as check_store
from survey_app.store import opds as opd_store
from survey_app.store import records, users
from survey_app.web import forms
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("probes", __name__, url_prefix="/probes")
OUTCOMES = {
    "answered": _l("Answered in time"),
    "late": _l("Answered late"),
    "no_answer": _l("No answer"),
    "waiting": _l("Waiting"),
}


class PlanForm(Form):
    opd = SelectField(
        _l("OPD to probe"),
        coerce=forms.id_or_none,
        validators=[InputRequired(_l("Choose an OPD."))],
    )
    channel = SelectField(_l("Channel"), validators=[InputRequired()])
    evaluator = SelectField(
        _l("Evaluator"),
        coerce=forms.id_or_none,
        validators=[InputRequired(_l("Choose an evaluator."))],
    )
    window_start = DateField(_l("From"), validators=[InputRequired()])
    window_end = DateField(_l("Until"), validators=[InputRequired()])
    question = TextAreaField(
        _l("Question to ask (as a member of the public)"),
        validators=[Optional(), Length(max=1000)],
    )


class ConfirmForm(Form):
    """Only the CSRF token."""


def channel_label(code: str | None) -> str:
    """A channel's name in the user's language."""
    return _(checks.CHANNEL_LABELS[code]) if code in checks.CHANNEL_LABELS else (code or "-")


def plan_problems(db, data: dict[str, Any], today: dt.date) -> dict[str, str]:
    """Why a probe plan may not be made, by form field; empty when it may."""
    found: dict[str, str] = {}
    evaluator = users.active_evaluator(db, data["evaluator"])
    if evaluator is None:
        found["evaluator"] = _("Choose an active evaluator.")
    elif evaluator["opd_id"] == data["opd"]:
        found["evaluator"] = _(
            "This evaluator works at this OPD and would be recognised. Choose another evaluator."
        )
    if data["channel"] not in checks.CHANNELS:
        found["channel"] = _("Choose a channel.")
    if data["window_end"] < data["window_start"]:
        found["window_end"] = _("The window must end on or after its first day.")
    elif data["window_end"] < today:
        found["window_end"] = _("The window has already ended.")
    elif data["window_end"] > today + forms.PLAN_AHEAD:
        found["window_end"] = _("The window must end within a year from today.")
    return found


_FIELDS = ("opd", "channel", "evaluator", "window_start", "window_end", "question")


@bp.route("/", methods=("GET", "POST"))
@login_required(*SUPERVISORS)
def plan():
    """The planned probes, the form to plan one, and the probes received."""
    db, today = get_db(), dt.date.today()
    form = PlanForm()
    form.opd.choices = forms.choices(
        [("", _("Choose an OPD"))] + [(r["id"], r["name"]) for r in opd_store.names(db)]
    )
    form.channel.choices = forms.choices((c, channel_label(c)) for c in checks.CHANNELS)
    form.evaluator.choices = forms.choices(
        [("", _("Choose an evaluator"))]
        + [
            (r["id"], f"{r['name']} ({r['home'] or '-'})")
            for r in users.evaluators(db, active_only=True)
        ]
    )
    if request.method == "GET":
        form.window_start.data, form.window_end.data = today, today + dt.timedelta(days=14)
    elif form.validate_on_submit():
        data = {k: form[k].data for k in _FIELDS}
        found = plan_problems(db, data, today)
        for field, message in found.items():
            form[field].errors = [*form[field].errors, message]
        if not found:
            new_id = check_store.add_plan(
                db,
                {**data, "opd_id": data["opd"], "evaluator_id": data["evaluator"]},
                g.user["id"],
            )
            flash(_("Probe #%(id)s planned.", id=new_id), "success")
            return redirect(url_for(".plan", _anchor=f"p{new_id}"))
    holidays = check_store.holiday_dates(db)
    deadline_days = current_app.config["PROBE_DEADLINE_DAYS"]
    now = dt.datetime.now()
    received = []
    for c in check_store.recent(db, "probe"):
        timing = checks.probe_timing(c["sent_at"], c["answered_at"], holidays, deadline_days, now)
        received.append({**c, "timing": timing})
    return render_template(
        "probes/plan.html",
        form=form,
        plans=check_store.plans(db, (today - dt.timedelta(days=60)).isoformat()),
        received=received,
        channel_label=channel_label,
        outcomes=OUTCOMES,
        deadline_days=deadline_days,
        today=today,
    ), (400 if form.errors else 200)


@bp.route("/<int:plan_id>/delete", methods=("POST",))
@login_required(*SUPERVISORS)
def delete(plan_id: int):
    """Remove a plan no probe was made from."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = get_db()
    if check_store.plan_row(db, plan_id) is None:
        abort(404)
    if not check_store.delete_plan(db, plan_id, g.user["id"]):
        message = _("A probe was already made from this plan; it stays.")
        return render_template("error.html", message=message), 409
    flash(_("Probe plan #%(id)s removed.", id=plan_id), "success")
    return redirect(url_for(".plan"))


@bp.route("/check/<check_uuid>")
@login_required(*SUPERVISORS)
def detail(check_uuid: str):
    """One probe received: when asked and answered, the outcome, the checklist, the evidence."""
    db = get_db()
    found = check_store.get(db, check_uuid)
    if found is None or found["kind"] != "probe":
        abort(404)
    inst = records.instrument(db, found["instrument_id"], found["instrument_version"])
    part = checks.instrument_for(inst, found["channel"])
    given = part.relevant_answers(found["answers"])
    rows = [
        {
            "id": item.id,
            "label": item.label.get(g.lang),
            "value": given.get(item.id),
            "passed": item.passed(given.get(item.id)),
            "note": found["notes"].get(item.id),
        }
        for item in part.items
        if item.is_relevant(given)
    ]
    timing = checks.probe_timing(
        found["sent_at"],
        found["answered_at"],
        check_store.holiday_dates(db),
        current_app.config["PROBE_DEADLINE_DAYS"],
        dt.datetime.now(),
    )
    plan = check_store.plan_row(db, found["plan_id"]) if found["plan_id"] else None
    assessor = (users.get(db, found["assessor_id"]) or {}).get("name")
    return render_template(
        "probes/detail.html",
        c=found,
        rows=rows,
        timing=timing,
        plan=plan,
        assessor=assessor,
        channel_label=channel_label,
        outcomes=OUTCOMES,
    )
