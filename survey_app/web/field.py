"""The evaluator's visit on a tablet: start, fill section by section, photos, submit."""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuid_mod

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _

from survey_app.core import evidence, photos, scoring
from survey_app.core.errors import DomainError
from survey_app.store import assignments as plans
from survey_app.store import opds as opd_store
from survey_app.store import records, visit_lists
from survey_app.web import forms
from survey_app.web.database import get_db
from survey_app.web.lockout import visit_refusal
from survey_app.web.roles import login_required

bp = Blueprint("field", __name__, url_prefix="/visits")
EDITABLE = ("draft", "returned")


def get_visit(visit_uuid: str, editable: bool = False) -> dict:
    """The visit if this user may see it (404 unknown, 403 not theirs or read-only)."""
    try:
        record = records.visit(get_db(), visit_uuid)
    except DomainError:
        abort(404)
    own = record["evaluator_id"] == g.user["id"]
    if not own and g.user["role"] == "evaluator":
        abort(403)
    if editable and (not own or record["status"] not in EDITABLE):
        abort(403)
    return record


def screens(record: dict) -> list[tuple]:
    """The visit's screens: one per (instrument, section), in the order asked."""
    return [
        (inst, section)
        for inst in records.visit_instruments(get_db(), record)
        for section in inst.sections
    ]


@bp.route("/")
@login_required("evaluator")
def index():
    """The evaluator's visits grouped by status."""
    rows = visit_lists.of_evaluator(get_db(), g.user["id"])
    groups = {
        status: [r for r in rows if r["status"] == status]
        for status in ("returned", "draft", "submitted", "approved", "rejected")
    }
    planned = plans.for_evaluator(get_db(), g.user["id"], dt.date.today(), g.lang)
    return render_template("field/index.html", groups=groups, assignments=planned)


@bp.route("/new", methods=("GET", "POST"))
@login_required("evaluator")
def start():
    """Pick OPD, service and instruments; refuse the evaluator's own OPD."""
    db = get_db()
    form = forms.StartVisitForm()
    _fill_start_choices(form, db)
    if request.method == "GET":
        form.visit_date.data = dt.date.today()
        form.instruments.data = [c.value for c in form.instruments.choices]
        prefill(db, form, request.args.get("assignment"), g.user["id"])
    elif form.validate_on_submit():
        if _start_allowed(form, db):
            visit_uuid = str(uuid_mod.uuid4())
            records.save_visit(
                db,
                {
                    "uuid": visit_uuid,
                    "opd_id": form.opd.data,
                    "service_id": form.service.data,
                    "evaluator_id": g.user["id"],
                    "visit_date": form.visit_date.data.isoformat(),
                    "instruments": [_instrument_ref(i) for i in form.instruments.data],
                    "answers": {},
                    "status": "draft",
                },
                g.user["id"],
            )
            plans.link_visit(db, request.args.get("assignment"), visit_uuid, g.user["id"])
            return redirect(url_for("field.section", visit_uuid=visit_uuid, n=0))
    status = 400 if form.errors else 200
    return render_template("field/start.html", form=form, services=_services_data(db)), status


def _fill_where(form, db) -> None:
    """OPD and service choices behind a placeholder, so neither is ever chosen by default."""
    opds = [(r["id"], r["name"]) for r in opd_store.names(db)]
    form.opd.choices = forms.choices([("", _("Choose an OPD…")), *opds])
    services = sorted(opd_store.services(db), key=lambda s: s["name"])  # by name, not by OPD
    form.service.choices = forms.choices(
        [("", _("Choose a service…")), *((r["id"], r["name"]) for r in services)]
    )


def _services_data(db) -> list[dict]:
    """Each service's id, OPD and name, for start.js to offer only the chosen OPD's."""
    return [{k: s[k] for k in ("id", "opd_id", "name")} for s in opd_store.services(db)]


def _fill_start_choices(form, db) -> None:
    _fill_where(form, db)
    form.instruments.choices = forms.choices(
        (f"{i.id}:{i.version}", i.title.get(g.lang)) for i in records.current_instruments(db)
    )


