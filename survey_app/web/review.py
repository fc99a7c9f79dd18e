"""The supervisor's workspace: the review queue, one visit in full, and the review actions.

Only a submitted visit can be approved, returned or rejected; the check and
the change happen in one write transaction, so two supervisors acting on the
same visit at once cannot both succeed. Every action lands in the audit log
(records.set_status writes it) and the log is shown on the visit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from survey_app.core import formatting, labels
from survey_app.findings import figures
from survey_app.store import opds, records, users, visit_lists
from survey_app.store.connection import transaction
from survey_app.store.records import VisitFilter
from survey_app.web import forms
from survey_app.web.audit import audit_trail
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.language import status_label
from survey_app.web.periods import date_arg, int_arg
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("review", __name__, url_prefix="/review")
QUEUE_LIMIT = 500
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
# The queue's orders (visit_lists.QUEUE_ORDERS); anything else falls back to the first.
SORT_LABELS = {
    "waiting": _l("Waiting longest"),
    "date": _l("Visit date, newest"),
    "opd": _l("OPD"),
    "evaluator": _l("Evaluator"),
}
ACTIONS = {"approve": "approved", "return": "returned", "reject": "rejected"}
REVIEWABLE = "submitted"
# Why a supervisor rejects a visit; the reason leads the note stored on it (_note).
REJECT_REASONS = (
    ("recognised", _l("The shopper was recognised")),
    ("not_done", _l("The visit was not made as reported")),
    ("evidence", _l("Evidence is missing or doubtful")),
    ("other", _l("Other reason")),
)
NOTE_MAX = 2000


class ApproveForm(Form):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])


class ReturnForm(Form):
    note = TextAreaField(
        _l("What should the evaluator correct?"),
        validators=[
            DataRequired(message=_l("Write what the evaluator should correct.")),
            Length(max=NOTE_MAX),
        ],
    )


class RejectForm(Form):
    reason = SelectField(
        _l("Reason"), choices=forms.choices(REJECT_REASONS), validators=[InputRequired()]
    )
    note = TextAreaField(_l("Details"), validators=[Optional(), Length(max=NOTE_MAX)])

    def validate(self, extra_validators=None) -> bool:
        """'Other reason' needs the details (Optional() would skip a field validator)."""
        valid = super().validate(extra_validators)
        if self.reason.data == "other" and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _("Describe the reason.")]
            return False
        return valid


FORMS = {"approve": ApproveForm, "return": ReturnForm, "reject": RejectForm}


@bp.app_template_filter("wib")
def wib(value: str | None) -> str:
    """A stored UTC timestamp as 'Jumat, 26 Maret 2021, 17:00 WIB'."""
    if not value:
        return "-"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value  # a tablet's own timestamp in some other shape: shown as sent
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(WIB)
    return f"{formatting.long_date(local.date(), g.lang)}, {local:%H:%M} WIB"


# --- the queue ---------------------------------------------------------------------


@bp.route("/")
@login_required(*SUPERVISORS)
def queue():
    """Visits to review (submitted first), filtered by OPD, evaluator, period, instrument."""
    db = get_db()
    filters = _queue_filters(request.args)
    visits = visit_lists.queue(db, _visit_filter(filters), filters["sort"], QUEUE_LIMIT)
    return render_template(
        "review/queue.html",
        visits=visits,
        filters=filters,
        counts=_status_counts(db, filters),
        choices=_filter_choices(db),
        sorts=SORT_LABELS,
        limit=QUEUE_LIMIT,
    )


def _queue_filters(args) -> dict[str, Any]:
    """The queue's filters from the query string; unknown values are dropped."""
    status = args.get("status", REVIEWABLE)
    sort = args.get("sort", "waiting")
    return {
        "status": status if status in (*records.STATUSES, "all") else REVIEWABLE,
        "opd": int_arg(args.get("opd")),
        "evaluator": int_arg(args.get("evaluator")),
        "instrument": (args.get("instrument") or "").strip()[:64] or None,
        "from": date_arg(args.get("from")),
        "to": date_arg(args.get("to")),
        "sort": sort if sort in visit_lists.QUEUE_ORDERS else "waiting",
    }


