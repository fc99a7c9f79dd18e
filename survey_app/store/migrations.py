"""The schema, declared as sqlite-utils migrations. Never edit a shipped one: append."""

from typing import Any

import orjson
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from survey_app.core import instruments, scoring
from survey_app.store.briefs import brief_of, split_scores

migrations = Migrations("survey_app")


@migrations()
def m001_master_data(db: Database) -> None:
    """OPDs, their services with the published standard, and users."""
    db.table("opds").create(
        {"id": int, "slug": str, "name": str, "kind": str, "address": str, "created_at": str},
        pk="id",
        not_null={"slug", "name"},
    )
    db.table("opds").create_index(["slug"], unique=True)
    db.table("services").create(
        {
            "id": int,
            "opd_id": int,
            "slug": str,
            "name": str,
            "max_minutes": int,
            "fee": int,
            "requirements": str,
            "yearly_volume": int,
        },
        pk="id",
        not_null={"opd_id", "slug", "name"},
        foreign_keys=[("opd_id", "opds", "id")],
    )
    db.table("services").create_index(["opd_id", "slug"], unique=True)
    db.table("users").create(
        {
            "id": int,
            "username": str,
            "name": str,
            "role": str,
            "opd_id": int,
            "password_hash": str,
            "active": int,
            "created_at": str,
        },
        pk="id",
        not_null={"username", "role", "password_hash"},
        defaults={"active": 1},
        foreign_keys=[("opd_id", "opds", "id")],
    )
    db.table("users").create_index(["username"], unique=True)


@migrations()
def m002_instruments_and_visits(db: Database) -> None:
    """Instrument versions, visits, their answers, photos and the audit log."""
    db.table("instruments").create(
        {
            "id": str,
            "version": int,
            "title": str,
            "scheme": str,
            "content_hash": str,
            "definition": str,
            "source": str,
            "loaded_at": str,
            "retired": int,
        },
        pk=("id", "version"),
        defaults={"retired": 0},
    )
    db.table("visits").create(
        {
            "uuid": str,
            "opd_id": int,
            "service_id": int,
            "evaluator_id": int,
            "status": str,
            "visit_date": str,
            "created_at": str,
            "updated_at": str,
            "submitted_at": str,
            "reviewed_at": str,
            "reviewer_id": int,
            "review_note": str,
            "scores": str,
            "revision": int,
        },
        pk="uuid",
        not_null={"opd_id", "service_id", "evaluator_id", "status"},
        defaults={"status": "draft", "revision": 1},
        foreign_keys=[
            ("opd_id", "opds", "id"),
            ("service_id", "services", "id"),
            ("evaluator_id", "users", "id"),
            ("reviewer_id", "users", "id"),
        ],
    )
    db.table("visits").create_index(["opd_id", "status", "visit_date"])
    db.table("visits").create_index(["evaluator_id", "status"])
    db.table("visit_instruments").create(
        {"visit_uuid": str, "instrument_id": str, "instrument_version": int, "position": int},
        pk=("visit_uuid", "instrument_id"),
        foreign_keys=[("visit_uuid", "visits", "uuid")],
    )
    db.table("answers").create(
        {"visit_uuid": str, "instrument_id": str, "item_id": str, "value": str, "note": str},
        pk=("visit_uuid", "instrument_id", "item_id"),
        foreign_keys=[("visit_uuid", "visits", "uuid")],
    )
    db.table("photos").create(
        {"sha256": str, "mime": str, "size": int, "width": int, "height": int, "stored_at": str},
        pk="sha256",
    )
    db.table("visit_photos").create(
        {
            "id": int,
            "visit_uuid": str,
            "sha256": str,
            "instrument_id": str,
            "item_id": str,
            "caption": str,
            "captured_at": str,
        },
        pk="id",
        not_null={"visit_uuid", "sha256"},
        defaults={"instrument_id": "", "item_id": ""},
        foreign_keys=[("visit_uuid", "visits", "uuid"), ("sha256", "photos", "sha256")],
    )
    db.table("visit_photos").create_index(
        ["visit_uuid", "sha256", "instrument_id", "item_id"], unique=True
    )
    db.table("audit_log").create(
        {
            "id": int,
            "at": str,
            "user_id": int,
            "action": str,
            "entity": str,
            "entity_id": str,
            "detail": str,
        },
        pk="id",
    )
    db.table("audit_log").create_index(["entity", "entity_id"])