def _start_allowed(form, db, visit_uuid: str | None = None) -> bool:
    """The own-OPD, lockout and service-of-OPD rules; `visit_uuid` when changing that visit."""
    svc = records.service(db, form.service.data)
    if svc["opd_id"] != form.opd.data:
        form.service.errors.append(_("This service does not belong to the chosen OPD."))
        return False
    refusal = visit_refusal(db, form.opd.data, visit_uuid)
    if refusal:
        form.opd.errors.append(refusal)
        return False
    return True


def _instrument_ref(value: str) -> dict:
    inst_id, version = value.rsplit(":", 1)
    return {"id": inst_id, "version": int(version)}


@bp.route("/<visit_uuid>/discard", methods=("GET", "POST"))
@login_required("evaluator")
def discard(visit_uuid: str):
    """Confirm, then delete one of the evaluator's own drafts (never a sent visit)."""
    record = get_visit(visit_uuid, editable=True)
    if record["status"] != "draft":
        abort(403)
    # Only the confirmation page's own button deletes (CSRF is checked before this runs).
    if request.method == "POST" and request.form.get("confirm") == "discard":
        records.discard_draft(get_db(), visit_uuid, g.user["id"])
        flash(_("Draft discarded."), "success")
        return redirect(url_for("field.index"))
    db = get_db()
    opd, service = opd_store.by_id(db, record["opd_id"]), records.service(db, record["service_id"])
    return render_template("field/discard.html", record=record, opd=opd, service=service)


@bp.route("/<visit_uuid>/s/<int:n>", methods=("GET", "POST"))
@login_required("evaluator")
def section(visit_uuid: str, n: int):
    """Fill one section; a POST saves what is valid and keeps what was typed."""
    record = get_visit(visit_uuid, editable=True)
    all_screens = screens(record)
    if not 0 <= n < len(all_screens):
        abort(404)
    inst, sec = all_screens[n]
    stored = record["answers"].get(inst.id, {})
    if request.method == "GET":
        stored = _with_narrative(record, sec, stored)
    form = forms.section_form(
        inst, sec, request.form if request.method == "POST" else None, data=stored
    )
    if request.method == "POST":
        valid = form.validate()
        record["notes"] = _notes_from(request.form, inst, sec, record["notes"])
        _save_section(record, inst, sec, form)
        if request.form.get("autosave"):
            return jsonify(saved=True, errors=form.errors)
        if valid:
            return redirect(_next_url(request.form.get("go"), visit_uuid, n, len(all_screens)))
    return render_template(
        "field/section.html",
        record=record,
        inst=inst,
        section=sec,
        form=form,
        n=n,
        screens=all_screens,
        answers=stored,
        notes=record["notes"],
        photos=_photos_by_item(record),
        standard=records.service(get_db(), record["service_id"]),
        header=visit_header(record),
    ), (400 if form.errors else 200)


def visit_header(record: dict, scores: dict | None = None) -> dict:
    """What the header on every screen of a visit shows: where, the standard, times, fee.

    `scores`: the visit's, when the caller has them already (else scored here).
    """
    db = get_db()
    if scores is None:
        scores = records.score_visit(db, record)  # always against the visit's current service
    return {
        "opd": opd_store.name(db, record["opd_id"]),
        "service": records.service(db, record["service_id"]),
        "timing": scores["timing"],
        "fee": scores["fee"],
        "editable": record["status"] in EDITABLE and record["evaluator_id"] == g.user["id"],
    }


@bp.route("/<visit_uuid>/where", methods=("GET", "POST"))
@login_required("evaluator")
def change_where(visit_uuid: str):
    """Change a draft or returned visit's OPD and service: the start form's rules, confirmed."""
    record, db = get_visit(visit_uuid, editable=True), get_db()
    form = forms.WhereForm()
    _fill_where(form, db)
    back = request.values.get("back", "")
    changed = None
    if request.method == "GET":
        form.opd.data, form.service.data = record["opd_id"], record["service_id"]
    elif form.validate_on_submit() and _start_allowed(form, db, visit_uuid):
        changed = {"opd_id": form.opd.data, "service_id": form.service.data}
        if request.form.get("confirm") == "yes":
            records.save_visit(db, {**record, **changed}, g.user["id"])
            flash(_("OPD and service changed; the visit is checked against the new standard."))
            return redirect(_back_url(back, record))
    return render_template(
        "field/where.html",
        form=form,
        record=record,
        header=visit_header(record),
        services=_services_data(db),
        changed=changed and _where_names(db, changed),
        back=back,
    ), (400 if form.errors else 200)


