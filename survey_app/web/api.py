"""Sync API for the offline field app: JSON under /api/v1, session auth plus CSRF.

A visit is posted with its client UUID; photos go first, keyed by SHA-256, so
an interrupted upload can be retried without duplicates. Every answer is
validated by the same WTForms fields as the web form. Documented in
docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid as uuid_mod

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from survey_app.core import photos
from survey_app.core.errors import DomainError
from survey_app.store import assignments as plans
from survey_app.store import records
from survey_app.store.connection import write_batched
from survey_app.web import forms
from survey_app.web.database import get_db
from survey_app.web.lockout import visit_refusal
from survey_app.web.roles import login_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")
_SHA = re.compile(r"^[0-9a-f]{64}$")
MAX_INSTRUMENTS = 20  # per visit; three are shipped


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
    opds = [dict(r) for r in db.execute("select id, slug, name from opds order by name")]
    services = [records.service(db, r["id"]) for r in db.execute("select id from services")]
    instruments = [
        {
            "id": i.id,
            "version": i.version,
            "title": i.title.get(g.lang),
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
    return jsonify(
        assignments=planned,
        user=user,
        opds=opds,
        services=services,
        instruments=instruments,
        refusals=refusals,
        csrf_token=generate_csrf(),
        server_date=dt.date.today().isoformat(),
    )


@bp.route("/session")
@login_required("evaluator")
def session_info():
    """Who is logged in, with a fresh CSRF token: asked before every sync."""
    return jsonify(user={"id": g.user["id"], "name": g.user["name"]}, csrf_token=generate_csrf())


@bp.route("/visits")
@login_required("evaluator")
def list_visits():
    """The evaluator's visits as the server holds them (status, review note)."""
    rows = get_db().execute(
        "select uuid, status, visit_date, opd_id, service_id, review_note, updated_at, revision "
        "from visits where evaluator_id = ? order by updated_at desc",
        [g.user["id"]],
    )
    return jsonify(visits=[dict(r) for r in rows])


@bp.route("/photos/<sha256>", methods=("HEAD", "GET"))
@login_required("evaluator")
def photo_status(sha256: str):
    """200 when the server already holds this photo, 404 otherwise."""
    found = (
        _SHA.match(sha256)
        and get_db().execute("select 1 from photos where sha256 = ?", [sha256]).fetchone()
    )
    return (jsonify(sha256=sha256, stored=True), 200) if found else (jsonify(stored=False), 404)


@bp.route("/photos/<sha256>", methods=("PUT",))
@login_required("evaluator")
def put_photo(sha256: str):
    """Store a photo under its SHA-256; the bytes must match it (else 400)."""
    if not _SHA.match(sha256):
        raise ApiError(400, "bad_hash", _("Not a photo hash: %(detail)s", detail=sha256[:80]))
    data = request.get_data(cache=False)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ApiError(
            400,
            "hash_mismatch",
            _("The photo arrived incomplete or damaged; it will be sent again."),
        )
    db = get_db()
    if db.execute("select 1 from photos where sha256 = ?", [sha256]).fetchone():
        return jsonify(sha256=sha256, stored=True), 200
    try:
        data, mime, width, height = photos.check(
            data, current_app.config["MAX_PHOTO_BYTES"], downscale=False
        )
    except photos.PhotoRejected as exc:
        raise ApiError(400, "bad_photo", str(exc)) from None
    photo_dir = current_app.config["PHOTOS_DIR"]
    records.store_photo(db, photo_dir, data, mime, width, height, digest=sha256)
    return jsonify(sha256=sha256, stored=True), 201


@bp.route("/visits", methods=("POST",))
@login_required("evaluator")
def post_visit():
    """Store a submitted visit once: 201 new, 200 harmless resend, 409 conflict."""
    visit = _parse_visit(_json_body())
    db, user_id = get_db(), g.user["id"]
    row = _stored(db, visit["uuid"])
    if row and _is_resend(row, visit, user_id):
        return _resend(db, row, visit)
    insts = _instruments(db, visit["instruments"])
    svc = _check_place(db, visit)
    answers = _clean(insts, visit["answers"], visit["photos"])
    _check_photos(db, visit["photos"])
    prepared = records.prepare_visit(
        db,
        {**visit, "answers": answers, "evaluator_id": user_id, "status": "submitted"},
        insts,
        svc,
        content_hash=visit["hash"],
        revision=visit["revision"],
    )
    # Written in the write lock after looking again, so of two tablets (or
    # tabs) sending the same visit at once exactly one stores it.
    outcome, row = write_batched(db, lambda conn: _write(conn, visit, prepared, user_id))
    if outcome == "repeat":
        return _repeat(row)
    if outcome in _REFUSALS:
        raise ApiError(409, outcome, _REFUSALS[outcome]())
    if not row and visit["assignment_id"] is not None:
        plans.link_visit(db, visit["assignment_id"], visit["uuid"], user_id)
    return jsonify(
        uuid=visit["uuid"],
        status="submitted",
        stored=True,
        revision=visit["revision"],
        photos=[p["sha256"] for p in visit["photos"]],
    ), 201


