"""Backup, restore and import (no Flask): backup and import are safe while serving."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from survey_app.core import photos, sync
from survey_app.core.errors import DomainError
from survey_app.store import opds, records, users
from survey_app.store import sync as store_sync
from survey_app.store.connection import transaction

DB_NAME = "survey.db"


def backup(
    db_path: str | Path,
    photo_dir: str | Path,
    target: str | Path,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Copy the database with SQLite's online backup, then the photos it names.

    Readers and writers keep working meanwhile: the backup API copies pages in
    steps and restarts a step when a writer changed it. Photos are
    content-addressed, so a copy is only made when the file is not there yet.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(db_path), timeout=15)
    dest = sqlite3.connect(str(target / DB_NAME))
    try:
        source.backup(
            dest, pages=256, progress=(lambda s, r, t: progress(t - r, t)) if progress else None
        )
    finally:
        dest.close()
        source.close()
    copy = Database(target / DB_NAME)
    digests = [r[0] for r in copy.execute("select sha256 from photos")]
    copy.close()
    for digest in digests:
        src = records.photo_path(photo_dir, digest)
        dst = records.photo_path(target / "photos", digest)
        if src.exists() and not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    summary = {"database": DB_NAME, "photos": len(digests)}
    (target / "manifest.json").write_text(json.dumps(summary, indent=2))
    return summary


def verify(backup_dir: str | Path) -> dict:
    """Integrity check of a backup: the SQLite file and every photo's bytes.

    :raises DomainError: when anything is damaged or missing.
    """
    backup_dir = Path(backup_dir)
    db_file = backup_dir / DB_NAME
    if not db_file.exists():
        raise DomainError("bad_backup", str(db_file))
    db = Database(db_file)
    try:
        result = db.execute("pragma integrity_check").fetchone()[0]
        if result != "ok":
            raise DomainError("bad_backup", result)
        digests = [r[0] for r in db.execute("select sha256 from photos")]
        visits = db.execute("select count(*) from visits where status = 'approved'").fetchone()[0]
    finally:
        db.close()
    for digest in digests:
        path = records.photo_path(backup_dir / "photos", digest)
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise DomainError("bad_backup", f"photo {digest}")
    return {"integrity": "ok", "approved_visits": visits, "photos": len(digests)}


def restore(
    backup_dir: str | Path, db_path: str | Path, photo_dir: str | Path, force: bool = False
) -> dict:
    """Verify a backup, then put its database and photos in place.

    :raises DomainError: the backup is damaged, or the target exists (without
        force) or is open in another process, such as a running server.
    """
    summary = verify(backup_dir)
    db_path = Path(db_path)
    if db_path.exists() and not force:
        raise DomainError("target_exists", str(db_path))
    if db_path.exists():
        _refuse_if_in_use(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # Only now, with no connection left: the old WAL and its index belong to the old
    # file, and replayed onto the restored one they would corrupt it.
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    partial = db_path.with_name(f"{db_path.name}.restoring")
    shutil.copy2(Path(backup_dir) / DB_NAME, partial)
    partial.replace(db_path)
    for path in (Path(backup_dir) / "photos").rglob("*"):
        if path.is_file():
            dst = records.photo_path(photo_dir, path.name)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not dst.exists():
                shutil.copy2(path, dst)
    return summary


def _refuse_if_in_use(db_path: Path) -> None:
    """Refuse a database that any connection has open (a running server keeps them open).

    Replaced under a server, the database answered every write with "database disk
    image is malformed" until the server restarted, and its orphaned WAL grew.
    """
    probe = sqlite3.connect(str(db_path), timeout=0, isolation_level=None)
    try:
        # In exclusive locking mode the lock conflicts with the shared WAL lock that
        # every open connection holds, even an idle one; timeout 0: no waiting for it.
        probe.execute("PRAGMA locking_mode = EXCLUSIVE")
        probe.execute("BEGIN EXCLUSIVE")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise DomainError("database_in_use", str(db_path)) from None
        raise
    except sqlite3.DatabaseError:
        pass  # not a database at all: nobody can be using it, --force replaces it
    finally:
        probe.close()


@dataclass
class Imported:
    """What an import did: visits stored, visits already there, and each refusal's reason."""

    stored: int = 0
    present: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


KEPT_STATUSES = ("submitted", "returned", "approved", "rejected")
IMPORT_PHOTO_BYTES = 20 * 1024 * 1024  # the request bound; a photo cannot have come larger