def _where_names(db, changed: dict) -> dict:
    """The names of a chosen OPD and service, for the confirmation."""
    svc = records.service(db, changed["service_id"])
    return {**svc, "opd": opd_store.name(db, changed["opd_id"])}


def _back_url(back: str, record: dict) -> str:
    """The screen the change was asked from: a section number, else the send screen."""
    if back.isdigit() and int(back) < len(screens(record)):
        return url_for("field.section", visit_uuid=record["uuid"], n=int(back))
    return url_for("field.review", visit_uuid=record["uuid"])


def _save_section(record: dict, inst, sec, form) -> None:
    """Merge the valid fields of a section into the stored answers."""
    posted = forms.answers_from(form, inst, sec)
    answers = dict(record["answers"].get(inst.id, {}))
    for item_id, value in posted.items():
        if form[forms.field_name(inst, inst.item(item_id))].errors:
            continue
        if value is None:
            answers.pop(item_id, None)
        else:
            answers[item_id] = value
    record["answers"][inst.id] = answers
    records.save_visit(get_db(), {**record, "status": record["status"]}, g.user["id"])


def _notes_from(posted, inst, sec, notes: dict) -> dict:
    """The visit's notes with this section's details (of checkable items) as posted."""
    kept = {inst_id: dict(per_item) for inst_id, per_item in notes.items()}
    for item in sec.items:
        text = posted.get(f"note-{forms.field_name(inst, item)}")
        if item.checkable and text is not None:
            kept.setdefault(inst.id, {})[item.id] = text.strip()[: forms.TEXT_MAX] or None
    return kept


def _with_narrative(record: dict, sec, stored: dict) -> dict:
    """Stored answers with the narrative drafted from the failing details, while untouched.

    Untouched: empty, or exactly the draft last offered (its hash is kept in the
    session), so what the evaluator typed is never overwritten.
    """
    item = evidence.narrative_item(sec.items)
    if item is None:
        return stored
    key = f"narrative:{record['uuid']}"
    current = stored.get(item.id) or ""
    if current and evidence.fingerprint(current) != session.get(key):
        return stored
    insts = records.visit_instruments(get_db(), record)
    draft = evidence.narrative_draft(insts, record["answers"], record["notes"], g.lang)
    if not draft:
        return stored
    session[key] = evidence.fingerprint(draft)
    return {**stored, item.id: draft}


def _next_url(go: str | None, visit_uuid: str, n: int, total: int) -> str:
    if go == "prev" and n > 0:
        return url_for("field.section", visit_uuid=visit_uuid, n=n - 1)
    if go == "next" and n + 1 < total:
        return url_for("field.section", visit_uuid=visit_uuid, n=n + 1)
    if go and go.isdigit() and int(go) < total:
        return url_for("field.section", visit_uuid=visit_uuid, n=int(go))
    return url_for("field.review", visit_uuid=visit_uuid)


def _photos_by_item(record: dict) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for photo in record["photos"]:
        key = f"{photo['instrument_id']}__{photo['item_id']}" if photo["item_id"] else ""
        grouped.setdefault(key, []).append(photo)
    return grouped


@bp.route("/<visit_uuid>/review", methods=("GET", "POST"))
@login_required("evaluator", "supervisor", "admin")
def review(visit_uuid: str):
    """Summary: unanswered required items as links; submit when none are left."""
    record = get_visit(visit_uuid)
    missing = _missing(record)
    if request.method == "POST":
        record = get_visit(visit_uuid, editable=True)
        if not missing:
            records.set_status(get_db(), visit_uuid, "submitted", g.user["id"])
            flash(_("Visit submitted. Thank you!"), "success")
            return redirect(url_for("field.index"))
    scores = records.score_visit(get_db(), record)
    return render_template(
        "field/review.html",
        record=record,
        missing=missing,
        screens=screens(record),
        scores=scores,
        failed=_failed(record, scores),
        header=visit_header(record, scores),
        refused=request.method == "POST",
    ), (400 if request.method == "POST" else 200)


