"""What the sync API accepts as a visit, and what becomes of one already stored (pure).

No Flask, no SQL, no request: what the server knows comes in through a
`Known` (store/sync.py gives the database's), the answer rules through a
`CheckAnswers` (the web form's fields, web/api.py). So an import can check a
visit exactly as the sync API does: `validate_visit(payload, known, check, today)`.

A refusal is a `Refused`: status, code and the parts of a message; the
caller words it in the user's language. Per-field reasons are marked here
and translated when shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid as uuid_mod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from survey_app.core.errors import DomainError
from survey_app.core.i18n import N_, LazyText, lazy
from survey_app.core.instruments import Instrument
from survey_app.core.rules import Refusal
from survey_app.core.visit import Visit

MAX_INSTRUMENTS = 20  # per visit; three are shipped
MAX_PHOTOS = 200  # per visit: 100,000 links once made a 28.6 MB review page
MAX_ID = 2**63 - 1  # SQLite's largest integer: beyond it a lookup fails, not refuses
TEXT_MAX = 5000  # a note is bounded like a text answer (web/forms.TEXT_MAX)
# No visit of this programme is older, and a year 1 or 1900 is a blank or a
# broken clock; one day ahead because the tablet's day (WIB, UTC+7) starts
# seven hours before the server's when it runs on UTC.
EARLIEST = dt.date(2000, 1, 1)
AHEAD = dt.timedelta(days=1)
# Strict ISO 8601 (extended format): date.fromisoformat alone also takes
# 20261120 and 2026-W48-3, which are stored as sent and fall in no period.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
_SHA = re.compile(r"[0-9a-f]{64}")
# The times of a visit in the order they happen; a later one may not be earlier.
TIME_ORDER = ("arrival", "ticket", "service_start", "service_end")

REASONS = {
    "date_format": N_("Not a date as YYYY-MM-DD."),
    "date_window": N_("The date must lie between %(earliest)s and %(latest)s."),
    "datetime_format": N_("Not a date and time in ISO 8601 (YYYY-MM-DDTHH:MM:SS+07:00)."),
    "time_order": N_("This time is earlier than %(other)s (%(time)s)."),
}

# The decisions on a visit whose UUID the server may already hold.
NEW, REPEAT, REVISE = "store", "repeat", "revise"
REFUSED_STORED = ("uuid_taken", "conflict", "stale_revision")


class Refused(Exception):
    """A visit not accepted: HTTP status, machine code and what its message needs.

    `detail` names the problem (a field, an instrument); `fields` maps a
    field to its reasons; `missing` lists photo hashes; `refusal` is the
    lockout judgement behind an own_opd or lockout refusal.
    """

    def __init__(self, status: int, code: str, detail: str = "", **extra: Any) -> None:
        super().__init__(f"{code}: {detail}")
        self.status, self.code, self.detail = status, code, detail
        self.fields: dict[str, list] = extra.get("fields", {})
        self.missing: list[str] = extra.get("missing", [])
        self.refusal: Refusal | None = extra.get("refusal")


class Known(Protocol):
    """What the server holds that a visit is checked against."""

    def instruments(self, refs: Sequence[tuple[str, int]]) -> list[Instrument]:
        """The instrument versions, in order; DomainError names an unknown one."""

    def service(self, service_id: int) -> Mapping[str, Any]:
        """The service with its OPD id; DomainError when unknown."""

    def refusal(self, visit: Visit) -> Refusal | None:
        """Why the visit's evaluator may not visit its OPD now, or None."""


# (instrument, its given answers, items with a photo) -> (cleaned answers, errors by item)
CheckAnswers = Callable[[Instrument, Mapping[str, Any], set[str]], tuple[dict, dict]]


@dataclass(frozen=True)
class Accepted:
    """A visit that passed every check: answers cleaned, with what it was checked on."""

    visit: Visit
    instruments: list[Instrument]
    service: Mapping[str, Any]


