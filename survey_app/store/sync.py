"""The sync API's reads and writes: a posted visit checked against the database, then stored.

What is accepted is decided in core/sync.py; here are the records it is
decided on and the one write, made in the shared write transaction
(connection.write_batched: group commit) after looking again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from survey_app.core import rules, sync
from survey_app.core.errors import DomainError
from survey_app.core.instruments import Instrument
from survey_app.core.rules import Refusal
from survey_app.core.visit import Visit
from survey_app.store import assignments, lockout, records
from survey_app.store.connection import write_batched


@dataclass(frozen=True)
class Stored:
    """What became of a posted visit: its outcome and the row found before, if any."""

    outcome: str  # "stored", "revised" or "repeat"
    visit: Visit
    row: Mapping[str, Any] | None = None


class Known:
    """What the database holds that a visit is checked against (core.sync.Known)."""

    def __init__(self, db: Database, evaluator: Mapping[str, Any], limits: tuple[int, int]):
        self.db, self.evaluator, self.limits = db, evaluator, limits

    def instruments(self, refs: Sequence[tuple[str, int]]) -> list[Instrument]:
        """The visit instrument versions, in order; DomainError names an unknown one
        (a probe's or a desk review's instrument is not one a visit is filled on)."""
        found = records.instruments(self.db, refs)
        for inst in found:
            if inst.kind != "visit":
                raise DomainError("unknown_instrument", f"{inst.id} v{inst.version}")
        return found

    def service(self, service_id: int) -> Mapping[str, Any]:
        """The service with its OPD id; DomainError when unknown."""
        return records.service(self.db, service_id)

    def refusal(self, visit: Visit) -> Refusal | None:
        """Why the evaluator may not visit the OPD today, on the server's clock and records."""
        return lockout.may_visit(
            self.db, self.evaluator, visit.opd_id, dt.date.today(), self.limits, visit.uuid
        )


def stored(db: Database, visit_uuid: str) -> dict | None:
    """What the decision on a visit needs of the one stored under its UUID, or None."""
    row = db.execute(
        "select uuid, evaluator_id, status, revision, content_hash from visits where uuid = ?",
        [visit_uuid],
    ).fetchone()
    return dict(row) if row else None


def missing_photos(db: Database, visit: Visit) -> list[str]:
    """The hashes of the visit's photos whose bytes its evaluator has not sent.

    Per evaluator, not per server: another evaluator's photo, known only by its
    hash, must be sent (proving its bytes) before it can be linked.
    """
    return [
        p.sha256 for p in visit.photos if not records.holds_photo(db, p.sha256, visit.evaluator_id)
    ]


def receive(
    db: Database,
    payload: Any,
    evaluator: Mapping[str, Any],
    limits: tuple[int, int],
    check_answers: sync.CheckAnswers,
) -> Stored:
    """Check a posted visit and store it once; core.sync.Refused when it is not accepted.

    A resend of what is stored is answered before anything else is checked;
    it was checked when it was stored.
    """
    visit = sync.read_visit(payload, dt.date.today(), evaluator["id"])
    row = stored(db, visit.uuid)
    if row and sync.decide(row, visit, evaluator["id"]) == sync.REPEAT:
        _refuse_missing(db, visit)
        attach_photos(db, visit)
        return Stored("repeat", visit, row)
    accepted = sync.check_visit(visit, Known(db, evaluator, limits), check_answers)
    _refuse_missing(db, visit)
    visit = accepted.visit
    prepared = records.prepare_visit(db, visit, accepted.instruments, accepted.service)
    # Written in the write lock after looking again, so of two tablets (or
    # tabs) sending the same visit at once exactly one stores it, and of
    # visits sent at once to one OPD the lockout lets through only those it allows.
    opd_limits = lockout.limits(db, visit.opd_id, limits)  # the OPD's settings, read unlocked
    result = write_batched(db, lambda conn: _write(conn, prepared, evaluator, opd_limits))
    if result.outcome == "stored" and visit.assignment_id is not None:
        assignments.link_visit(db, visit.assignment_id, visit.uuid, evaluator["id"])
    return result


def _refuse_missing(db: Database, visit: Visit) -> None:
    missing = missing_photos(db, visit)
    if missing:
        raise sync.Refused(409, "missing_photos", missing=missing)


def _write(
    db: Database,
    prepared: records.Prepared,
    evaluator: Mapping[str, Any],
    opd_limits: tuple[int, int],
) -> Stored:
    """Store the visit, a correction of it, or nothing; core.sync.Refused when refused.

    Runs in write_batched: only its arguments, no request or translations.
    The lockout is judged again here, on the server's clock, with the
    visits stored by writes queued before this one in sight.
    """
    visit, user_id = prepared.visit, evaluator["id"]
    row = stored(db, visit.uuid)
    decision = sync.decide(row, visit, user_id)
    if decision == sync.REPEAT:
        attach_photos(db, visit)
        return Stored("repeat", visit, row)
    if decision in sync.REFUSED_STORED:
        raise sync.Refused(409, decision)
    _judge_again(db, evaluator, visit, opd_limits)
    if decision == sync.REVISE:
        _audit_revision(db, row, visit, user_id)
        _detach_dropped(db, visit)
    records.write_visit(db, prepared, user_id)
    attach_photos(db, visit, captions=True)
    records.audit(db, user_id, "submitted", "visit", visit.uuid, {"revision": visit.revision})
    return Stored("revised" if decision == sync.REVISE else "stored", visit, row)


def _judge_again(
    db: Database, evaluator: Mapping[str, Any], visit: Visit, opd_limits: tuple[int, int]
) -> None:
    """The lockout on the visits stored by now, in the write lock; Refused if it refuses.

    Only the visits received can have changed since it was judged before the
    lock, so with no limits on the OPD nothing is read: each statement in the
    write lock costs every queued writer (measured: two of them cost the
    sync benchmark a tenth of its throughput).
    """
    if not any(opd_limits):
        return
    received = lockout.received(db, evaluator["id"], visit.opd_id, visit.uuid)
    judged = rules.judge(
        evaluator.get("opd_id"), visit.opd_id, dt.date.today(), opd_limits, received
    )
    sync.refuse_lockout(judged)


def _audit_revision(db: Database, row: Mapping[str, Any], visit: Visit, user_id: int) -> None:
    """Keep the answers and photo links a correction replaces, in the audit log."""
    before = records.visit(db, row["uuid"])
    records.audit(
        db,
        user_id,
        "revise",
        "visit",
        row["uuid"],
        {
            "from_revision": row["revision"],
            "to_revision": visit.revision,
            "previous_answers": before["answers"],
            "previous_photos": [
                {"sha256": p["sha256"], "item_id": p["item_id"]} for p in before["photos"]
            ],
        },
    )


def _detach_dropped(db: Database, visit: Visit) -> None:
    """A correction's photos are the visit's photos: links it left out go (the files stay)."""
    kept = {(p.sha256, p.item_id) for p in visit.photos}
    for old in records.visit(db, visit.uuid)["photos"]:
        if (old["sha256"], old["item_id"]) not in kept:
            records.detach_photo(db, visit.uuid, old["sha256"], old["item_id"])


def attach_photos(db: Database, visit: Visit, captions: bool = False) -> None:
    """Link the visit's photos, once each; captions only with a first storing (or an import)."""
    for pic in visit.photos:
        records.attach_photo(
            db,
            visit.uuid,
            pic.sha256,
            pic.instrument_id,
            pic.item_id,
            caption=pic.caption if captions else "",
            captured_at=pic.captured_at,
        )
