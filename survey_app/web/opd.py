"""The OPD's own pages: its approved findings, its follow-ups, and its self-assessment.

Every route here is for the `opd` role, and on the user's own OPD only (the
own-OPD rule inverted): the OPD comes from the account, never from the URL.
Nothing here names an evaluator or shows a visit that is not approved.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from survey_app.core import checks as checks_core
from survey_app.core import labels
from survey_app.findings import figures, periods
from survey_app.store import actions, check_views, opds, records
from survey_app.store import checks as check_store
from survey_app.web import checkforms
from survey_app.web.database import get_db
from survey_app.web.forms import Form
from survey_app.web.periods import date_arg
from survey_app.web.roles import login_required

bp = Blueprint("opd", __name__, url_prefix="/opd")
CHECKLIST = "kepatuhan"  # the compliance checklist an OPD assesses itself on
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
        sides=figures.self_vs_independent(db, record["id"], span),
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


# --- self-assessment ---------------------------------------------------------------------

SELF_KINDS = {
    "checklist": _l("Compliance checklist"),
    "probe": _l("Contact channel probe"),
    "desk": _l("Desk review of the management documents"),
}


def _self_instrument(kind: str):
    """The instrument a self-assessment of this kind is filled on; 404 when none is loaded."""
    db = get_db()
    if kind == "checklist":
        found = [i for i in records.current_instruments(db) if i.id == CHECKLIST]
    else:
        found = records.current_instruments(db, kind=kind)
    if kind not in SELF_KINDS or not found:
        abort(404)
    return found[0]


def _photo_url(digest: str) -> str:
    return url_for("opd.photo", digest=digest)


@bp.route("/self/")
@login_required("opd")
def self_index():
    """The OPD's self-assessments, newest first, and the three it can start."""
    db = get_db()
    record = own_opd()
    return render_template(
        "opd/self.html",
        opd=record,
        rows=check_views.self_assessments(db, record["id"]),
        kinds=SELF_KINDS,
        channels=checks_core.CHANNEL_LABELS,
    )


@bp.route("/self/new/<kind>", methods=("GET", "POST"))
@login_required("opd")
def self_new(kind: str):
    """Fill a self-assessment of the OPD's own service: stored once, labelled as such."""
    record = own_opd()
    inst = _self_instrument(kind)
    channel = request.args.get("channel") if kind == "probe" else None
    if kind == "probe" and channel not in checks_core.CHANNELS:
        return render_template(
            "opd/self_channel.html", opd=record, channels=checks_core.CHANNEL_LABELS
        )
    inst = checkforms.part(inst, channel)
    times = ProbeTimes(request.form if request.method == "POST" else None)
    if request.method == "POST":
        extra = None
        if kind == "probe":
            extra = {"channel": channel, **times.payload()}
        filled = checkforms.submit(inst, kind, record["id"], extra)
        if filled.stored:
            flash(_("Self-assessment stored."), "success")
            return redirect(url_for(".self_detail", check_uuid=filled.stored))
        for name in ("sent_at", "answered_at"):
            times[name].errors = list(times[name].errors) + filled.errors.get(name, [])
    else:
        filled = checkforms.blank(inst)
    return render_template(
        "opd/self_new.html",
        opd=record,
        kind=kind,
        kind_label=SELF_KINDS[kind],
        channel=channel,
        channel_label=checks_core.CHANNEL_LABELS.get(channel),
        times=times,
        before_items="opd/_probe_times.html" if kind == "probe" else None,
        filled=filled,
        errors=checkforms.field_errors(filled),
        photo_url=_photo_url,
        max_photo_mb=current_app.config["MAX_PHOTO_BYTES"] // (1024 * 1024),
        submit_label=_("Store the self-assessment"),
    ), (400 if filled.message else 200)


class ProbeTimes(Form):
    """When the question went out and when an answer came (local time, WIB), as typed."""

    class Meta:
        csrf = False  # the check form around it carries the token

    sent_at = StringField(_l("Question sent (date and time)"))
    answered_at = StringField(_l("Answer came (date and time; empty: none yet)"))

    def payload(self) -> dict:
        """The times as the check takes them, YYYY-MM-DDTHH:MM (seconds dropped)."""
        return {
            name: (self[name].data or "").strip()[:16] or None
            for name in ("sent_at", "answered_at")
        }


@bp.route("/self/<check_uuid>")
@login_required("opd")
def self_detail(check_uuid: str):
    """One of the OPD's own self-assessments read back (never another OPD's, never a review)."""
    db = get_db()
    record = own_opd()
    check = check_store.get(db, check_uuid)
    if check is None or not check["self_assessed"] or check["opd_id"] != record["id"]:
        abort(404)
    return checkforms.detail(check, _photo_url, url_for(".self_index"), _("Self-assessment"))


@bp.route("/photo/<digest>")
@login_required("opd")
def photo(digest: str):
    """A photo the user sent, or evidence in one of the OPD's own self-assessments."""
    db = get_db()
    row = records.photo(db, digest)
    if row is None:
        abort(404)
    mine = records.holds_photo(db, digest, g.user["id"])
    if not (mine or check_views.in_self_assessment_of(db, digest, own_opd()["id"])):
        abort(403)
    response = send_file(
        records.photo_path(current_app.config["PHOTOS_DIR"], digest), mimetype=row["mime"]
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
