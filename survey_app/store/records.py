"""Reading and writing the domain's records: one function per job."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlite_utils import Database
from sqlite_utils.db import NotFoundError
from werkzeug.security import generate_password_hash

from survey_app.core import instruments as inst_mod
from survey_app.core import scoring
from survey_app.core.errors import DomainError
from survey_app.core.instruments import Instrument, Kept
from survey_app.core.visit import Visit
from survey_app.store.briefs import brief_of, join_scores, split_scores
from survey_app.store.connection import transaction

ROLES = ("evaluator", "supervisor", "admin")
STATUSES = ("draft", "submitted", "returned", "approved", "rejected")
# A supervisor has decided on these visits, and they keep their scores. A
# draft or submitted visit is scored when read (scores_of): stored at
# submission, its scores were about a fifth of a sync's server work, and
# review scored it again anyway.
REVIEWED = ("returned", "approved", "rejected")


def now() -> str:
    """The server's clock, UTC, ISO 8601: the only time rules are decided on."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def audit(
    db: Database,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: Any,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Record who did what to which record."""
    db.execute(
        "insert into audit_log (at, user_id, action, entity, entity_id, detail) "
        "values (?, ?, ?, ?, ?, ?)",
        [
            now(),
            user_id,
            action,
            entity,
            str(entity_id),
            json.dumps(detail or {}, ensure_ascii=False),
        ],
    )


# --- instruments --------------------------------------------------------------


def sync_instruments(db: Database, loaded: Iterable[Instrument]) -> list[str]:
    """Store loaded instrument versions; return the refusals (changed + used).

    A version that already has visits may not change content: its definition
    is what those visits were scored on.
    """
    problems = []
    for inst in loaded:
        table = db.table("instruments")
        row = _get(table, (inst.id, inst.version))
        definition = json.dumps(inst.definition, ensure_ascii=False)
        if row and row["content_hash"] == inst.content_hash:
            if row["definition"] != definition:
                # Same content, other Ombudsman tags (left out of the hash): keep the file's.
                table.update((inst.id, inst.version), {"definition": definition})
                _instrument_cache.clear()
            continue
        if row and _version_used(db, inst.id, inst.version):
            problems.append(
                f"{inst.source}:1: {inst.id} version {inst.version} already has visits "
                f"and its content changed: raise 'version' to {inst.version + 1}"
            )
            continue
        table.upsert(
            {
                "id": inst.id,
                "version": inst.version,
                "title": inst.title.id,
                "scheme": inst.scheme,
                "content_hash": inst.content_hash,
                "definition": definition,
                "source": inst.source,
                "loaded_at": now(),
                "retired": 0,
            },
            pk=("id", "version"),
        )
        _instrument_cache.clear()
    return problems


def load_instruments_dir(db: Database, directory: str | Path) -> list[str]:
    """Validate the directory and store what is valid; return every problem."""
    loaded, errors = inst_mod.load_directory(directory)
    return errors + sync_instruments(db, loaded)


def _version_used(db: Database, inst_id: str, version: int) -> bool:
    return bool(
        db.execute(
            "select 1 from visit_instruments where instrument_id = ? and "
            "instrument_version = ? limit 1",
            [inst_id, version],
        ).fetchone()
    )


_instrument_cache: dict[tuple[str, str], Instrument] = {}


def instrument(db: Database, inst_id: str, version: int) -> Instrument:
    """A stored instrument version, validated; DomainError when unknown."""
    return instruments(db, [(inst_id, version)])[0]


def instruments(db: Database, refs: Sequence[tuple[str, int]]) -> list[Instrument]:
    """Stored instrument versions in the order asked, looked up in one query.

    DomainError names the first unknown one. Each is built once per content
    and kept, so a version edited in place (allowed while unused) is rebuilt.
    """
    if not refs:
        return []
    pairs = ", ".join(["(?, ?)"] * len(refs))
    rows = {
        (r["id"], r["version"]): r
        for r in db.execute(
            "select id, version, content_hash, source from instruments "
            f"where (id, version) in (values {pairs})",
            [part for ref in refs for part in ref],
        )
    }
    found = []
    for inst_id, version in refs:
        row = rows.get((inst_id, version))
        if row is None:
            raise DomainError("unknown_instrument", f"{inst_id} v{version}")
        key = (row["content_hash"], row["source"])
        if key not in _instrument_cache:
            definition = db.execute(
                "select definition from instruments where id = ? and version = ?",
                [inst_id, version],
            ).fetchone()[0]
            _instrument_cache[key] = inst_mod.build(
                json.loads(definition), source=row["source"], stored=True
            )
        found.append(_instrument_cache[key])
    return found


def current_instruments(db: Database) -> list[Instrument]:
    """The newest non-retired version of each instrument."""
    rows = db.execute(
        "select id, max(version) as version from instruments where retired = 0 "
        "group by id order by id"
    ).fetchall()
    found = [instrument(db, r["id"], r["version"]) for r in rows]
    return sorted(found, key=lambda i: (i.order, i.id))


def instrument_hashes(db: Database) -> list[tuple[str, int, str]]:
    """(id, version, content hash) of every stored instrument version, in id and version order."""
    return [
        (r[0], r[1], r[2])
        for r in db.execute(
            "select id, version, content_hash from instruments order by id, version"
        )
    ]


def instrument_versions(db: Database) -> list[dict[str, Any]]:
    """Every stored instrument version, newest first per instrument, with its count of visits."""
    return [
        dict(r)
        for r in db.execute(
            "select i.id, i.version, i.title, i.scheme, i.source, i.loaded_at, i.retired, "
            "i.content_hash, (select count(*) from visit_instruments vi where vi.instrument_id = "
            "i.id and vi.instrument_version = i.version) as visits "
            "from instruments i order by i.id, i.version desc"
        )
    ]


def instrument_titles(db: Database) -> list[dict[str, str]]:
    """Each stored instrument's id with a title (Indonesian), any version: for filters."""
    return [
        dict(r) for r in db.execute("select id, max(title) as title from instruments group by id")
    ]


