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
    # No reason preselected: the supervisor has to pick one (an empty value is refused).
    reason = SelectField(
        _l("Reason"),
        choices=forms.choices((("", _l("Choose a reason")), *REJECT_REASONS)),
        validators=[InputRequired(message=_l("Choose a reason."))],
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
    titles = instrument_titles(db)
    for v in visits:
        v["instruments"] = ", ".join(titles.get(i, i) for i in (v["instruments"] or "").split(", "))
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


def _filter_args(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as query arguments, so a visit opened from the queue keeps them."""
    defaults = {"status": REVIEWABLE, "sort": "waiting"}
    return {k: v for k, v in filters.items() if v not in (None, "", defaults.get(k))}


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
    titles = instrument_titles(db)
    return {
        "opds": opds.names(db),
        "evaluators": users.evaluators(db),
        "instruments": [{"id": i, "title": t} for i, t in titles.items()],
    }


def instrument_titles(db: Database) -> dict[str, str]:
    """Instrument id -> title in the reader's language (the stored title is Indonesian)."""
    titles = {r["id"]: r["title"] for r in records.instrument_titles(db)}
    for inst in records.current_instruments(db):
        titles[inst.id] = inst.title.get(g.lang) or titles.get(inst.id, inst.id)
    return titles


# --- one visit ---------------------------------------------------------------------


@bp.route("/<visit_uuid>")
@login_required(*SUPERVISORS)
def detail(visit_uuid: str):
    """A visit with its answers beside their photos, failed first; times, fee, log, actions."""
    return _render_detail(visit_uuid)


def _render_detail(visit_uuid: str, posted: dict | None = None, status: int = 200):
    db = get_db()
    sheet = figures.visit_sheet(db, visit_uuid)
    filters = _queue_filters(request.args)
    item_labels = _item_labels(sheet)
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
        opened=next(iter(posted or {}), None),
        reviewable=sheet["status"] == REVIEWABLE,
        photos=_photos_by_item(sheet["photos"], item_labels),
        failed=_failed_rows(sheet),
        item_labels=item_labels,
        nav=_neighbours(db, filters, visit_uuid),
        args=_filter_args(filters),
        dimension_labels=labels.DIMENSIONS,
        unsur_labels=labels.UNSUR,
    ), status


def _photos_by_item(photos: list[dict], shown: dict[str, str]) -> dict[str, list[dict]]:
    """The visit's photos by 'instrument.item' key; '' holds the whole visit's and those
    of items not shown (a hidden item's photo must not vanish from the review)."""
    grouped: dict[str, list[dict]] = {}
    for photo in photos:
        grouped.setdefault(photo["key"] if photo["key"] in shown else "", []).append(photo)
    return grouped


def _failed_rows(sheet: dict[str, Any]) -> list[tuple[dict, dict]]:
    """(instrument, row) of each answer that did not meet its item: read first in review."""
    return [
        (inst, row)
        for inst in sheet["instruments"]
        for section in inst["sections"]
        for row in section["rows"]
        if row["passed"] is False
    ]


def _item_labels(sheet: dict[str, Any]) -> dict[str, str]:
    """'instrument.item' -> the item's label in the reader's language (for the audit log)."""
    return {
        f"{inst['id']}.{row['id']}": row["label"][g.lang]
        for inst in sheet["instruments"]
        for section in inst["sections"]
        for row in section["rows"]
    }


def _neighbours(db: Database, filters: dict[str, Any], visit_uuid: str) -> dict[str, str | None]:
    """The visits before and after this one in the queue as filtered (None at either end)."""
    order = [v["uuid"] for v in _queue_uuids(db, filters)]
    if visit_uuid not in order:
        return {"prev": None, "next": order[0] if order else None}
    at = order.index(visit_uuid)
    return {
        "prev": order[at - 1] if at > 0 else None,
        "next": order[at + 1] if at + 1 < len(order) else None,
    }


def _queue_uuids(db: Database, filters: dict[str, Any]) -> list[dict[str, Any]]:
    return visit_lists.queue(db, _visit_filter(filters), filters["sort"], QUEUE_LIMIT)


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
    filters = _queue_filters(request.args)
    following = _neighbours(db, filters, visit_uuid)["next"]
    with transaction(db):
        status = records.visit_status(db, visit_uuid)
        if status is None:
            abort(404)
        if status != REVIEWABLE:
            return _refused(status)
        records.set_status(db, visit_uuid, ACTIONS[action], g.user["id"], _note(form, action))
    flash(_flash_text(action), "success")
    # Straight on to the next visit in the same queue: reviewing is done in runs.
    if following and following != visit_uuid:
        return redirect(url_for(".detail", visit_uuid=following, **_filter_args(filters)))
    return redirect(url_for(".queue", **_filter_args(filters)))


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
