"""Sync API for the offline field app: JSON under /api/v1, session auth plus CSRF.

A visit is posted with its client UUID; photos go first, keyed by SHA-256, so
an interrupted upload can be retried without duplicates. Every answer is
validated by the same WTForms fields as the web form. Documented in
docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from survey_app.core import checks, photos, sync
from survey_app.core.errors import DomainError
from survey_app.store import assignments as plans
from survey_app.store import checks as check_store
from survey_app.store import opds as opd_store
from survey_app.store import records, uploads, visit_lists
from survey_app.store import sync as store_sync
from survey_app.store.connection import write_batched
from survey_app.web import forms
from survey_app.web.database import get_db
from survey_app.web.lockout import probe_refusal_message, refusal_message, visit_refusal
from survey_app.web.roles import login_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class ApiError(Exception):
    """A refusal of one record: HTTP status, machine code, translated message."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return jsonify(error=exc.code, message=exc.message, **exc.extra), exc.status


@bp.route("/bootstrap")
@login_required("evaluator")
def bootstrap():
    """Everything the tablet needs to work offline: who, where, which instruments."""
    db = get_db()
    opds = opd_store.names(db)
    services = [records.service(db, i) for i in sorted(s["id"] for s in opd_store.services(db))]
    instruments = [
        {
            "id": i.id,
            "version": i.version,
            "title": i.title.get(g.lang),
            "titles": {"id": i.title.id, "en": i.title.en},
            "definition": i.definition,
            "fragment": url_for("field_app.fragment", inst_id=i.id, version=i.version),
        }
        for i in records.current_instruments(db)
    ]
    user = {k: g.user[k] for k in ("id", "username", "name", "opd_id")}
    # Decided here, on the server's records, so the tablet can refuse offline too.
    refusals = {o["id"]: r for o in opds if (r := visit_refusal(db, o["id"]))}
    planned = [
        {
            "id": a["id"],
            "opd_id": a["opd_id"],
            "service_id": a["service_id"],
            "instruments": a["instruments"],
            "window_start": a["window_start"],
            "window_end": a["window_end"],
            "state": a["state"],
        }
        for a in plans.for_evaluator(db, g.user["id"], dt.date.today(), g.lang)
    ]
    probes = _probe_bootstrap(db, opds)
    return jsonify(
        assignments=planned,
        probes=probes,
        user=user,
        opds=opds,
        services=services,
        instruments=instruments,
        refusals=refusals,
        csrf_token=generate_csrf(),
        server_date=dt.date.today().isoformat(),
        lang=g.lang,
    )


def _probe_bootstrap(db, opds: list) -> dict:
    """What the tablet needs to carry out probes offline: the probe instruments with the
    channels they test, the evaluator's plans, the deadline and the days off it skips,
    and why a probe of an OPD would be refused today (decided here, on the server)."""
    cfg, today = current_app.config, dt.date.today()
    limits = (cfg["LOCKOUT_MIN_DAYS"], cfg["LOCKOUT_MAX_PER_QUARTER"])
    channels = [{"code": c, "label": _(checks.CHANNEL_LABELS[c])} for c in checks.CHANNELS]
    insts = [
        {
            "id": i.id,
            "version": i.version,
            "title": i.title.get(g.lang),
            "definition": i.definition,
            "channels": [s.channel for s in i.sections if s.channel],
            "fragment": url_for("field_app.fragment", inst_id=i.id, version=i.version),
        }
        for i in records.current_instruments(db, kind="probe")
    ]
    since = (today - dt.timedelta(days=30)).isoformat()
    plans_open = [
        {k: p[k] for k in ("id", "opd_id", "channel", "window_start", "window_end", "question")}
        for p in check_store.plans_for(db, g.user["id"])
        if not p["check_uuid"] and p["window_end"] >= since
    ]
    refusals = {
        o["id"]: probe_refusal_message(r)
        for o in opds
        if (r := check_store.probe_refusal(db, g.user, o["id"], today, limits))
    }
    return {
        "instruments": insts,
        "channels": channels,
        "plans": plans_open,
        "refusals": refusals,
        "deadline_days": cfg["PROBE_DEADLINE_DAYS"],
        "holidays": sorted(d.isoformat() for d in check_store.holiday_dates(db)),
    }


@bp.route("/session")
@login_required("evaluator")
def session_info():
    """Who is logged in, with a fresh CSRF token: asked before every sync."""
    return jsonify(user={"id": g.user["id"], "name": g.user["name"]}, csrf_token=generate_csrf())


@bp.route("/visits")
@login_required("evaluator")
def list_visits():
    """The evaluator's visits as the server holds them (status, review note)."""
    return jsonify(visits=visit_lists.synced(get_db(), g.user["id"]))