# --- master data ----------------------------------------------------------------


def create_user(
    db: Database, username: str, password: str, role: str, name: str = "", opd_id: int | None = None
) -> int:
    """Add a user with a hashed password; DomainError for a bad role or taken name."""
    if role not in ROLES:
        raise DomainError("bad_role", role)
    if _first(db, "select id from users where username = ?", [username]):
        raise DomainError("user_exists", username)
    return (
        db.table("users")
        .insert(
            {
                "username": username,
                "name": name or username,
                "role": role,
                "opd_id": opd_id,
                "password_hash": generate_password_hash(password),
                "active": 1,
                "created_at": now(),
            }
        )
        .last_pk
    )


def opd_by_slug(db: Database, slug: str) -> dict:
    """One OPD by slug; DomainError when unknown."""
    row = _first(db, "select * from opds where slug = ?", [slug])
    if row is None:
        raise DomainError("unknown_opd", slug)
    return row


def names_by_slug(db: Database) -> dict[str, str]:
    """Every OPD's and service's name by slug ('dishub', 'dishub/kir'), for exports."""
    rows = db.execute(
        "select o.slug, o.name, o.slug || '/' || s.slug as service, s.name as service_name "
        "from opds o left join services s on s.opd_id = o.id"
    ).fetchall()
    names = {r["slug"]: r["name"] for r in rows}
    names.update({r["service"]: r["service_name"] for r in rows if r["service"]})
    return names


def service(db: Database, service_id: int) -> dict:
    """One service with its published standard."""
    row = _first(db, "select * from services where id = ?", [service_id])
    if row is None:
        raise DomainError("unknown_service", str(service_id))
    row["requirements"] = json.loads(row["requirements"] or "[]")
    return row


# --- visits ---------------------------------------------------------------------


