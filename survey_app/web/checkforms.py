"""Checks filled in online (desk reviews, self-assessments): one form per instrument.

Shared by the blueprints that take a check from a browser rather than from the
tablet: the OPD's self-assessment (web/opd.py) and the supervisor's desk review
(web/desk.py). The answers go through the field forms' one validator
(forms.clean_answers, required items by forms.missing_required), photos
through the upload checks and the photo store, and the check through
store.checks.receive, exactly as POST /api/v1/checks stores one: once, the
same form sent twice is a harmless repeat. A refused form comes back with
what was typed and the photos already kept.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuid_mod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, render_template, request
from flask_babel import gettext as _

from survey_app.core import photos, sync
from survey_app.core.checks import instrument_for
from survey_app.core.instruments import Instrument
from survey_app.store import check_views, records
from survey_app.store import checks as check_store
from survey_app.web import forms
from survey_app.web.database import get_db

WHOLE = ""  # photos of the whole check, not of one item


@dataclass
class Filled:
    """A check form as shown: the WTForms form, the photos kept, what went wrong."""

    inst: Instrument
    form: Any
    uuid: str
    photos: dict[str, list[str]] = field(default_factory=dict)  # item id ('' whole) -> hashes
    errors: dict[str, list[str]] = field(default_factory=dict)  # item id -> messages
    message: str | None = None
    stored: str | None = None  # the check's uuid once stored


def part(inst: Instrument, channel: str | None) -> Instrument:
    """What a check answers of its instrument: a probe's channel, else all of it."""
    return instrument_for(inst, channel)


def detail(check: dict, photo_url: Callable[[str], str], back: str, back_label: str) -> str:
    """One stored check read back: its answers by its instrument (a probe's channel), evidence."""
    db = get_db()
    inst = records.instrument(db, check["instrument_id"], check["instrument_version"])
    return render_template(
        "checks/detail.html",
        check=check,
        inst=part(inst, check["channel"]),
        assessor=check_views.assessor_name(db, check["uuid"]),
        photo_url=photo_url,
        back=back,
        back_label=back_label,
    )


def blank(inst: Instrument) -> Filled:
    """A new, empty form with a fresh check UUID (sent back with it: a resend is a repeat)."""
    form = forms.form_class(inst, inst.items, "check")(formdata=None)
    return Filled(inst, form, str(uuid_mod.uuid4()))


def _kept_photos(inst: Instrument) -> dict[str, list[str]]:
    """The photos a refused form already kept, as posted back (only this user's own)."""
    db, kept = get_db(), {}
    keys = [WHOLE, *(i.id for i in inst.items if i.takes_photos)]
    for key in keys:
        for digest in request.form.getlist(f"kept-photo-{key}")[: sync.MAX_PHOTOS]:
            if records.holds_photo(db, digest, g.user["id"]):
                kept.setdefault(key, []).append(digest)
    return kept


def _new_photos(inst: Instrument, kept: dict[str, list[str]], errors: dict) -> None:
    """Check and store the files sent with the form; a refused file is an error on its item."""
    db, cfg = get_db(), current_app.config
    keys = [WHOLE, *(i.id for i in inst.items if i.takes_photos)]
    for key in keys:
        for upload in request.files.getlist(f"photo-{key}"):
            data = upload.read()
            if not data:
                continue
            try:
                checked, mime, width, height = photos.check(data, cfg["MAX_PHOTO_BYTES"])
            except photos.PhotoRejected as exc:
                errors.setdefault(key or "photos", []).append(str(exc))
                continue
            digest = records.store_photo(
                db, cfg["PHOTOS_DIR"], checked, mime, width, height, holder_id=g.user["id"]
            )
            if digest not in kept.get(key, []):
                kept.setdefault(key, []).append(digest)


def submit(inst: Instrument, kind: str, opd_id: int, extra: dict[str, Any] | None = None) -> Filled:
    """Read the posted form and store it as a check of `kind` for the OPD, or say why not.

    `inst` is the part answered (a probe's channel); `extra` adds to the payload
    (a probe's channel and times). The check's date is the server's today unless
    `extra` gives one; who made it and whether it is a self-assessment are the
    store's to decide from the logged-in user.
    """
    form = forms.form_class(inst, inst.items, "check")(formdata=request.form)
    form.validate()
    check_uuid = _uuid(request.form.get("check_uuid"))
    filled = Filled(inst, form, check_uuid)
    filled.photos = _kept_photos(inst)
    _new_photos(inst, filled.photos, filled.errors)
    answers = {k: v for k, v in forms.answers_from(form, inst).items() if v is not None}
    payload = {
        "uuid": check_uuid,
        "kind": kind,
        "opd_id": opd_id,
        "instrument": {"id": inst.id, "version": inst.version},
        "answers": answers,
        "notes": {},
        "check_date": dt.date.today().isoformat(),
        "photos": [
            {"sha256": digest, "item_id": key}
            for key, digests in filled.photos.items()
            for digest in digests
        ],
        **(extra or {}),
    }
    if filled.errors:
        filled.message = _("Some answers need correcting.")
        return filled
    cfg = current_app.config
    limits = (cfg["LOCKOUT_MIN_DAYS"], cfg["LOCKOUT_MAX_PER_QUARTER"])
    try:
        check_store.receive(get_db(), payload, g.user, limits, forms.check_answers)
    except sync.Refused as refused:
        filled.errors = {k: [str(m) for m in v] for k, v in refused.fields.items()}
        filled.message = _refusal_message(refused)
        return filled
    filled.stored = check_uuid
    return filled


def _uuid(value: str | None) -> str:
    try:
        return str(uuid_mod.UUID(str(value)))
    except ValueError:
        return str(uuid_mod.uuid4())


def _refusal_message(refused: sync.Refused) -> str:
    if refused.code == "not_own_opd":
        return _("You may assess only your own OPD.")
    if refused.code in ("conflict", "uuid_taken"):
        return _("This form was already sent with other answers. Open a new form.")
    if refused.fields:
        return _("Some answers need correcting.")
    return _("The check was not stored: %(reason)s", reason=refused.code)


def field_errors(filled: Filled) -> dict[str, list[str]]:
    """Errors by item id for the template (form fields' own, then the store's)."""
    out: dict[str, list[str]] = {}
    for item in filled.inst.items:
        if item.type != "photo":
            out[item.id] = list(filled.form[forms.field_name(filled.inst, item)].errors)
        out.setdefault(item.id, [])
        out[item.id] += [e for e in filled.errors.get(item.id, []) if e not in out[item.id]]
    return out