def validate_visit(
    payload: Any,
    known: Known,
    check_answers: CheckAnswers,
    today: dt.date,
    evaluator_id: int | None = None,
) -> Accepted:
    """A posted visit checked exactly as the sync API checks it; Refused if it fails."""
    return check_visit(read_visit(payload, today, evaluator_id), known, check_answers)


def read_visit(payload: Any, today: dt.date, evaluator_id: int | None = None) -> Visit:
    """The submitted visit in a posted body, shape, types and dates checked; else Refused (400)."""
    if not isinstance(payload, dict):
        raise Refused(400, "bad_request", "body")
    problem = _shape_problem(payload, today)
    if problem:
        name, reason = problem
        raise Refused(400, "bad_request", name, fields={name: [reason]} if reason else {})
    payload = {**payload, "uuid": str(uuid_mod.UUID(payload["uuid"]))}
    return Visit.from_payload(payload, evaluator_id)


def check_visit(visit: Visit, known: Known, check_answers: CheckAnswers) -> Accepted:
    """A read visit against the server's instruments, service, lockout and answer rules."""
    try:
        insts = known.instruments(visit.instruments)
    except DomainError as exc:
        raise Refused(422, "unknown_instrument", exc.detail) from None
    try:
        svc = known.service(visit.service_id)
    except DomainError as exc:
        raise Refused(422, "unknown_service", exc.detail) from None
    if svc["opd_id"] != visit.opd_id:
        raise Refused(422, "service_mismatch")
    refuse_lockout(known.refusal(visit))
    answers = clean_answers(visit, insts, check_answers)
    return Accepted(dataclasses.replace(visit, answers=answers), insts, svc)


def refuse_lockout(refusal: Refusal | None) -> None:
    """Refused (403) when the lockout judged against the visit."""
    if refusal is not None:
        code = "own_opd" if refusal.code == "own_opd" else "lockout"
        raise Refused(403, code, refusal.code, refusal=refusal)


def clean_answers(visit: Visit, insts: list[Instrument], check: CheckAnswers) -> dict:
    """Every instrument's answers cleaned, times in order; Refused (422) listing problems."""
    cleaned, problems = {}, {}
    for inst in insts:
        given = visit.answers.get(inst.id) or {}
        if not isinstance(given, dict):
            raise Refused(400, "bad_request", inst.id)
        with_photos = {p.item_id for p in visit.photos if p.instrument_id == inst.id}
        cleaned[inst.id], errors = check(inst, given, with_photos)
        problems.update({f"{inst.id}.{k}": v for k, v in errors.items()})
    for key, reason in times_out_of_order(insts, cleaned).items():
        problems.setdefault(key, []).append(reason)
    if problems:
        raise Refused(422, "invalid", ", ".join(sorted(problems)), fields=problems)
    return cleaned


def times_out_of_order(insts: list[Instrument], answers: Mapping) -> dict[str, LazyText]:
    """Each role-tagged time earlier than a time that comes before it ("inst.item": reason)."""
    seen: list[tuple[str, str]] = []  # (field, "HH:MM") of the earlier roles given
    out = {}
    by_role = {
        item.role: (f"{inst.id}.{item.id}", answers.get(inst.id, {}).get(item.id))
        for inst in insts
        for item in inst.items
        if item.role in TIME_ORDER
    }
    for role in TIME_ORDER:
        key, time = by_role.get(role, (None, None))
        if not time:
            continue
        # "HH:MM" as the form stores it compares as text; a visit does not cross midnight
        later = [(k, t) for k, t in seen if t > time]
        if later:
            other, at = later[-1]
            out[key] = lazy(REASONS["time_order"], other=other, time=at)
        seen.append((key, time))
    return out