def save_visit(db: Database, visit: Visit | Mapping[str, Any], actor_id: int | None) -> bool:
    """Store a visit and its answers in one transaction; True if it was new.

    Keyed by the client's UUID, so saving the same visit again replaces its
    answers instead of adding a second visit. Answers to hidden items are
    dropped, as they are neither required nor stored. A visit saved as
    reviewed (REVIEWED) gets its scores computed and stored in the same go;
    any other loses scores stored before, which its new answers may change.
    A dict is read as Visit.from_row reads records.visit()'s.
    """
    return write_visit(db, prepare_visit(db, visit), actor_id)


@dataclass(frozen=True)
class Prepared:
    """What write_visit writes: the visit (answers kept, scores if reviewed) and its rows."""

    visit: Visit
    row: dict[str, Any]  # the visits columns, scores split as stored
    rows: str  # instrument and answer rows as one JSON text (_answer_rows)


def prepare_visit(
    db: Database,
    visit: Visit | Mapping[str, Any],
    insts: list[Instrument] | None = None,
    svc: Mapping[str, Any] | None = None,
) -> Prepared:
    """Everything save_visit writes, worked out by reading only.

    Done before the write transaction where writers queue (the sync API), so
    that working out a visit's rows does not hold the database's one write
    lock. A caller that has already read the visit's instruments and service
    passes them.
    """
    if not isinstance(visit, Visit):
        visit = Visit.from_row(visit)
    if insts is None:
        insts = instruments(db, visit.instruments)
    kept = {i.id: _kept_answers(i, visit.answers.get(i.id, {})) for i in insts}
    scores = None  # none kept from before
    if visit.status in REVIEWED:
        svc = svc or service(db, visit.service_id)
        scores = scoring.visit_scores(
            insts, kept, max_minutes=svc["max_minutes"], published_fee=svc["fee"]
        )
    visit = dataclasses.replace(visit, answers=kept, scores=scores)
    row = visit.to_row()
    row["scores"], row["item_results"], row["brief"] = (
        split_scores(scores) if scores else (None, None, None)
    )
    return Prepared(visit, row, _answer_rows(insts, kept, visit.notes))


def write_visit(db: Database, prepared: Prepared, actor_id: int | None) -> bool:
    """Write what prepare_visit worked out, in one transaction; True if it was new."""
    row = dict(prepared.row)
    with transaction(db):
        existing = _first(db, "select uuid from visits where uuid = ?", [row["uuid"]])
        row["updated_at"] = now()
        if not existing:
            row["created_at"] = row["updated_at"]
        if row["status"] == "submitted":
            row["submitted_at"] = row["updated_at"]
        detail: dict[str, Any] = {"status": row["status"]}
        if existing:  # what the save changed, item by item, for the review's audit log
            detail["changes"] = _answer_changes(db, row["uuid"], prepared.rows)
        _upsert_visit(db, row)
        _replace_answers(db, row["uuid"], prepared.rows, fresh=not existing)
        audit(db, actor_id, "update" if existing else "create", "visit", row["uuid"], detail)
    return not existing


AUDIT_CHANGES = 40  # changed items an audit entry keeps: a whole re-entry is not a diff to read


def _answer_changes(db: Database, uuid: str, rows: str) -> dict[str, list]:
    """'instrument.item' -> [before, after] for the answers this save changes."""
    before = {
        f"{r[0]}.{r[1]}": r[2]
        for r in db.execute(
            "select instrument_id, item_id, value from answers where visit_uuid = ?", [uuid]
        )
    }
    after = {f"{a[0]}.{a[1]}": a[2] for a in json.loads(rows)["answers"]}
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return {k: [_shown(before.get(k)), _shown(after.get(k))] for k in changed[:AUDIT_CHANGES]}


def _shown(value: str | None) -> Any:
    """A stored answer (JSON text) as the audit log shows it."""
    return None if value is None else json.loads(value)


def _upsert_visit(db: Database, row: dict[str, Any]) -> None:
    """Insert the visit row, or update the given columns of an existing one."""
    columns = list(row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("uuid", "created_at"))
    db.execute(
        f"insert into visits ({', '.join(columns)}) values ({', '.join('?' * len(columns))}) "
        f"on conflict(uuid) do update set {updates}",
        [row[c] for c in columns],
    )


