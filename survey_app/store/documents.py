"""The register of numbered findings documents: next number per year, checksums, look-up."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlite_utils import Database

from survey_app.store.connection import transaction


def issue(
    db: Database,
    kind: str,
    period: tuple[str, str],
    opd_id: int | None,
    created_by: str,
    number: Callable[[int, dt.datetime], str],
    now: dt.datetime,
) -> dict:
    """Register the next document of now's year; number(seq, now) makes its printed number.

    The sequence is read and taken in one write transaction, and (year, seq)
    is unique, so two processes issuing at once never share a number.
    """
    with transaction(db):
        seq = db.execute(
            "select coalesce(max(seq), 0) + 1 from documents where year = ?", [now.year]
        ).fetchone()[0]
        row = {
            "number": number(seq, now),
            "year": now.year,
            "seq": seq,
            "kind": kind,
            "period_from": period[0],
            "period_to": period[1],
            "opd_id": opd_id,
            "sha256": None,
            "created_at": now.isoformat(timespec="seconds"),
            "created_by": created_by,
        }
        row["id"] = db.table("documents").insert(row).last_pk
    return row


def seal(db: Database, document_id: int, sha256: str) -> None:
    """Record the checksum of the PDF bytes a document was rendered to."""
    with transaction(db):
        db.table("documents").update(document_id, {"sha256": sha256})


def by_checksum(db: Database, sha256: str) -> dict | None:
    """The registered document whose PDF has this SHA-256, with its OPD's name; None if none."""
    row = db.execute(
        "select d.*, o.name as opd_name from documents d left join opds o on o.id = d.opd_id "
        "where d.sha256 = ? order by d.id limit 1",
        [sha256],
    ).fetchone()
    return dict(row) if row else None


def for_year(db: Database, year: int) -> list[dict]:
    """The documents issued in a year, in number order."""
    rows = db.execute("select * from documents where year = ? order by seq", [year])
    return [dict(r) for r in rows]