def _failed(record: dict, scores: dict) -> list[tuple[str, str | None]]:
    """(label, link to its field or None) of each failed item, the standard's included."""
    where = {
        (inst.id, item.id): (n, inst, item)
        for n, (inst, sec) in enumerate(screens(record))
        for item in sec.items
    }
    standard = scoring.standard_items()
    out = []
    for key in scores["compliance"]["failed"]:
        if key in standard:
            out.append((standard[key].label.get(g.lang), None))
            continue
        n, inst, item = where[tuple(key.split(".", 1))]
        link = url_for("field.section", visit_uuid=record["uuid"], n=n)
        out.append((item.label.get(g.lang), f"{link}#item-{inst.id}__{item.id}"))
    return out


def _missing(record: dict) -> list[tuple[int, object, object]]:
    """(screen number, instrument, item) for each shown required item left empty."""
    found = []
    items_with_photos = {p["item_id"] for p in record["photos"] if p["item_id"]}
    for n, (inst, sec) in enumerate(screens(record)):
        answers = record["answers"].get(inst.id, {})
        section_ids = {i.id for i in sec.items}
        for item in forms.missing_required(inst, answers, items_with_photos):
            if item.id in section_ids:
                found.append((n, inst, item))
    return found


@bp.route("/<visit_uuid>/photos", methods=("POST",))
@login_required("evaluator")
def upload_photo(visit_uuid: str):
    """Keep an evidence photo (already downscaled by the browser) for an item."""
    record = get_visit(visit_uuid, editable=True)
    upload = request.files.get("photo")
    inst_id, _sep, item_id = (request.form.get("item") or "").partition("__")
    if item_id and not _photo_allowed(record, inst_id, item_id):
        return jsonify(error=_("This item does not take photos.")), 400
    try:
        data, mime, width, height = photos.check(
            upload.read() if upload else b"", current_app.config["MAX_PHOTO_BYTES"]
        )
    except photos.PhotoRejected as exc:
        return jsonify(error=str(exc)), 400
    db = get_db()
    digest = records.store_photo(
        db, current_app.config["PHOTOS_DIR"], data, mime, width, height, holder_id=g.user["id"]
    )
    records.attach_photo(
        db,
        visit_uuid,
        digest,
        inst_id if item_id else "",
        item_id,
        caption=(request.form.get("caption") or "")[:200],
    )
    return jsonify(
        sha256=digest, url=url_for("field.photo", digest=digest), width=width, height=height
    ), 201


def _photo_allowed(record: dict, inst_id: str, item_id: str) -> bool:
    for inst in records.visit_instruments(get_db(), record):
        if inst.id == inst_id:
            try:
                item = inst.item(item_id)
            except KeyError:
                return False
            return item.takes_photos
    return False


@bp.route("/<visit_uuid>/photos/<digest>/delete", methods=("POST",))
@login_required("evaluator")
def delete_photo(visit_uuid: str, digest: str):
    """Remove a photo from this visit (the file stays if another visit uses it)."""
    get_visit(visit_uuid, editable=True)
    records.detach_photo(get_db(), visit_uuid, digest, request.form.get("item_id", ""))
    if request.accept_mimetypes.best == "application/json" or request.form.get("js"):
        return jsonify(deleted=digest)
    return redirect(request.referrer or url_for("field.review", visit_uuid=visit_uuid))


@bp.route("/photo/<digest>")
@login_required("evaluator", "supervisor", "admin")
def photo(digest: str):
    """Serve a stored photo to its evaluator or to reviewers."""
    db = get_db()
    row = records.photo(db, digest)
    if row is None:
        abort(404)
    if g.user["role"] == "evaluator" and not records.photo_used_by(db, digest, g.user["id"]):
        abort(403)
    response = send_file(
        records.photo_path(current_app.config["PHOTOS_DIR"], digest),
        mimetype=row["mime"],
    )
    # Evidence: never kept by a shared tablet's cache for the next user to see.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def prefill(db, form, assignment_id, evaluator_id: int) -> None:
    """Fill the start-visit form from one of the evaluator's assignments."""
    found = plans.own(db, assignment_id, evaluator_id)
    if found is None:
        return
    wanted = set(json.loads(found["instruments"] or "[]"))
    form.opd.data, form.service.data = found["opd_id"], found["service_id"]
    form.instruments.data = [
        c.value for c in form.instruments.choices if c.value.split(":")[0] in wanted
    ]