def _kept_answers(inst: Instrument, given: Mapping[str, Any]) -> dict[str, Any]:
    """Shown items' answers, empty ones dropped."""
    return Kept((k, v) for k, v in inst.relevant_answers(given).items() if v not in (None, "", []))


# json.dumps builds a new encoder on every call that passes options: once per answer
_as_json = json.JSONEncoder(ensure_ascii=False).encode


def _answer_rows(insts: list[Instrument], kept: Mapping, notes: Mapping) -> str:
    """The visit's instrument and answer rows as one JSON text, for _replace_answers."""
    return json.dumps(
        {
            "instruments": [[i.id, i.version, n] for n, i in enumerate(insts)],
            "answers": [
                [
                    inst.id,
                    item_id,
                    _as_json(value),
                    notes.get(inst.id, {}).get(item_id),
                ]
                for inst in insts
                for item_id, value in kept[inst.id].items()
            ],
        },
        ensure_ascii=False,
    )


def _replace_answers(db: Database, uuid: str, rows: str, fresh: bool = False) -> None:
    """Write _answer_rows' rows: one statement per table, not one per row.

    Inside the write lock every statement gives up Python's lock (the GIL)
    while SQLite works and then waits to take it back from the process's
    other threads; a visit's 75 answers inserted one by one did that 75 times
    and held the database's one write lock meanwhile. json_each unpacks them
    inside SQLite instead. A `fresh` visit (no row before) has nothing to delete.
    """
    if not fresh:
        db.execute("delete from answers where visit_uuid = ?", [uuid])
        db.execute("delete from visit_instruments where visit_uuid = ?", [uuid])
    db.execute(
        "insert into visit_instruments (visit_uuid, instrument_id, instrument_version, position)"
        " select ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
        " json_extract(value, '$[2]') from json_each(?, '$.instruments')",
        [uuid, rows],
    )
    db.execute(
        "insert into answers (visit_uuid, instrument_id, item_id, value, note) "
        "select ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
        "json_extract(value, '$[2]'), json_extract(value, '$[3]') "
        "from json_each(?, '$.answers')",
        [uuid, rows],
    )


def load_visit(db: Database, uuid: str) -> Visit:
    """A stored visit as a Visit; DomainError if unknown."""
    return Visit.from_row(visit(db, uuid))


def visit(db: Database, uuid: str) -> dict:
    """A visit with its instruments, answers, notes and photos; DomainError if unknown."""
    row = _first(db, "select * from visits where uuid = ?", [uuid])
    if row is None:
        raise DomainError("unknown_visit", uuid)
    row["instruments"] = [
        {"id": r["instrument_id"], "version": r["instrument_version"]}
        for r in db.execute(
            "select * from visit_instruments where visit_uuid = ? order by position", [uuid]
        ).fetchall()
    ]
    answers: dict[str, dict] = {}
    notes: dict[str, dict] = {}
    for r in db.execute("select * from answers where visit_uuid = ?", [uuid]).fetchall():
        answers.setdefault(r["instrument_id"], {})[r["item_id"]] = json.loads(r["value"])
        if r["note"]:
            notes.setdefault(r["instrument_id"], {})[r["item_id"]] = r["note"]
    row["answers"], row["notes"] = answers, notes
    row["photos"] = [
        dict(r)
        for r in db.execute(
            "select * from visit_photos where visit_uuid = ? order by id", [uuid]
        ).fetchall()
    ]
    row["scores"] = join_scores(row.pop("scores"), row.pop("item_results", None))
    row.pop("brief", None)
    return row


def visit_instruments(db: Database, record: Mapping[str, Any]) -> list[Instrument]:
    """The instrument versions a visit was filled on."""
    return [instrument(db, i["id"], i["version"]) for i in record["instruments"]]


def score_visit(db: Database, record: Mapping[str, Any]) -> dict[str, Any]:
    """Score a visit against its own instrument versions and its service standard."""
    svc = service(db, record["service_id"])
    return scoring.visit_scores(
        visit_instruments(db, record),
        record["answers"],
        max_minutes=svc["max_minutes"],
        published_fee=svc["fee"],
    )