@migrations()
def m003_login_failures(db: Database) -> None:
    """Failed logins, counted per account and per address for throttling."""
    db.table("login_failures").create(
        {"id": int, "username": str, "address": str, "at": float}, pk="id"
    )
    db.table("login_failures").create_index(["username", "at"])
    db.table("login_failures").create_index(["address", "at"])


@migrations()
def m005_visit_content_hash(db: Database) -> None:
    """Hash of what a tablet sent, to tell a harmless resend from a conflict."""
    db.table("visits").add_column("content_hash", str)


@migrations()
def m006_evaluator_lockout(db: Database) -> None:
    """Per OPD: days between two visits by one evaluator, and visits per quarter."""
    db.table("opds").add_column("min_days_between_visits", int)
    db.table("opds").add_column("max_visits_per_quarter", int)


@migrations()
def m007_item_results_apart(db: Database) -> None:
    """Per-item pass/fail lists beside the scores, so aggregates parse less."""
    db.table("visits").add_column("item_results", str)
    db.table("visits").create_index(["status", "visit_date"])


@migrations()
def m004_assignments(db: Database) -> None:
    """Planned visits (evaluator, OPD, service, instruments, date window), linked to visits."""
    db.table("assignments").create(
        {
            "id": int,
            "evaluator_id": int,
            "opd_id": int,
            "service_id": int,
            "instruments": str,
            "window_start": str,
            "window_end": str,
            "created_by": int,
            "created_at": str,
            "visit_uuid": str,
            "status": str,
        },
        pk="id",
        not_null={"evaluator_id", "opd_id", "service_id", "window_start", "window_end", "status"},
        defaults={"status": "open"},
        foreign_keys=[
            ("evaluator_id", "users", "id"),
            ("opd_id", "opds", "id"),
            ("service_id", "services", "id"),
            ("created_by", "users", "id"),
        ],
    )
    db.table("assignments").create_index(["evaluator_id", "status"])
    db.table("visits").add_column("assignment_id", int)
    db.table("visits").create_index(["assignment_id"])


@migrations()
def m008_follow_ups(db: Database) -> None:
    """Follow-up actions on failed items, verified by later approved visits."""
    db.table("follow_ups").create(
        {
            "id": int,
            "opd_id": int,
            "instrument_id": str,
            "item_id": str,
            "finding": str,
            "action": str,
            "owner": str,
            "due_date": str,
            "status": str,
            "period_from": str,
            "period_to": str,
            "created_by": int,
            "created_at": str,
            "checked_visit_uuid": str,
            "checked_at": str,
            "verified_visit_uuid": str,
        },
        pk="id",
        not_null={"opd_id", "instrument_id", "item_id", "action", "status"},
        defaults={"status": "open"},
        foreign_keys=[("opd_id", "opds", "id"), ("created_by", "users", "id")],
    )
    db.table("follow_ups").create_index(["opd_id", "status"])


@migrations()
def m009_visit_brief(db: Database) -> None:
    """The brief of each visit's scores, what summaries read (store.brief_of)."""
    db.table("visits").add_column("brief", str)
    # covering: a period's briefs are read from the index alone, not the wide rows
    db.table("visits").create_index(["status", "visit_date", "opd_id", "brief"])
    rows = db.execute("select uuid, scores from visits where scores is not null").fetchall()
    db.conn.executemany(
        "update visits set brief = ? where uuid = ?",
        [(brief_of(orjson.loads(r[1])), r[0]) for r in rows],
    )


