"""Supervisor: the independent desk review of an OPD's management documents.

A desk review is not mystery shopping: a supervisor checks the eight
management components of the service standard (UU 25/2009 Pasal 21) on paper,
online, not bound by the lockout rule, and the review names its reviewer.
Stored as a check of kind `desk` (store/checks.py), never as a visit.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from survey_app.core.errors import DomainError
from survey_app.store import check_views, records
from survey_app.store import checks as check_store
from survey_app.store import opds as opd_store
from survey_app.web import checkforms
from survey_app.web.database import get_db
from survey_app.web.roles import SUPERVISORS, login_required

bp = Blueprint("desk", __name__, url_prefix="/desk-reviews")


def desk_instrument():
    """The current desk-review instrument; 404 when none is loaded."""
    found = records.current_instruments(get_db(), kind="desk")
    if not found:
        abort(404)
    return found[0]


def _photo_url(digest: str) -> str:
    return url_for("field.photo", digest=digest)


@bp.route("/")
@login_required(*SUPERVISORS)
def index():
    """Every independent desk review with its reviewer; start one for an OPD."""
    db = get_db()
    return render_template(
        "desk/index.html", rows=check_views.desk_reviews(db), opds=opd_store.names(db)
    )


@bp.route("/new", methods=("GET", "POST"))
@login_required(*SUPERVISORS)
def new():
    """The desk-review form for the OPD chosen (?opd=slug); stored once, then shown."""
    db = get_db()
    try:
        opd = records.opd_by_slug(db, request.args.get("opd") or "")
    except DomainError:
        abort(404)
    inst = desk_instrument()
    if request.method == "POST":
        filled = checkforms.submit(inst, "desk", opd["id"])
        if filled.stored:
            flash(_("Desk review stored."), "success")
            return redirect(url_for(".detail", check_uuid=filled.stored))
    else:
        filled = checkforms.blank(inst)
    return render_template(
        "desk/new.html",
        opd=opd,
        filled=filled,
        errors=checkforms.field_errors(filled),
        photo_url=_photo_url,
        max_photo_mb=current_app.config["MAX_PHOTO_BYTES"] // (1024 * 1024),
        submit_label=_("Store the desk review"),
    ), (400 if filled.message else 200)


@bp.route("/<check_uuid>")
@login_required(*SUPERVISORS)
def detail(check_uuid: str):
    """One desk review: its OPD, date, reviewer, score and every answer with its evidence."""
    db = get_db()
    check = check_store.get(db, check_uuid)
    if check is None or check["kind"] != "desk" or check["self_assessed"]:
        abort(404)
    return checkforms.detail(check, _photo_url, url_for(".index"), _("Desk reviews"))