@bp.route("/photos/<sha256>", methods=("HEAD", "GET"))
@login_required("evaluator")
def photo_status(sha256: str):
    """200 when this evaluator has sent the photo already, else 404 with the bytes held of it.

    Per evaluator: another's photo is not confirmed by its hash alone, so this
    tells no one what others photographed.
    """
    if not _SHA.match(sha256):
        return jsonify(stored=False, held=0), 404
    if records.holds_photo(get_db(), sha256, g.user["id"]):
        return jsonify(sha256=sha256, stored=True), 200
    # Only this evaluator's own partial: another's upload of the same photo stays unseen.
    held = uploads.held(current_app.config["PHOTOS_DIR"], g.user["id"], sha256)
    return jsonify(stored=False, held=held), 404


@bp.route("/photos/<sha256>", methods=("PUT",))
@login_required("evaluator")
def put_photo(sha256: str):
    """Store a photo under its SHA-256; the bytes must match it (else 400).

    With a Content-Range header the body is one part: 202 with the bytes held
    until the last part completes the photo, which is then checked whole.
    """
    if not _SHA.match(sha256):
        raise ApiError(400, "bad_hash", _("Not a photo hash: %(detail)s", detail=sha256[:80]))
    data = request.get_data(cache=False)
    if "Content-Range" in request.headers:
        held, data = _gather_part(sha256, data)
        if data is None:
            return jsonify(sha256=sha256, stored=False, held=held), 202
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ApiError(
            400,
            "hash_mismatch",
            _("The photo arrived incomplete or damaged; it will be sent again."),
        )
    db, user_id = get_db(), g.user["id"]
    if records.photo(db, sha256):  # the bytes match the hash: the sender holds the photo
        write_batched(db, lambda conn: records.hold_photo(conn, sha256, user_id))
        return jsonify(sha256=sha256, stored=True), 200
    try:
        data, mime, width, height = photos.check(
            data, current_app.config["MAX_PHOTO_BYTES"], downscale=False
        )
    except photos.PhotoRejected as exc:
        raise ApiError(400, "bad_photo", str(exc)) from None
    # The file first, outside the lock; then its row joins the shared write transaction
    # (group commit), as visits do, instead of a transaction of its own per photo.
    records.keep_photo_file(current_app.config["PHOTOS_DIR"], data, sha256)
    size = len(data)
    write_batched(
        db, lambda conn: records.photo_row(conn, sha256, mime, size, width, height, user_id)
    )
    return jsonify(sha256=sha256, stored=True), 201


def _gather_part(sha256: str, part: bytes) -> tuple[int, bytes | None]:
    """Add a part to what this evaluator sent of the photo: (bytes held, the whole or None).

    The whole is handed back once its last byte is in, and the partial is
    gone then: a whole that fails its hash is sent again from the start.
    """
    cfg, user_id = current_app.config, g.user["id"]
    try:
        start, total = photos.content_range(
            request.headers["Content-Range"], len(part), cfg["MAX_PHOTO_BYTES"]
        )
    except photos.PhotoRejected as exc:
        raise ApiError(400, "bad_range", str(exc)) from None
    if start == 0 and len(part) == total:  # all in one part: nothing to keep
        uploads.drop(cfg["PHOTOS_DIR"], user_id, sha256)
        return total, part
    try:
        held = uploads.append(cfg["PHOTOS_DIR"], user_id, sha256, start, part)
    except uploads.Gap as gap:
        message = _("The server holds %(n)s bytes of this photo; send from there.", n=gap.held)
        raise ApiError(416, "wrong_offset", message, held=gap.held) from None
    if held < total:
        return held, None
    return held, uploads.take(cfg["PHOTOS_DIR"], user_id, sha256)


@bp.route("/visits", methods=("POST",))
@login_required("evaluator")
def post_visit():
    """Store a submitted visit once: 201 new, 200 harmless resend, 409 conflict."""
    cfg = current_app.config
    limits = (cfg["LOCKOUT_MIN_DAYS"], cfg["LOCKOUT_MAX_PER_QUARTER"])
    try:
        result = store_sync.receive(get_db(), _json_body(), g.user, limits, forms.check_answers)
    except sync.Refused as refused:
        raise _refusal(refused) from None
    visit = result.visit
    if result.outcome == "repeat":
        return _repeat(result.row)
    return jsonify(
        uuid=visit.uuid,
        status="submitted",
        stored=True,
        revision=visit.revision,
        photos=[p.sha256 for p in visit.photos],
    ), 201