def decide(row: Mapping[str, Any] | None, visit: Visit, user_id: int) -> str:
    """What to do with a visit given what the server holds under its UUID (None: nothing).

    NEW to store it, REPEAT for the same content again (store nothing twice),
    REVISE for the correction of a returned visit, else one of REFUSED_STORED.
    """
    if row is None:
        return NEW
    if row["evaluator_id"] != user_id:
        return "uuid_taken"
    # Before REPEAT: a correction may change only notes or photos (the hash covers
    # the answers), and must still go back to the supervisor.
    if row["status"] == "returned" and visit.revision == row["revision"] + 1:
        return REVISE
    if row["content_hash"] == visit.content_hash:
        return REPEAT
    return "conflict" if visit.revision <= row["revision"] else "stale_revision"


def _shape_problem(body: dict, today: dt.date) -> tuple[str, LazyText | None] | None:
    """The first field of the wrong type or shape, with why where a field can say; or None."""
    try:
        uuid_mod.UUID(str(body.get("uuid")))
    except ValueError:
        return "uuid", None
    for key in ("opd_id", "service_id"):
        if not _is_int(body.get(key)):
            return key, None
    assignment = body.get("assignment_id")
    if assignment is not None and not _is_int(assignment):
        return "assignment_id", None
    day = _date_problem(body.get("visit_date"), today)
    if day:
        return "visit_date", day
    insts = body.get("instruments")
    if not (isinstance(insts, list) and 0 < len(insts) <= MAX_INSTRUMENTS) or not all(
        isinstance(i, dict) and isinstance(i.get("id"), str) and _is_int(i.get("version"))
        for i in insts
    ):
        return "instruments", None
    if len({i["id"] for i in insts}) != len(insts):  # one instrument once: answers key by id
        return "instruments", None
    if not isinstance(body.get("answers", {}), dict):
        return "answers", None
    if not _notes_ok(body.get("notes") or {}):
        return "notes", None
    revision = body.get("revision", 1)
    if not _is_int(revision) or revision < 1:
        return "revision", None
    return _photos_problem(body.get("photos", []))


def _photos_problem(pics: Any) -> tuple[str, LazyText | None] | None:
    if (
        not isinstance(pics, list)
        or len(pics) > MAX_PHOTOS
        or not all(isinstance(p, dict) and _SHA.fullmatch(str(p.get("sha256", ""))) for p in pics)
    ):
        return "photos", None
    for n, pic in enumerate(pics):
        taken = pic.get("captured_at")
        if taken is not None and not _is_datetime(taken):
            return f"photos[{n}].captured_at", lazy(REASONS["datetime_format"])
    return None


def _is_int(value: Any) -> bool:
    """An integer id or version SQLite can hold (not a bool, not past 2**63 - 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_ID <= value <= MAX_ID


def _notes_ok(notes: Any) -> bool:
    return isinstance(notes, dict) and all(
        isinstance(per_item, dict)
        and all(n is None or (isinstance(n, str) and len(n) <= TEXT_MAX) for n in per_item.values())
        for per_item in notes.values()
    )


def _is_datetime(value: Any) -> bool:
    """Strict ISO 8601 date-time, its date from EARLIEST on.

    The exports and PDFs convert it to WIB: a year 1 cannot be, and no
    tablet clock reads earlier than 2000 unless broken.
    """
    if not (isinstance(value, str) and _DATETIME.fullmatch(value)):
        return False
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        moment.replace(tzinfo=moment.tzinfo or dt.UTC).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return False
    return moment.date() >= EARLIEST


def _date_problem(value: Any, today: dt.date) -> LazyText | None:
    """Why a visit date is not one, or None: strict YYYY-MM-DD within EARLIEST..today+AHEAD."""
    try:
        day = dt.date.fromisoformat(value) if _DATE.fullmatch(str(value)) else None
    except ValueError:
        day = None
    if day is None:
        return lazy(REASONS["date_format"])
    latest = today + AHEAD
    if not EARLIEST <= day <= latest:
        return lazy(
            REASONS["date_window"], earliest=EARLIEST.isoformat(), latest=latest.isoformat()
        )
    return None