def _visit_filter(filters: dict[str, Any], with_status: bool = True) -> VisitFilter:
    """The queue's filters as the store's VisitFilter ("all" statuses: no status filter)."""
    status = filters["status"] if with_status and filters["status"] != "all" else None
    return VisitFilter(
        status=status,
        date_from=filters["from"],
        date_to=filters["to"],
        opd_id=filters["opd"],
        evaluator_id=filters["evaluator"],
        instrument=filters["instrument"],
    )


def _status_counts(db: Database, filters: dict[str, Any]) -> dict[str, int]:
    counts = visit_lists.status_counts(db, _visit_filter(filters, with_status=False))
    return {**counts, "all": sum(counts.values())}


def _filter_choices(db: Database) -> dict[str, list]:
    """OPDs, evaluators and instruments to filter by."""
    return {
        "opds": opds.names(db),
        "evaluators": users.evaluators(db),
        "instruments": records.instrument_titles(db),
    }


# --- one visit ---------------------------------------------------------------------


@bp.route("/<visit_uuid>")
@login_required(*SUPERVISORS)
def detail(visit_uuid: str):
    """A visit with its answers, scores, times and fee against the standard, photos, log."""
    return _render_detail(visit_uuid)


def _render_detail(visit_uuid: str, posted: dict | None = None, status: int = 200):
    db = get_db()
    sheet = figures.visit_sheet(db, visit_uuid)
    forms_ = {
        name: (posted or {}).get(name) or cls(prefix=name, formdata=None)
        for name, cls in FORMS.items()
    }
    return render_template(
        "review/detail.html",
        sheet=sheet,
        people=visit_lists.people(db, visit_uuid),
        trail=audit_trail(db, "visit", visit_uuid),
        forms=forms_,
        reviewable=sheet["status"] == REVIEWABLE,
        dimension_labels=labels.DIMENSIONS,
        unsur_labels=labels.UNSUR,
    ), status


# --- actions -----------------------------------------------------------------------


@bp.route("/<visit_uuid>/<action>", methods=("POST",))
@login_required(*SUPERVISORS)
def act(visit_uuid: str, action: str):
    """Approve, return (with a note) or reject (with a reason) a submitted visit."""
    if action not in FORMS:
        abort(404)
    form = FORMS[action](prefix=action)
    if not form.validate_on_submit():
        return _render_detail(visit_uuid, {action: form}, 400)
    db = get_db()
    with transaction(db):
        status = records.visit_status(db, visit_uuid)
        if status is None:
            abort(404)
        if status != REVIEWABLE:
            return _refused(status)
        records.set_status(db, visit_uuid, ACTIONS[action], g.user["id"], _note(form, action))
    flash(_flash_text(action), "success")
    return redirect(url_for(".queue"))


def _note(form: Form, action: str) -> str | None:
    """The note stored on the visit; a rejection leads with its reason."""
    note = (form.note.data or "").strip()
    if action != "reject":
        return note or None
    reason = str(dict(REJECT_REASONS)[form.reason.data])
    return f"{reason}: {note}" if note and form.reason.data != "other" else note or reason


def _flash_text(action: str) -> str:
    if action == "approve":
        return _("Visit approved. It now counts in scores and findings.")
    if action == "return":
        return _("Visit returned to the evaluator with your note.")
    return _("Visit rejected. It will not count in scores or findings.")


def _refused(status: str):
    """409: only a submitted visit can be reviewed."""
    message = _(
        "This visit is %(status)s. Only a submitted visit can be approved, returned or rejected.",
        status=status_label(status).lower(),
    )
    return render_template("error.html", message=message), 409