def scores_of(db: Database, record: Mapping[str, Any]) -> dict[str, Any]:
    """A visit's stored scores, or (not reviewed yet) its scores worked out now."""
    return record["scores"] or score_visit(db, record)


def _store_scores(db: Database, record: Mapping[str, Any], status: str) -> None:
    """Store a reviewed visit's scores; drop any others' (they are scored when read)."""
    blob = items = brief = None
    if status in REVIEWED:
        blob, items, brief = split_scores(score_visit(db, record))
    db.execute(
        "update visits set scores = ?, item_results = ?, brief = ? where uuid = ?",
        [blob, items, brief, record["uuid"]],
    )


def set_status(
    db: Database, uuid: str, status: str, actor_id: int | None, note: str | None = None
) -> None:
    """Move a visit to a new status, logging the change; a reviewed one keeps its scores."""
    if status not in STATUSES:
        raise DomainError("bad_status", status)
    with transaction(db):
        record = visit(db, uuid)  # a status change leaves its answers as they are
        old = record["status"]
        fields = {"status": status, "updated_at": now()}
        if status == "submitted":
            fields["submitted_at"] = now()
        if status in REVIEWED:
            fields.update(reviewed_at=now(), reviewer_id=actor_id, review_note=note)
        db.table("visits").update(uuid, fields)
        _store_scores(db, record, status)
        audit(db, actor_id, status, "visit", uuid, {"from": old, "to": status, "note": note})
        if status == "approved":
            _check_follow_ups(db, uuid)


def discard_draft(db: Database, uuid: str, actor_id: int) -> bool:
    """Delete one of this evaluator's drafts with its answers and photo links; False if none.

    Only a draft goes (never a submitted or reviewed visit); its assignment is open again.
    """
    with transaction(db):
        found = _first(
            db,
            "select assignment_id from visits where uuid = ? and status = 'draft' "
            "and evaluator_id = ?",
            [uuid, actor_id],
        )
        if found is None:
            return False
        for table in ("answers", "visit_instruments", "visit_photos"):
            db.execute(f"delete from {table} where visit_uuid = ?", [uuid])
        db.execute("update assignments set visit_uuid = null where visit_uuid = ?", [uuid])
        db.execute("delete from visits where uuid = ?", [uuid])
        audit(db, actor_id, "discard", "visit", uuid, {"assignment": found["assignment_id"]})
    return True


def _check_follow_ups(db: Database, uuid: str) -> None:
    """Let a newly approved visit verify, or keep open, its OPD's follow-ups."""
    record = visit(db, uuid)
    if record["status"] != "approved" or not record["scores"]:
        return
    passed = set(record["scores"]["compliance"].get("passed", ()))
    failed = set(record["scores"]["compliance"].get("failed", ()))
    for row in db.execute(
        "select * from follow_ups where opd_id = ? and status in (?, ?) and period_to < ?",
        [record["opd_id"], "open", "still_open", record["visit_date"]],
    ):
        key = f"{row['instrument_id']}.{row['item_id']}"
        if key in passed:
            db.execute(
                "update follow_ups set status = 'verified', verified_visit_uuid = ?, "
                "checked_visit_uuid = ?, checked_at = ? where id = ?",
                [uuid, uuid, now(), row["id"]],
            )
        elif key in failed:
            db.execute(
                "update follow_ups set status = 'still_open', checked_visit_uuid = ?, "
                "checked_at = ? where id = ?",
                [uuid, now(), row["id"]],
            )


def visit_status(db: Database, uuid: str) -> str | None:
    """A visit's status, or None when there is no such visit."""
    row = db.execute("select status from visits where uuid = ?", [uuid]).fetchone()
    return row[0] if row else None


def visit_date(db: Database, uuid: str) -> str:
    """A visit's date (ISO); DomainError when unknown."""
    row = db.execute("select visit_date from visits where uuid = ?", [uuid]).fetchone()
    if row is None:
        raise DomainError("unknown_visit", uuid)
    return row[0]


# --- photos ---------------------------------------------------------------------