@bp.route("/visits/<visit_uuid>")
@login_required("evaluator")
def get_visit(visit_uuid: str):
    """One of the evaluator's visits in full, to correct a returned one on the tablet."""
    try:
        visit = records.load_visit(get_db(), visit_uuid)
    except DomainError as exc:
        raise ApiError(404, "unknown_visit", exc.message) from None
    if visit.evaluator_id != g.user["id"]:
        raise ApiError(403, "forbidden", _("You are not allowed to open this page."))
    return jsonify(visit.to_payload())


@bp.route("/checks", methods=("POST",))
@login_required("evaluator", "opd")
def post_check():
    """Store a probe, desk review or self-assessment once: 201 new, 200 harmless resend, 409.

    The same contract as POST /visits (docs/api.md): photos first by hash,
    per-field reasons in the user's language.
    """
    cfg = current_app.config
    limits = (cfg["LOCKOUT_MIN_DAYS"], cfg["LOCKOUT_MAX_PER_QUARTER"])
    try:
        result = check_store.receive(get_db(), _json_body(), g.user, limits, forms.check_answers)
    except sync.Refused as refused:
        raise _refusal(refused, _CHECK_MESSAGES) from None
    check = result.check
    body = {
        "uuid": check.uuid,
        "status": "submitted",
        "stored": True,
        "photos": [p.sha256 for p in check.photos],
    }
    if result.outcome == "repeat":
        return jsonify(**body, repeat=True), 200
    return jsonify(**body), 201


@bp.route("/checks")
@login_required("evaluator", "opd")
def list_checks():
    """The user's own checks as the server holds them (newest first)."""
    found = check_store.of_assessor(get_db(), g.user["id"])
    keys = ("uuid", "kind", "opd_id", "channel", "check_date", "sent_at", "answered_at", "status")
    return jsonify(checks=[{k: c[k] for k in keys} for c in found])


def _repeat(row):
    return jsonify(
        uuid=row["uuid"], status=row["status"], revision=row["revision"], stored=True, repeat=True
    ), 200


def _json_body():
    """The parsed body, or None when it is not JSON (core.sync refuses what is not an object)."""
    return request.get_json(silent=True)


# A refusal's message by its code, in the request's language.
_MESSAGES = {
    "bad_request": lambda r: (
        _("The request body must be a JSON object.")
        if r.detail == "body"
        else _("Malformed visit: %(detail)s", detail=r.detail)
    ),
    "unknown_instrument": lambda r: DomainError(r.code, r.detail).message,
    "unknown_service": lambda r: DomainError(r.code, r.detail).message,
    "service_mismatch": lambda r: _("This service does not belong to the chosen OPD."),
    "own_opd": lambda r: refusal_message(r.refusal),
    "lockout": lambda r: refusal_message(r.refusal),
    "invalid": lambda r: _("Some answers need correcting: %(items)s", items=r.detail),
    "missing_photos": lambda r: _("Some photos have not arrived yet."),
    "uuid_taken": lambda r: _("This visit number belongs to someone else."),
    "conflict": lambda r: _(
        "The server already holds a different version of this visit. Open it, check "
        "the answers and ask your supervisor before sending again."
    ),
    "stale_revision": lambda r: _(
        "This correction does not follow the visit's current version on the server."
    ),
}


# A check's refusals: the visit's where they are the same, its own where not.
_CHECK_MESSAGES = {
    **_MESSAGES,
    "bad_request": lambda r: _("The request body must be a JSON object."),
    "malformed": lambda r: _("Some fields need correcting: %(items)s", items=r.detail),
    "not_own_opd": lambda r: _("You may assess only your own OPD."),
    "lockout": lambda r: probe_refusal_message(r.refusal),
    "unknown_opd": lambda r: DomainError("unknown_opd", r.detail).message,
    "unknown_channel": lambda r: _(
        "The instrument has no checklist for the channel %(channel)s.", channel=r.detail
    ),
    "unknown_plan": lambda r: _("This probe plan is not yours, or is for another OPD or channel."),
    "uuid_taken": lambda r: _("This check number belongs to someone else."),
    "conflict": lambda r: _(
        "The server already holds a different version of this check. Ask your supervisor "
        "before sending again."
    ),
}


def _refusal(refused: sync.Refused, messages: dict | None = None) -> ApiError:
    """The refusal as the API answers it: status, code, message and the fields' reasons."""
    extra = {}
    if refused.fields:
        extra["fields"] = {k: [str(m) for m in v] for k, v in refused.fields.items()}
    if refused.missing:
        extra["missing"] = refused.missing
    message = (messages or _MESSAGES)[refused.code](refused)
    return ApiError(refused.status, refused.code, message, **extra)