@migrations()
def m010_tallies(db: Database) -> None:
    """Per OPD, month and status, the mergeable totals summaries need (survey_app.tallies).

    The triggers drop a tally whenever a visit in it is added, changed or
    removed, by any program; the next summary that needs it counts it again.
    """
    db.execute(
        "create table tallies (opd_id integer not null, month text not null, "
        "status text not null, tally text not null, primary key (status, month, opd_id))"
    )
    forget = (
        "delete from tallies where opd_id = {v}.opd_id "
        "and month = substr({v}.visit_date, 1, 7) and status = {v}.status;"
    )
    db.execute(
        "create trigger tallies_on_insert after insert on visits begin "
        + forget.format(v="new")
        + " end"
    )
    db.execute(
        "create trigger tallies_on_delete after delete on visits begin "
        + forget.format(v="old")
        + " end"
    )
    db.execute(
        "create trigger tallies_on_update after update of "
        "status, visit_date, opd_id, brief, item_results, scores on visits begin "
        + forget.format(v="old")
        + forget.format(v="new")
        + " end"
    )


@migrations()
def m011_evaluator_opd_index(db: Database) -> None:
    """Index the lockout check (rules.may_visit) by evaluator and OPD, asked on every visit.

    It was answered from the (opd_id, status, ...) index, reading every visit
    the OPD ever had to find this evaluator's few. (evaluator_id, opd_id,
    status) also serves what (evaluator_id, status) did, by evaluator alone,
    so it replaces it: no more indexes to keep up on every insert than before.
    """
    db.execute("drop index if exists idx_visits_evaluator_id_status")
    db.table("visits").create_index(["evaluator_id", "opd_id", "status"])


@migrations()
def m012_answers_without_rowid(db: Database) -> None:
    """Answers kept once, in key order, instead of in a table plus an index of the same key.

    Every answer is found by its visit, and a visit's 75 or so answers were
    written twice, to the rowid table and to the primary-key index. A WITHOUT
    ROWID table is that index alone: about half the pages a sync writes.
    """
    db.execute(
        'create table "answers_new" ("visit_uuid" text references "visits"("uuid"), '
        '"instrument_id" text, "item_id" text, "value" text, "note" text, '
        'primary key ("visit_uuid", "instrument_id", "item_id")) without rowid'
    )
    db.execute(
        "insert into answers_new (visit_uuid, instrument_id, item_id, value, note) "
        "select visit_uuid, instrument_id, item_id, value, note from answers "
        "order by visit_uuid, instrument_id, item_id"
    )
    db.execute("drop table answers")
    db.execute("alter table answers_new rename to answers")


@migrations()
def m013_documents(db: Database) -> None:
    """Numbered findings documents: the register an official's signature points back to.

    One row per OPD or city PDF issued: its number (unique per year, seq
    counting up from 1 each year), what it covers, and the SHA-256 of the
    bytes handed out, so a file can later be checked against the register.
    """
    db.table("documents").create(
        {
            "id": int,
            "number": str,
            "year": int,
            "seq": int,
            "kind": str,
            "period_from": str,
            "period_to": str,
            "opd_id": int,
            "sha256": str,
            "created_at": str,
            "created_by": str,
        },
        pk="id",
        not_null={"number", "year", "seq", "kind", "created_at"},
        foreign_keys=[("opd_id", "opds", "id")],
    )
    db.table("documents").create_index(["year", "seq"], unique=True)
    db.table("documents").create_index(["sha256"])


@migrations()
def m014_photo_holders(db: Database) -> None:
    """Who has shown the server a photo's bytes: knowing its hash is not enough to use it.

    The sync API answers "held" and lets a visit link a photo only for an
    evaluator who uploaded those bytes (or whose visit already holds them);
    the photo itself is still stored once.
    """
    db.table("photo_holders").create(
        {"sha256": str, "user_id": int},
        pk=("sha256", "user_id"),
        foreign_keys=[("sha256", "photos", "sha256"), ("user_id", "users", "id")],
    )
    db.execute(
        "insert or ignore into photo_holders (sha256, user_id) "
        "select p.sha256, v.evaluator_id from visit_photos p join visits v on v.uuid = p.visit_uuid"
    )


@migrations()
def m015_session_version(db: Database) -> None:
    """A generation number per user: a session cookie carries it and dies when it changes.

    Flask's sessions live in a signed cookie, so the server cannot forget one;
    bumping the number (logout, new password, deactivation) ends them all.
    """
    db.table("users").add_column("session_version", int, not_null_default=0)