def store_photo(
    db: Database,
    photo_dir: str | Path,
    data: bytes,
    mime: str,
    width: int | None = None,
    height: int | None = None,
    digest: str | None = None,
    holder_id: int | None = None,
) -> str:
    """Keep a photo under its SHA-256 (stored once however often it arrives).

    digest: the SHA-256 of data where the caller has checked it already (the sync API
    does, to match the URL), so a photo is hashed once. holder_id: the user who
    sent these bytes, who may then link the photo to their visits.
    """
    digest = digest or hashlib.sha256(data).hexdigest()
    keep_photo_file(photo_dir, data, digest)
    with transaction(db):
        photo_row(db, digest, mime, len(data), width, height, holder_id)
    return digest


def keep_photo_file(photo_dir: str | Path, data: bytes, digest: str) -> None:
    """Write the photo's file under its hash (atomically), unless it is there already."""
    path = photo_path(photo_dir, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)


def photo_row(
    db: Database,
    digest: str,
    mime: str,
    size: int,
    width: int | None,
    height: int | None,
    holder_id: int | None = None,
) -> None:
    """The photo's row, once, and who holds it: the part of storing a photo that writes SQL.

    Apart from the file so the sync API can write it in the shared write
    transaction (write_batched) after the file is safely on disk.
    """
    if not _get(db.table("photos"), digest):
        db.table("photos").insert(
            {
                "sha256": digest,
                "mime": mime,
                "size": size,
                "width": width,
                "height": height,
                "stored_at": now(),
            }
        )
    if holder_id is not None:
        hold_photo(db, digest, holder_id)


def photo_path(photo_dir: str | Path, digest: str) -> Path:
    """Where a photo's bytes live: <dir>/ab/abcdef..."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise DomainError("bad_photo_hash", digest)
    return Path(photo_dir) / digest[:2] / digest


PRINT_SIDE = 640  # about 300 dpi at the width the PDFs print a photo (5-6 cm)


def print_copy(photo_dir: str | Path, digest: str) -> Path:
    """A downscaled JPEG of a stored photo for the PDFs, made once and kept.

    WeasyPrint otherwise decodes and resamples every 1600 px original in every
    report. The copy lives in <photo_dir>/print/ab/<digest>.jpg (a cache: the
    backup leaves it out, and it is rebuilt when missing). An original Pillow
    cannot read is handed over unchanged.
    """
    original = photo_path(photo_dir, digest)
    target = Path(photo_dir) / "print" / digest[:2] / f"{digest}.jpg"
    if target.is_file():
        return target
    from PIL import Image  # here, not above: only printing needs Pillow (~20 ms a process)

    try:
        with Image.open(original) as image:
            image.draft("RGB", (PRINT_SIDE, PRINT_SIDE))  # JPEG: decode at a reduced scale
            copy = image.convert("RGB")
        copy.thumbnail((PRINT_SIDE, PRINT_SIDE))
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as fh:
            copy.save(fh, "JPEG", quality=82, optimize=True)
        os.replace(fh.name, target)  # atomic: two reports at once never see half a file
    except (OSError, Image.UnidentifiedImageError, Image.DecompressionBombError):
        return original
    return target


def attach_photo(
    db: Database,
    uuid: str,
    digest: str,
    instrument_id: str = "",
    item_id: str = "",
    caption: str = "",
    captured_at: str | None = None,
) -> None:
    """Link a stored photo to a visit (or one of its items), once."""
    db.execute(
        "insert or ignore into visit_photos (visit_uuid, sha256, instrument_id, item_id, "
        "caption, captured_at) values (?, ?, ?, ?, ?, ?)",
        [uuid, digest, instrument_id or "", item_id or "", caption, captured_at],
    )


def detach_photo(db: Database, uuid: str, digest: str, item_id: str = "") -> None:
    """Unlink a photo from a visit's item (or the visit); the file stays for other visits."""
    db.execute(
        "delete from visit_photos where visit_uuid = ? and sha256 = ? and item_id = ?",
        [uuid, digest, item_id],
    )


