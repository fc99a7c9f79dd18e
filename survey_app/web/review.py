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
from survey_app.findings import figures as findings_data
from survey_app.store import records
from survey_app.store.connection import transaction
from survey_app.web import forms
from survey_app.web.audit import audit_trail
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.language import status_label
from survey_app.web.periods import date_arg
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("review", __name__, url_prefix="/review")
QUEUE_LIMIT = 500
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
# Sort keys the queue accepts; anything else falls back to the first.
SORTS = {
    "waiting": "v.submitted_at is null, v.submitted_at, v.visit_date",
    "date": "v.visit_date desc, v.submitted_at desc",
    "opd": "o.name, v.visit_date desc",
    "evaluator": "u.name, v.visit_date desc",
}
SORT_LABELS = {
    "waiting": _l("Waiting longest"),
    "date": _l("Visit date, newest"),
    "opd": _l("OPD"),
    "evaluator": _l("Evaluator"),
}
ACTIONS = {"approve": "approved", "return": "returned", "reject": "rejected"}
REVIEWABLE = "submitted"
# What an audit action means, for a visit and for any other record.
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
    filters = queue_filters(request.args)
    where, params = _where(filters)
    rows = db.execute(
        "select v.uuid, v.status, v.visit_date, v.submitted_at, v.reviewed_at, "
        "o.name as opd_name, s.name as service_name, u.name as evaluator_name, "
        "(select group_concat(vi.instrument_id, ', ') from visit_instruments vi "
        "where vi.visit_uuid = v.uuid) as instruments "
        "from visits v join opds o on o.id = v.opd_id join services s on s.id = v.service_id "
        f"join users u on u.id = v.evaluator_id where {where} "
        f"order by {SORTS[filters['sort']]} limit {QUEUE_LIMIT}",
        params,
    ).fetchall()
    return render_template(
        "review/queue.html",
        visits=[dict(r) for r in rows],
        filters=filters,
        counts=_status_counts(db, filters),
        choices=filter_choices(db),
        sorts=SORT_LABELS,
        limit=QUEUE_LIMIT,
    )


def queue_filters(args) -> dict[str, Any]:
    """The queue's filters from the query string; unknown values are dropped."""
    status = args.get("status", REVIEWABLE)
    sort = args.get("sort", "waiting")
    return {
        "status": status if status in (*records.STATUSES, "all") else REVIEWABLE,
        "opd": _int(args.get("opd")),
        "evaluator": _int(args.get("evaluator")),
        "instrument": (args.get("instrument") or "").strip()[:64] or None,
        "from": date_arg(args.get("from")),
        "to": date_arg(args.get("to")),
        "sort": sort if sort in SORTS else "waiting",
    }


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _where(filters: dict[str, Any], with_status: bool = True) -> tuple[str, list]:
    """The filters as a parameterised WHERE clause."""
    clauses, params = ["1 = 1"], []
    if with_status and filters["status"] != "all":
        clauses.append("v.status = ?")
        params.append(filters["status"])
    for clause, key in (
        ("v.opd_id = ?", "opd"),
        ("v.evaluator_id = ?", "evaluator"),
        ("v.visit_date >= ?", "from"),
        ("v.visit_date <= ?", "to"),
        (
            "exists (select 1 from visit_instruments vi where vi.visit_uuid = v.uuid "
            "and vi.instrument_id = ?)",
            "instrument",
        ),
    ):
        if filters[key] is not None:
            clauses.append(clause)
            params.append(filters[key])
    return " and ".join(clauses), params


def _status_counts(db: Database, filters: dict[str, Any]) -> dict[str, int]:
    where, params = _where(filters, with_status=False)
    rows = db.execute(
        f"select v.status, count(*) from visits v where {where} group by v.status", params
    ).fetchall()
    counts = {status: 0 for status in records.STATUSES}
    counts.update({r[0]: r[1] for r in rows})
    counts["all"] = sum(counts.values())
    return counts


def filter_choices(db: Database) -> dict[str, list]:
    """OPDs, evaluators and instruments to filter by."""
    return {
        "opds": [dict(r) for r in db.execute("select id, slug, name from opds order by name")],
        "evaluators": [
            dict(r)
            for r in db.execute(
                "select id, name, username from users where role = 'evaluator' order by name"
            )
        ],
        "instruments": [
            dict(r)
            for r in db.execute("select id, max(title) as title from instruments group by id")
        ],
    }


# --- one visit ---------------------------------------------------------------------


@bp.route("/<visit_uuid>")
@login_required(*SUPERVISORS)
def detail(visit_uuid: str):
    """A visit with its answers, scores, times and fee against the standard, photos, log."""
    return _render_detail(visit_uuid)


def _render_detail(visit_uuid: str, posted: dict | None = None, status: int = 200):
    db = get_db()
    sheet = findings_data.visit_sheet(db, visit_uuid)
    forms_ = {
        name: (posted or {}).get(name) or cls(prefix=name, formdata=None)
        for name, cls in FORMS.items()
    }
    return render_template(
        "review/detail.html",
        sheet=sheet,
        people=_people(db, visit_uuid),
        trail=audit_trail(db, "visit", visit_uuid),
        forms=forms_,
        reviewable=sheet["status"] == REVIEWABLE,
        dimension_labels=labels.DIMENSIONS,
        unsur_labels=labels.UNSUR,
    ), status


def _people(db: Database, visit_uuid: str) -> dict[str, Any]:
    """Who filled the visit, who reviewed it, and the plan it came from."""
    row = db.execute(
        "select v.created_at, v.submitted_at, v.reviewed_at, v.review_note, v.revision, "
        "v.assignment_id, e.name as evaluator, e.username as evaluator_username, "
        "r.name as reviewer, s.id as service_id from visits v "
        "join users e on e.id = v.evaluator_id left join users r on r.id = v.reviewer_id "
        "join services s on s.id = v.service_id where v.uuid = ?",
        [visit_uuid],
    ).fetchone()
    return dict(row)


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
        row = db.execute("select status from visits where uuid = ?", [visit_uuid]).fetchone()
        if row is None:
            abort(404)
        if row["status"] != REVIEWABLE:
            return _refused(row["status"])
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
