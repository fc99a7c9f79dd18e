"""Checks: probes of contact channels, desk reviews and self-assessments (pure).

A check is not a visit: it lives in its own tables (store/checks.py), so no
independent visit figure can ever count one. The sync API takes a check as
it takes a visit (web/api.py, POST /api/v1/checks): a client UUID, photos
sent first by hash, stored exactly once. Here: what a posted check must be
(`read_check`), what becomes of one whose UUID the server holds (`decide`),
who may make it (`judge`), how its answers score (`check_scores`) and how
long a probe's channel took to answer (`probe_timing`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import uuid as uuid_mod
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from survey_app.core import rules, scoring, workdays
from survey_app.core.i18n import N_, LazyText, lazy
from survey_app.core.instruments import CHANNELS, Instrument
from survey_app.core.rules import Refusal
from survey_app.core.sync import (
    AHEAD,
    EARLIEST,
    MAX_PHOTOS,
    TEXT_MAX,
    Refused,
    _is_int,  # the visit's own id check
)

KINDS = ("probe", "desk", "checklist")
# The instrument kind each check kind is filled on (core/instruments.KINDS).
INSTRUMENT_KIND = {"probe": "probe", "desk": "desk", "checklist": "visit"}
__all__ = ["CHANNELS", "KINDS"]
CHANNEL_LABELS = {
    "telepon": N_("Telephone"),
    "whatsapp": N_("WhatsApp"),
    "email": N_("E-mail"),
    "web": N_("Website"),
    "sosmed": N_("Social media"),
    "pengaduan": N_("OPD complaint channel"),
    "lapor": N_("SP4N-LAPOR!"),
}
OUTCOME_LABELS = {
    "answered": N_("Answered in time"),
    "late": N_("Answered late"),
    "no_answer": N_("No answer"),
    "waiting": N_("Waiting"),
}
DEADLINE_DAYS = 3  # working days a channel has to answer (SURVEY_APP_PROBE_DEADLINE_DAYS)

# The decisions on a check whose UUID the server may already hold (as core.sync's).
NEW, REPEAT = "store", "repeat"
REFUSED_STORED = ("uuid_taken", "conflict")

_LOCAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")  # local time, Asia/Jakarta, no zone
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHA = re.compile(r"[0-9a-f]{64}")
_ITEM = re.compile(r"[a-z][a-z0-9_]*")

REASONS = {
    "uuid": N_("Not a UUID."),
    "kind": N_("Not a kind of check (probe, desk, checklist)."),
    "id": N_("Not a number."),
    "channel": N_("Not a channel: %(channels)s."),
    "no_channel": N_("Only a probe has a channel."),
    "instrument": N_('Name the instrument as {"id": ..., "version": ...}.'),
    "answers": N_("Answers must map item ids to values."),
    "notes": N_("Notes must map item ids to texts of at most %(n)s characters."),
    "local_time": N_("Not a local date and time as YYYY-MM-DDTHH:MM."),
    "date": N_("Not a date as YYYY-MM-DD."),
    "window": N_("The date must lie between %(earliest)s and %(latest)s."),
    "required": N_("This field is required."),
    "before_sent": N_("The answer cannot come before the question went out (%(sent)s)."),
    "photos": N_("Photos must be a list of at most %(n)s, each with its SHA-256."),
}


@dataclass(frozen=True)
class CheckPhoto:
    sha256: str
    item_id: str = ""  # "" for the whole check
    captured_at: str | None = None


@dataclass(frozen=True)
class Check:
    """One posted check, its shape and values checked (answers not yet cleaned)."""

    uuid: str
    kind: str
    opd_id: int
    instrument: tuple[str, int]
    check_date: str
    service_id: int | None = None
    channel: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)
    notes: Mapping[str, str | None] = field(default_factory=dict)
    sent_at: str | None = None
    answered_at: str | None = None
    plan_id: int | None = None
    photos: tuple[CheckPhoto, ...] = ()
    assessor_id: int | None = None
    self_assessed: bool = False
    content_hash: str = ""

    def to_payload(self) -> dict[str, Any]:
        """The check as the API takes it and hands it back."""
        return {
            "uuid": self.uuid,
            "kind": self.kind,
            "opd_id": self.opd_id,
            "service_id": self.service_id,
            "channel": self.channel,
            "instrument": {"id": self.instrument[0], "version": self.instrument[1]},
            "answers": dict(self.answers),
            "notes": dict(self.notes),
            "sent_at": self.sent_at,
            "answered_at": self.answered_at,
            "check_date": self.check_date,
            "plan_id": self.plan_id,
            "self_assessed": self.self_assessed,
            "photos": [dataclasses.asdict(p) for p in self.photos],
        }


# What a check's content hash covers: a resend of the same content is harmless,
# anything else under its UUID a conflict. The plan and photos are apart (a
# resend may add photos, as a visit's may).
HASHED = (
    "kind",
    "opd_id",
    "service_id",
    "channel",
    "instrument",
    "answers",
    "notes",
    "sent_at",
    "answered_at",
    "check_date",
)


def fingerprint(content: Mapping[str, Any]) -> str:
    """SHA-256 of a check's hashed content, canonically."""
    given = {k: content.get(k) for k in HASHED}
    given["instrument"] = list(given["instrument"] or ())
    canonical = json.dumps(given, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_check(payload: Any, today: dt.date, assessor_id: int | None = None) -> Check:
    """The check in a posted body; Refused 400 for a body that is no object, 422 listing
    every field of the wrong shape or value with its reason."""
    if not isinstance(payload, dict):
        raise Refused(400, "bad_request", "body")
    problems: dict[str, list[LazyText]] = {}

    def bad(name: str, reason: LazyText) -> None:
        problems.setdefault(name, []).append(reason)

    try:
        check_uuid = str(uuid_mod.UUID(str(payload.get("uuid"))))
    except ValueError:
        check_uuid = ""
        bad("uuid", lazy(REASONS["uuid"]))
    kind = payload.get("kind", "probe")
    if kind not in KINDS:
        bad("kind", lazy(REASONS["kind"]))
    if not _is_int(payload.get("opd_id")):
        bad("opd_id", lazy(REASONS["id"]))
    for key in ("service_id", "plan_id"):
        if payload.get(key) is not None and not _is_int(payload.get(key)):
            bad(key, lazy(REASONS["id"]))
    inst = payload.get("instrument")
    if not (
        isinstance(inst, dict) and isinstance(inst.get("id"), str) and _is_int(inst.get("version"))
    ):
        bad("instrument", lazy(REASONS["instrument"]))
    answers = payload.get("answers") or {}
    if not (isinstance(answers, dict) and all(_ITEM.fullmatch(str(k)) for k in answers)):
        bad("answers", lazy(REASONS["answers"]))
    notes = payload.get("notes") or {}
    if not _notes_ok(notes):
        bad("notes", lazy(REASONS["notes"], n=TEXT_MAX))
    photos = _photos(payload.get("photos") or [], bad)
    channel, sent_at, answered_at = (payload.get(k) for k in ("channel", "sent_at", "answered_at"))
    latest = today + AHEAD
    if kind == "probe":
        if channel not in CHANNELS:
            bad("channel", lazy(REASONS["channel"], channels=", ".join(CHANNELS)))
        sent = _local(sent_at, "sent_at", latest, bad, required=True)
        answered = _local(answered_at, "answered_at", latest, bad, required=False)
        if sent and answered and answered < sent:
            bad("answered_at", lazy(REASONS["before_sent"], sent=sent_at))
        check_date = sent_at[:10] if sent else ""
    else:
        if channel is not None:
            bad("channel", lazy(REASONS["no_channel"]))
        for key in ("sent_at", "answered_at"):
            if payload.get(key) is not None:
                _local(payload.get(key), key, latest, bad, required=False)
        check_date = payload.get("check_date")
        _date(check_date, latest, bad)
    if problems:
        raise Refused(422, "malformed", ", ".join(sorted(problems)), fields=problems)
    content = {
        "kind": kind,
        "opd_id": payload["opd_id"],
        "service_id": payload.get("service_id"),
        "channel": channel if kind == "probe" else None,
        "instrument": (inst["id"], inst["version"]),
        "answers": answers,
        "notes": notes,
        "sent_at": sent_at,
        "answered_at": answered_at,
        "check_date": check_date,
    }
    return Check(
        uuid=check_uuid,
        plan_id=payload.get("plan_id"),
        photos=photos,
        assessor_id=assessor_id,
        content_hash=fingerprint(content),
        **content,
    )


def decide(row: Mapping[str, Any] | None, check: Check, user_id: int) -> str:
    """NEW (nothing under the UUID), REPEAT (the same content again: store nothing
    twice), else "uuid_taken" (another user's) or "conflict" (other content)."""
    if row is None:
        return NEW
    if row["assessor_id"] != user_id:
        return "uuid_taken"
    if row["content_hash"] == check.content_hash:
        return REPEAT
    return "conflict"


def judge(
    user: Mapping[str, Any],
    check: Check,
    today: dt.date,
    limits: tuple[int, int],
    received: list[dt.date],
) -> Refusal | None:
    """Who may make this check, on the server's clock: None, or why not.

    An OPD user assesses only their own OPD ("not_own_opd"); for everyone
    else the own-OPD rule holds, and an independent probe is bound by the
    lockout rule as a visit is, judged on the dates the server received the
    assessor's earlier probes of that OPD (`received`). A desk review or a
    checklist is not bound by the lockout.
    """
    if user.get("role") == "opd":
        return None if user.get("opd_id") == check.opd_id else Refusal("not_own_opd")
    if check.kind != "probe":
        limits, received = (0, 0), []
    return rules.judge(user.get("opd_id"), check.opd_id, today, limits, received)


def is_self_assessed(user: Mapping[str, Any]) -> bool:
    """An OPD user's checks are self-assessments, always; nobody else's are."""
    return user.get("role") == "opd"


def instrument_for(inst: Instrument, channel: str | None) -> Instrument:
    """The part of an instrument a check answers: a probe, its channel's sections and
    the sections of no channel; any other check, all of it."""
    if channel is None or not any(s.channel for s in inst.sections):
        return inst
    sections = tuple(s for s in inst.sections if s.channel in (None, channel))
    # Its own definition, so its own content hash: scoring caches by that hash.
    kept = [s for s in inst.definition.get("sections", []) if s.get("channel") in (None, channel)]
    definition = {**inst.definition, "sections": kept}
    return dataclasses.replace(inst, sections=sections, definition=definition)


def check_scores(check: Check | Mapping[str, Any], instrument: Instrument) -> dict[str, Any]:
    """One check's answers scored against its instrument (the channel's part of a probe).

    "score" is the weighted share of applicable yes/no items passed, 0-100
    (None when nothing applies; unrounded, as a visit's: figures round once);
    "items" maps every checkable item to True,
    False or None (not applicable); "dimensions" and "ombudsman" score the
    items by their tags.
    """
    channel = _get(check, "channel")
    answers = _get(check, "answers") or {}
    part = instrument_for(instrument, channel)
    result = scoring.compliance([part], {part.id: answers})
    given = part.relevant_answers(answers)
    items = {i.id: i.passed(given.get(i.id)) for i in part.items if i.checkable}
    tallies: dict[str, list[float]] = {}
    for item in part.items:
        verdict = items.get(item.id)
        key = item.tags.get("ombudsman")
        if verdict is None or key is None:
            continue
        tally = tallies.setdefault(key, [0.0, 0.0])
        tally[0] += item.weight * verdict
        tally[1] += item.weight
    return {
        "score": result["score"],
        "items": items,
        "dimensions": result["dimensions"],
        "ombudsman": {k: 100 * p / n for k, (p, n) in sorted(tallies.items())},
        "failed": [f.split(".", 1)[1] for f in result["failed"]],
    }


@dataclass(frozen=True)
class Timing:
    """How a probed channel answered: outcome, and the time it took when it did."""

    outcome: str  # "answered" (by the deadline), "late", "no_answer", "waiting"
    minutes: int | None = None  # working minutes (weekends and holidays left out)
    working_days: int | None = None
    deadline: dt.datetime | None = None

    @property
    def answered(self) -> bool:
        return self.outcome == "answered"


def probe_timing(
    sent_at: str | None,
    answered_at: str | None,
    holidays: Collection[dt.date],
    deadline_days: int = DEADLINE_DAYS,
    now: dt.datetime | None = None,
) -> Timing:
    """The channel's answer to a probe measured against the deadline.

    "no_answer" once the deadline (the end of the `deadline_days`-th working
    day after the question) passed without one; "waiting" before then;
    "late" for an answer after it (not counted as answered).
    """
    if not sent_at:
        return Timing("no_answer")
    sent = dt.datetime.fromisoformat(sent_at[:16])
    last = workdays.deadline(sent, deadline_days, holidays)
    if not answered_at:
        passed = now is None or now > last
        return Timing("no_answer" if passed else "waiting", deadline=last)
    answered = dt.datetime.fromisoformat(answered_at[:16])
    return Timing(
        "answered" if answered <= last else "late",
        workdays.working_minutes(sent, answered, holidays),
        workdays.working_days_between(sent, answered, holidays),
        last,
    )


def _get(check: Check | Mapping[str, Any], key: str) -> Any:
    return check.get(key) if isinstance(check, Mapping) else getattr(check, key)


def _notes_ok(notes: Any) -> bool:
    return isinstance(notes, dict) and all(
        _ITEM.fullmatch(str(k)) and (n is None or (isinstance(n, str) and len(n) <= TEXT_MAX))
        for k, n in notes.items()
    )


def _local(value: Any, name: str, latest: dt.date, bad, required: bool) -> dt.datetime | None:
    """A local date-time YYYY-MM-DDTHH:MM within EARLIEST..latest, else None (reason given)."""
    if value is None:
        if required:
            bad(name, lazy(REASONS["required"]))
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if _LOCAL.fullmatch(str(value)) else None
    except ValueError:
        moment = None
    if moment is None:
        bad(name, lazy(REASONS["local_time"]))
        return None
    if not EARLIEST <= moment.date() <= latest:
        bad(name, lazy(REASONS["window"], earliest=EARLIEST.isoformat(), latest=latest.isoformat()))
        return None
    return moment


def _date(value: Any, latest: dt.date, bad) -> None:
    try:
        day = dt.date.fromisoformat(value) if _DATE.fullmatch(str(value)) else None
    except ValueError:
        day = None
    if day is None:
        bad("check_date", lazy(REASONS["date"]))
    elif not EARLIEST <= day <= latest:
        bad(
            "check_date",
            lazy(REASONS["window"], earliest=EARLIEST.isoformat(), latest=latest.isoformat()),
        )


def _photos(pics: Any, bad) -> tuple[CheckPhoto, ...]:
    if not (
        isinstance(pics, list)
        and len(pics) <= MAX_PHOTOS
        and all(
            isinstance(p, dict)
            and _SHA.fullmatch(str(p.get("sha256", "")))
            and (not p.get("item_id") or _ITEM.fullmatch(str(p.get("item_id"))))
            and (
                p.get("captured_at") is None
                or (isinstance(p.get("captured_at"), str) and len(p["captured_at"]) <= 40)
            )
            for p in pics
        )
    ):
        bad("photos", lazy(REASONS["photos"], n=MAX_PHOTOS))
        return ()
    seen, out = set(), []
    for p in pics:
        key = (p["sha256"], p.get("item_id") or "")
        if key not in seen:
            seen.add(key)
            out.append(CheckPhoto(key[0], key[1], (p.get("captured_at") or None)))
    return tuple(out)