def photo(db: Database, digest: str) -> dict | None:
    """A stored photo's row (mime, size, width, height), or None."""
    return _first(db, "select * from photos where sha256 = ?", [digest])


def photos_of_visits(db: Database, uuids: list[str]) -> list[dict[str, Any]]:
    """The photo links of these visits with each photo's mime type, in the order taken."""
    return [
        dict(r)
        for r in db.execute(
            "select vp.*, p.mime from visit_photos vp join photos p on p.sha256 = vp.sha256 "
            "where vp.visit_uuid in (select value from json_each(?)) order by vp.id",
            [json.dumps(uuids)],
        )
    ]


def hold_photo(db: Database, digest: str, user_id: int) -> None:
    """Record that this user sent the photo's bytes (they hold it)."""
    db.execute(
        "insert or ignore into photo_holders (sha256, user_id) values (?, ?)", [digest, user_id]
    )


def holds_photo(db: Database, digest: str, user_id: int) -> bool:
    """Whether this user has sent the photo's bytes; its hash alone proves nothing."""
    return bool(
        db.execute(
            "select 1 from photo_holders where sha256 = ? and user_id = ?", [digest, user_id]
        ).fetchone()
    )


def photo_used_by(db: Database, digest: str, evaluator_id: int) -> bool:
    """Whether the photo belongs to one of this evaluator's visits."""
    return bool(
        db.execute(
            "select 1 from visit_photos p join visits v on v.uuid = p.visit_uuid "
            "where p.sha256 = ? and v.evaluator_id = ?",
            [digest, evaluator_id],
        ).fetchone()
    )


# --- aggregates -----------------------------------------------------------------


@dataclass(frozen=True)
class VisitFilter:
    """Which visits a screen, a document or an export means; a field left None does not filter.

    Dates are ISO strings, inclusive at both ends. `opd_slug` names the OPD when
    the caller has a slug rather than an id; `instrument` keeps the visits filled
    on that instrument (any version).
    """

    status: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    opd_id: int | None = None
    opd_slug: str | None = None
    evaluator_id: int | None = None
    instrument: str | None = None
    assignment_id: int | None = None