@bp.route("/visits/<visit_uuid>")
@login_required("evaluator")
def get_visit(visit_uuid: str):
    """One of the evaluator's visits in full, to correct a returned one on the tablet."""
    try:
        record = records.visit(get_db(), visit_uuid)
    except DomainError as exc:
        raise ApiError(404, "unknown_visit", exc.message) from None
    if record["evaluator_id"] != g.user["id"]:
        raise ApiError(403, "forbidden", _("You are not allowed to open this page."))
    keep = (
        "uuid",
        "opd_id",
        "service_id",
        "visit_date",
        "status",
        "revision",
        "review_note",
        "instruments",
        "answers",
        "notes",
    )
    photos_out = [
        {k: p[k] for k in ("sha256", "instrument_id", "item_id", "captured_at")}
        for p in record["photos"]
    ]
    return jsonify({**{k: record[k] for k in keep}, "photos": photos_out})


def _stored(db, visit_uuid: str):
    return db.execute(
        "select uuid, evaluator_id, status, revision, content_hash from visits where uuid = ?",
        [visit_uuid],
    ).fetchone()


def content_hash(visit: dict) -> str:
    """What a tablet sent, canonically hashed (photos apart: a resend may add them)."""
    keys = ("opd_id", "service_id", "visit_date", "instruments", "answers")
    canonical = json.dumps({k: visit[k] for k in keys}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _is_resend(row, visit: dict, user_id: int) -> bool:
    return row["evaluator_id"] == user_id and row["content_hash"] == visit["hash"]


def _resend(db, row, visit: dict):
    """The same content again: store nothing twice, only link photos it lacked."""
    _check_photos(db, visit["photos"])
    _attach_photos(db, row["uuid"], visit["photos"])
    return _repeat(row)


def _repeat(row):
    return jsonify(
        uuid=row["uuid"], status=row["status"], revision=row["revision"], stored=True, repeat=True
    ), 200


def _attach_photos(db, visit_uuid: str, pics: list[dict], captions: bool = False) -> None:
    for pic in pics:
        records.attach_photo(
            db,
            visit_uuid,
            pic["sha256"],
            pic.get("instrument_id") or "",
            pic.get("item_id") or "",
            caption=str(pic.get("caption") or "")[:200] if captions else "",
            captured_at=pic.get("captured_at"),
        )


# Why a visit that is already on the server is refused, by code (translated
# in the request's own thread: _write may run on another request's thread).
_REFUSALS = {
    "uuid_taken": lambda: _("This visit number belongs to someone else."),
    "conflict": lambda: _(
        "The server already holds a different version of this visit. Open it, check "
        "the answers and ask your supervisor before sending again."
    ),
    "stale_revision": lambda: _(
        "This correction does not follow the visit's current version on the server."
    ),
}


def _write(db, visit: dict, prepared: dict, user_id: int) -> tuple[str, object]:
    """Store the visit, a correction of it, or nothing: (outcome, the row found before).

    Runs in db.write_batched: only the arguments, no request or translations.
    The outcome is "stored", "revised", "repeat" (the same content again,
    only photos it lacked linked) or one of _REFUSALS.
    """
    row = _stored(db, visit["uuid"])
    if row is None:
        _store(db, visit, prepared, user_id)
        return "stored", None
    if _is_resend(row, visit, user_id):
        _attach_photos(db, row["uuid"], visit["photos"])
        return "repeat", row
    if row["evaluator_id"] != user_id:
        return "uuid_taken", row
    if row["status"] == "returned" and visit["revision"] == row["revision"] + 1:
        before = records.visit(db, row["uuid"])
        records.audit(
            db,
            user_id,
            "revise",
            "visit",
            row["uuid"],
            {
                "from_revision": row["revision"],
                "to_revision": visit["revision"],
                "previous_answers": before["answers"],
            },
        )
        _store(db, visit, prepared, user_id)
        return "revised", row
    return ("conflict" if visit["revision"] <= row["revision"] else "stale_revision"), row


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", _("The request body must be a JSON object."))
    return body


def _parse_visit(body: dict) -> dict:
    """Check the shape of a posted visit; 400 with a message when it is malformed."""
    problem = _shape_problem(body)
    if problem:
        raise ApiError(400, "bad_request", _("Malformed visit: %(detail)s", detail=problem))
    visit = {
        "uuid": str(uuid_mod.UUID(body["uuid"])),
        "opd_id": body["opd_id"],
        "service_id": body["service_id"],
        "visit_date": body["visit_date"],
        "instruments": [{"id": i["id"], "version": i["version"]} for i in body["instruments"]],
        "answers": body.get("answers") or {},
        "notes": body.get("notes") or {},
        "photos": body.get("photos") or [],
        "revision": body.get("revision", 1),
    }
    visit["hash"] = content_hash(visit)
    # Which assignment it was started from: bookkeeping, not content (not hashed).
    visit["assignment_id"] = body.get("assignment_id")
    return visit


def _shape_problem(body: dict) -> str | None:
    try:
        uuid_mod.UUID(str(body.get("uuid")))
    except ValueError:
        return "uuid"
    for key in ("opd_id", "service_id"):
        if not isinstance(body.get(key), int) or isinstance(body.get(key), bool):
            return key
    try:
        day = dt.date.fromisoformat(str(body.get("visit_date")))
    except ValueError:
        return "visit_date"
    if day > dt.date.today() + dt.timedelta(days=1):
        return "visit_date"
    insts = body.get("instruments")
    if (
        not isinstance(insts, list)
        or not insts
        or len(insts) > MAX_INSTRUMENTS
        or not all(
            isinstance(i, dict)
            and isinstance(i.get("id"), str)
            and isinstance(i.get("version"), int)
            for i in insts
        )
    ):
        return "instruments"
    if not isinstance(body.get("answers", {}), dict):
        return "answers"
    notes = body.get("notes") or {}
    if not isinstance(notes, dict) or not all(
        isinstance(per_item, dict)
        # a note is bounded like a text answer
        and all(
            n is None or (isinstance(n, str) and len(n) <= forms.TEXT_MAX)
            for n in per_item.values()
        )
        for per_item in notes.values()
    ):
        return "notes"
    revision = body.get("revision", 1)
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        return "revision"
    pics = body.get("photos", [])
    if not isinstance(pics, list) or not all(
        isinstance(p, dict) and _SHA.match(str(p.get("sha256", ""))) for p in pics
    ):
        return "photos"
    return None


def _instruments(db, refs: list[dict]) -> list:
    try:
        return records.instruments(db, [(r["id"], r["version"]) for r in refs])
    except DomainError as exc:
        raise ApiError(422, "unknown_instrument", exc.message) from None


def _check_place(db, visit: dict) -> dict:
    """The visit's service, when the evaluator may visit its OPD now; ApiError if not."""
    try:
        svc = records.service(db, visit["service_id"])
    except DomainError as exc:
        raise ApiError(422, "unknown_service", exc.message) from None
    if svc["opd_id"] != visit["opd_id"]:
        raise ApiError(
            422, "service_mismatch", _("This service does not belong to the chosen OPD.")
        )
    refusal = visit_refusal(db, visit["opd_id"], exclude_uuid=visit["uuid"])
    if refusal:
        code = "own_opd" if g.user["opd_id"] == visit["opd_id"] else "lockout"
        raise ApiError(403, code, refusal)
    return svc


def _clean(insts: list, answers: dict, pics: list[dict]) -> dict:
    """Validate every instrument's answers and required items; 422 listing the problems."""
    cleaned, problems = {}, {}
    for inst in insts:
        given = answers.get(inst.id) or {}
        if not isinstance(given, dict):
            raise ApiError(400, "bad_request", _("Malformed visit: %(detail)s", detail=inst.id))
        cleaned[inst.id], errors = forms.clean_answers(inst, given)
        with_photos = {p.get("item_id") for p in pics if p.get("instrument_id") == inst.id}
        for item in forms.missing_required(inst, cleaned[inst.id], with_photos):
            errors.setdefault(item.id, []).append(_("This field is required."))
        problems.update({f"{inst.id}.{k}": v for k, v in errors.items()})
    if problems:
        raise ApiError(
            422,
            "invalid",
            _("Some answers need correcting: %(items)s", items=", ".join(sorted(problems))),
            fields=problems,
        )
    return cleaned


def _check_photos(db, pics: list[dict]) -> None:
    missing = [
        p["sha256"]
        for p in pics
        if not db.execute("select 1 from photos where sha256 = ?", [p["sha256"]]).fetchone()
    ]
    if missing:
        raise ApiError(
            409, "missing_photos", _("Some photos have not arrived yet."), missing=missing
        )


def _store(db, visit: dict, prepared: dict, user_id: int) -> None:
    """Visit, answers, photo links and submitted status, in the caller's transaction.

    No scores: a submitted visit is scored when read (records.REVIEWED).
    """
    records.write_visit(db, prepared, user_id)
    _attach_photos(db, visit["uuid"], visit["photos"], captions=True)
    records.audit(db, user_id, "submitted", "visit", visit["uuid"], {"revision": visit["revision"]})