@migrations()
def m016_standard_kept_scored(db: Database) -> None:
    """Re-score the reviewed visits: keeping the published time and fee now counts (DOMAIN.md).

    Their stored scores had time and fee only as flags. The write drops the
    affected tallies (m010's triggers), so every figure follows. Reads its
    own rows: the records module builds on this one, not the other way round.
    """
    built: dict[tuple[str, int], Any] = {}
    rows = db.execute(
        "select v.uuid, s.max_minutes, s.fee from visits v join services s on s.id = v.service_id "
        "where v.scores is not null"
    ).fetchall()
    for uuid, max_minutes, fee in rows:
        insts = [
            _built(db, built, r[0], r[1])
            for r in db.execute(
                "select instrument_id, instrument_version from visit_instruments "
                "where visit_uuid = ? order by position",
                [uuid],
            )
        ]
        answers: dict[str, dict] = {}
        for inst_id, item_id, value in db.execute(
            "select instrument_id, item_id, value from answers where visit_uuid = ?", [uuid]
        ):
            answers.setdefault(inst_id, {})[item_id] = orjson.loads(value)
        scores = scoring.visit_scores(insts, answers, max_minutes=max_minutes, published_fee=fee)
        db.execute(
            "update visits set scores = ?, item_results = ?, brief = ? where uuid = ?",
            [*split_scores(scores), uuid],
        )


def _built(db: Database, built: dict, inst_id: str, version: int):
    """An instrument version as stored, built once per migration."""
    if (inst_id, version) not in built:
        source, definition = db.execute(
            "select source, definition from instruments where id = ? and version = ?",
            [inst_id, version],
        ).fetchone()
        built[(inst_id, version)] = instruments.build(
            orjson.loads(definition), source=source, stored=True
        )
    return built[(inst_id, version)]


@migrations()
def m017_hub_outbox(db: Database) -> None:
    """What this city has to forward to a hub (store/outbox.py), filled by triggers.

    A row is queued whenever an approved visit appears, changes or stops being
    approved, and whenever a follow-up action changes, by any program (the
    review screen, an import, a script), so nothing a hub should see can be
    missed. Every approved visit and action already here is queued once: a
    city that sets up forwarding later sends its whole history.
    """
    db.execute(
        "create table hub_outbox (id integer primary key autoincrement, kind text not null, "
        "key text not null, queued_at text not null default (strftime('%Y-%m-%dT%H:%M:%SZ')), "
        "payload text, sent_at text, result integer, detail text)"
    )
    db.execute("create index hub_outbox_pending on hub_outbox (sent_at, id)")
    db.execute("create index hub_outbox_key on hub_outbox (kind, key, sent_at)")
    queue = "insert into hub_outbox (kind, key) values ('{kind}', {key});"
    visit, action = (
        queue.format(kind="visit", key="{v}.uuid"),
        queue.format(kind="follow_up", key="{v}.id"),
    )
    db.execute(
        "create trigger hub_outbox_visit_insert after insert on visits "
        "when new.status = 'approved' begin " + visit.format(v="new") + " end"
    )
    db.execute(
        "create trigger hub_outbox_visit_delete after delete on visits "
        "when old.status = 'approved' begin " + visit.format(v="old") + " end"
    )
    db.execute(
        "create trigger hub_outbox_visit_update after update of "
        "status, visit_date, opd_id, service_id, scores, revision on visits "
        "when (new.status = 'approved' or old.status = 'approved') and ("
        "new.status is not old.status or new.visit_date is not old.visit_date "
        "or new.opd_id is not old.opd_id or new.service_id is not old.service_id "
        "or new.scores is not old.scores or new.revision is not old.revision) "
        "begin " + visit.format(v="new") + " end"
    )
    for event, row in (("insert", "new"), ("update", "new"), ("delete", "old")):
        db.execute(
            f"create trigger hub_outbox_follow_up_{event} after {event} on follow_ups "
            "begin " + action.format(v=row) + " end"
        )
    db.execute(
        "insert into hub_outbox (kind, key) select 'visit', uuid from visits "
        "where status = 'approved' order by reviewed_at, uuid"
    )
    db.execute("insert into hub_outbox (kind, key) select 'follow_up', id from follow_ups")