def import_visits(
    db: Database,
    visits: Iterable[Any],
    check_answers: sync.CheckAnswers,
    actor_id: int | None = None,
    keep_status: bool = False,
    photo_bytes: Mapping[str, bytes] | None = None,
    photo_dir: str | Path | None = None,
) -> Imported:
    """Load visits from the JSON export, each checked exactly as the sync API checks it.

    All or nothing: if any visit is refused, none is stored and every reason
    is returned. Visits already present (same UUID) are left as they are, so
    importing a file twice stores it once. Imported visits arrive submitted,
    for a supervisor to review, unless keep_status (audited) keeps the file's.
    Photos must be in the store already or among photo_bytes (from the ZIP).
    """
    result, accepted = Imported(), []
    for n, item in enumerate(visits, 1):
        label = str(item.get("uuid")) if isinstance(item, dict) else f"#{n}"
        try:
            found = _accept(db, item, check_answers, photo_bytes or {})
        except sync.Refused as exc:
            result.refused.append((label, _reason(exc)))
            continue
        except DomainError as exc:
            result.refused.append((label, exc.message))
            continue
        if found is None:
            result.present += 1
        else:
            accepted.append(found)
    if result.refused:
        return result
    with transaction(db):
        for visit, insts, svc, status in accepted:
            _store_import(
                db,
                visit,
                insts,
                svc,
                status if keep_status else "submitted",
                actor_id,
                photo_bytes or {},
                photo_dir,
            )
            result.stored += 1
    return result


def _accept(db: Database, item: Any, check_answers, photo_bytes: Mapping[str, bytes]):
    """(visit, instruments, service, status in the file) for a new visit, None if present."""
    if not isinstance(item, dict):
        raise sync.Refused(400, "bad_request", "visit")
    if item.get("uuid") and store_sync.stored(db, str(item["uuid"])):
        return None
    evaluator = (
        users.get(db, item.get("evaluator_id"))
        if isinstance(item.get("evaluator_id"), int)
        else None
    )
    if evaluator is None:
        raise DomainError("unknown_user", str(item.get("evaluator_id"))[:40])
    visit = sync.read_visit(_payload(db, item), dt.date.today(), evaluator["id"])
    # no lockout for visits already made elsewhere; the own-OPD rule still holds
    known = store_sync.Known(db, evaluator, (0, 0))
    accepted = sync.check_visit(visit, known, check_answers)
    missing = [
        p.sha256
        for p in visit.photos
        if p.sha256 not in photo_bytes and not records.photo(db, p.sha256)
    ]
    if missing:
        raise sync.Refused(409, "missing_photos", missing=missing)
    status = item.get("status") if item.get("status") in KEPT_STATUSES else "submitted"
    return accepted.visit, accepted.instruments, accepted.service, status


def _payload(db: Database, item: dict) -> dict[str, Any]:
    """An export object in the shape the tablets post."""
    opd = records.opd_by_slug(db, str(item.get("opd")))
    service = opds.service_by_slug(db, opd["id"], str(item.get("service")))
    if service is None:
        raise DomainError("unknown_service", f"{item.get('opd')}/{item.get('service')}")
    answers: dict[str, dict] = {}
    notes: dict[str, dict] = {}
    for row in item.get("answers") or []:
        answers.setdefault(row["instrument"], {})[row["item"]] = row["value"]
        if row.get("note"):
            notes.setdefault(row["instrument"], {})[row["item"]] = row["note"]
    photos = [
        {
            "sha256": p.get("sha256"),
            "instrument_id": p.get("instrument") or "",
            "item_id": p.get("item") or "",
            "caption": p.get("caption") or "",
            "captured_at": p.get("captured_at"),
        }
        for p in item.get("photos") or []
    ]
    return {
        "uuid": item.get("uuid"),
        "opd_id": opd["id"],
        "service_id": service["id"],
        "visit_date": item.get("visit_date"),
        "instruments": item.get("instruments"),
        "answers": answers,
        "notes": notes,
        "photos": photos,
    }


def _checked_photo(digest: str, data: bytes) -> tuple[bytes, str, int, int]:
    """A photo from the file, refused like an upload (bombs, polyglots, wrong bytes)."""
    if hashlib.sha256(data).hexdigest() != digest:
        raise sync.Refused(400, "hash_mismatch", digest)
    try:
        return photos.check(data, IMPORT_PHOTO_BYTES, downscale=False)
    except photos.PhotoRejected as exc:
        raise sync.Refused(400, "bad_photo", f"{digest}: {exc}") from None


def _reason(exc: sync.Refused) -> str:
    """A refusal as one line: its code, what it names, and each field's reasons."""
    parts = [exc.code] + ([exc.detail] if exc.detail else [])
    parts += [f"{name}: {'; '.join(map(str, why))}" for name, why in exc.fields.items()]
    if exc.missing:
        parts.append("photos: " + ", ".join(exc.missing))
    return " | ".join(parts)


def _store_import(db, visit, insts, svc, status, actor_id, photo_bytes, photo_dir) -> None:
    """Write one accepted visit, its photos, and, when its status was kept, that decision."""
    visit = dataclasses.replace(visit, status="submitted")
    records.write_visit(db, records.prepare_visit(db, visit, insts, svc), actor_id)
    for pic in visit.photos:
        if pic.sha256 in photo_bytes and not records.photo(db, pic.sha256):
            data, mime, width, height = _checked_photo(pic.sha256, photo_bytes[pic.sha256])
            records.store_photo(db, photo_dir, data, mime, width, height, digest=pic.sha256)
        records.hold_photo(db, pic.sha256, visit.evaluator_id)
    store_sync.attach_photos(db, visit, captions=True)
    records.audit(db, actor_id, "import", "visit", visit.uuid, {"status_kept": status})
    if status != "submitted":
        records.set_status(db, visit.uuid, status, actor_id, note="import")
