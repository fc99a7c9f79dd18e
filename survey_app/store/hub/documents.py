"""The hub's register of numbered province (and national) reports: numbers, checksums."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from survey_app.store.hub.backend import HubDB


def issue(
    db: HubDB,
    kind: str,
    period: tuple[str, str],
    province: str | None,
    created_by: str,
    number: Callable[[int, dt.datetime], str],
    now: dt.datetime,
) -> dict[str, Any]:
    """Register the next document of now's year; number(seq, now) makes its printed number.

    The sequence is read and taken in one transaction that no other issuer
    runs beside (SQLite's write lock; on PostgreSQL a lock on the register),
    and (year, seq) is unique: two reports never share a number.
    """
    with db.transaction():
        if db.postgres:
            db.execute("lock table hub_documents in share row exclusive mode")
        seq = int(
            db.value(
                "select coalesce(max(seq), 0) + 1 from hub_documents where year = ?", [now.year]
            )
        )
        row: dict[str, Any] = {
            "number": number(seq, now),
            "year": now.year,
            "seq": seq,
            "kind": kind,
            "period_from": period[0],
            "period_to": period[1],
            "province": province,
            "created_at": now.isoformat(timespec="seconds"),
            "created_by": created_by,
        }
        row["id"] = db.value(
            f"insert into hub_documents ({', '.join(row)}) values ({', '.join('?' * len(row))}) "
            "returning id",
            list(row.values()),
        )
    return row


def seal(db: HubDB, document_id: int, sha256: str) -> None:
    """Record the checksum of the PDF bytes a document was rendered to."""
    with db.transaction():
        db.execute("update hub_documents set sha256 = ? where id = ?", [sha256, document_id])


def by_checksum(db: HubDB, sha256: str) -> dict[str, Any] | None:
    """The registered document whose PDF has this SHA-256; None if none."""
    return db.one("select * from hub_documents where sha256 = ? order by id limit 1", [sha256])