def visit_filter(found: VisitFilter, alias: str = "") -> tuple[str, list[Any]]:
    """The SQL condition (and its parameters) selecting the visits a VisitFilter means.

    The one place a visit filter becomes SQL; `alias` prefixes the visit
    columns ("v."). An empty filter is "1 = 1", so callers can always add
    "and ...".
    """
    table = alias or "visits."
    clauses, params = ["1 = 1"], []
    for clause, value in (
        (f"{alias}status = ?", found.status),
        (f"{alias}visit_date >= ?", found.date_from),
        (f"{alias}visit_date <= ?", found.date_to),
        (f"{alias}opd_id = ?", found.opd_id),
        (f"{alias}opd_id = (select id from opds where slug = ?)", found.opd_slug),
        (f"{alias}evaluator_id = ?", found.evaluator_id),
        (f"{alias}assignment_id = ?", found.assignment_id),
        (
            "exists (select 1 from visit_instruments vi "
            f"where vi.visit_uuid = {table}uuid and vi.instrument_id = ?)",
            found.instrument,
        ),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " and ".join(clauses), params


def visits_where(
    status: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    opd_id: int | None = None,
    alias: str = "",
) -> tuple[str, list[Any]]:
    """visit_filter for the common case: status, period and OPD."""
    return visit_filter(VisitFilter(status, date_from, date_to, opd_id), alias)


def visit_scores_in(
    db: Database,
    date_from: str | None = None,
    date_to: str | None = None,
    status: str = "approved",
    opd_id: int | None = None,
    with_items: bool = True,
) -> list[dict]:
    """Stored scores of the visits in a period, with their OPD; never re-scored.

    with_items=False leaves out the per-item pass/fail lists (kept in their
    own column), for aggregates that do not list findings.
    """
    items = "v.item_results" if with_items else "null"
    where, params = visits_where(status, date_from, date_to, opd_id, alias="v.")
    sql = (
        f"select v.uuid, v.opd_id, v.scores, {items} as item_results, v.visit_date, "
        f"o.slug, o.name from visits v join opds o on o.id = v.opd_id where {where}"
    )
    rows = []
    for r in db.execute(sql + " order by o.name, v.visit_date", params).fetchall():
        row = dict(r)
        items_json = row.pop("item_results")
        row["scores"] = (
            join_scores(row["scores"], items_json)
            if row["scores"]
            else score_visit(db, visit(db, row["uuid"]))
        )
        rows.append(row)
    return rows


def briefs_in(
    db: Database, date_from: str | None = None, date_to: str | None = None, status: str = "approved"
) -> list[tuple[int, dict]]:
    """(OPD id, brief scores) of the visits in a period, unordered: what summaries need.

    Read from the covering index on (status, visit_date, opd_id, brief), so the
    wide visit rows are never touched; a visit stored before briefs existed is
    read from its full scores, one not reviewed yet is scored.
    """
    where, params = visits_where(status, date_from, date_to)
    rows = db.execute(f"select opd_id, brief from visits where {where}", params).fetchall()
    with collector_paused():
        out = [(r[0], orjson.loads(r[1])) for r in rows if r[1]]
    if len(out) < len(rows):
        for r in db.execute(
            f"select uuid, opd_id, scores from visits where {where} and brief is null", params
        ):
            out.append((r[1], orjson.loads(r[2]) if r[2] else score_visit(db, visit(db, r[0]))))
    return out


def tally_inputs(
    db: Database, status: str, date_from: str, date_to: str, opd_id: int | None = None
) -> Iterator[tuple[int, dict, dict]]:
    """(OPD id, brief scores, per-item lists) of each visit in a period: what a tally counts."""
    where, params = visits_where(status, date_from, date_to, opd_id)
    rows = db.execute(
        f"select uuid, opd_id, brief, item_results from visits where {where}", params
    ).fetchall()
    for uuid, opd_id, brief, items in rows:
        if brief and items:
            yield opd_id, orjson.loads(brief), orjson.loads(items)
            continue
        # not reviewed yet, or stored before briefs or item lists had their columns
        scores = scores_of(db, visit(db, uuid))
        yield opd_id, orjson.loads(brief_of(scores)), scores["compliance"]


def item_results_in(
    db: Database,
    date_from: str | None = None,
    date_to: str | None = None,
    status: str = "approved",
    opd_id: int | None = None,
) -> list[dict]:
    """Each visit's per-item pass/fail lists ({"passed": [...], "failed": [...]}) in a period.

    What failed-item counts need, without the rest of the scores.
    """
    where, params = visits_where(status, date_from, date_to, opd_id)
    rows = db.execute(f"select uuid, item_results from visits where {where}", params).fetchall()
    with collector_paused():
        out = [orjson.loads(r[1]) for r in rows if r[1]]
    for r in rows:
        if not r[1]:  # not reviewed yet, or stored before the lists had their own column
            out.append(scores_of(db, visit(db, r[0]))["compliance"])
    return out


@contextlib.contextmanager
def collector_paused():
    """No cyclic garbage collection while tens of thousands of acyclic objects are made.

    Each of them counts towards the next collection, so with the collector on
    the parse of a province quarter's briefs spent two thirds of its time there,
    and a dashboard's aggregates a third. Nothing made meanwhile holds a cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def opd_populations(db: Database) -> dict[int, int]:
    """Yearly service volume per OPD (sum over the services that state one)."""
    return {
        r[0]: r[1]
        for r in db.execute(
            "select opd_id, sum(yearly_volume) from services where yearly_volume > 0 "
            "group by opd_id"
        )
    }


def opd_population(db: Database, opd_id: int) -> int | None:
    """Yearly service volume of one OPD, or None when unknown."""
    return opd_populations(db).get(opd_id)


def _first(db: Database, sql: str, params: list) -> dict | None:
    row = db.execute(sql, params).fetchone()
    return dict(row) if row else None


def _get(table, pk) -> dict | None:
    try:
        return table.get(pk)
    except NotFoundError:
        return None
