"""Backup, restore and import (no Flask): backup and import are safe while serving."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlite_utils import Database

from survey_app.core.errors import DomainError
from survey_app.store import records

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


def import_visits(db: Database, visits: Iterable[dict], actor_id: int | None = None) -> int:
    """Load visits from the JSON export format; each visit in its own short transaction.

    Visits already present (same UUID) are left as they are, so importing the
    same file twice stores everything once.
    """
    count = 0
    for item in visits:
        if db.execute("select 1 from visits where uuid = ?", [item["uuid"]]).fetchone():
            continue
        opd = records.opd_by_slug(db, item["opd"])
        if not db.execute("select 1 from users where id = ?", [item["evaluator_id"]]).fetchone():
            raise DomainError("unknown_user", str(item["evaluator_id"]))
        service = db.execute(
            "select id from services where opd_id = ? and slug = ?", [opd["id"], item["service"]]
        ).fetchone()
        if service is None:
            raise DomainError("unknown_service", f"{item['opd']}/{item['service']}")
        answers: dict[str, dict] = {}
        for answer in item["answers"]:
            answers.setdefault(answer["instrument"], {})[answer["item"]] = answer["value"]
        records.save_visit(
            db,
            {
                "uuid": item["uuid"],
                "opd_id": opd["id"],
                "service_id": service[0],
                "evaluator_id": item["evaluator_id"],
                "visit_date": item["visit_date"],
                "instruments": item["instruments"],
                "answers": answers,
                "status": item.get("status") or "submitted",
            },
            actor_id,
        )
        count += 1
    return count
