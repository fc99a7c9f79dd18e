"""Checks as the screens list them: an OPD's self-assessments, the supervisors' desk reviews.

The records and their one write are store/checks.py's; these are reads for
screens. A desk review names its reviewer (it is not mystery shopping); an
OPD's screens read only its own self-assessments.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

_LIST = (
    "select c.uuid, c.kind, c.opd_id, c.channel, c.instrument_id, c.instrument_version, "
    "c.check_date, c.created_at, c.self_assessed, c.scores, c.assessor_id, "
    "o.name as opd_name, o.slug as opd_slug, u.name as assessor_name "
    "from checks c join opds o on o.id = c.opd_id join users u on u.id = c.assessor_id"
)


def _rows(db: Database, where: str, params: list) -> list[dict[str, Any]]:
    rows = [
        dict(r) for r in db.execute(f"{_LIST} where {where} order by c.created_at desc", params)
    ]
    for row in rows:
        row["scores"] = json.loads(row["scores"]) if row["scores"] else None
    return rows


def self_assessments(db: Database, opd_id: int) -> list[dict[str, Any]]:
    """An OPD's own self-assessments, newest first, with who of the OPD made each."""
    return _rows(db, "c.opd_id = ? and c.self_assessed = 1", [opd_id])


def desk_reviews(db: Database, opd_id: int | None = None) -> list[dict[str, Any]]:
    """Independent desk reviews (a supervisor's), newest first, each with its reviewer."""
    if opd_id is None:
        return _rows(db, "c.kind = 'desk' and c.self_assessed = 0", [])
    return _rows(db, "c.kind = 'desk' and c.self_assessed = 0 and c.opd_id = ?", [opd_id])


def assessor_name(db: Database, check_uuid: str) -> str | None:
    """The name of who made a check (for a desk review: the reviewer)."""
    row = db.execute(
        "select u.name from checks c join users u on u.id = c.assessor_id where c.uuid = ?",
        [check_uuid],
    ).fetchone()
    return row[0] if row else None


def reviewer_names(db: Database, check_uuids: list[str]) -> dict[str, str]:
    """Who made each of these checks, by check UUID, when it may be said (desk reviews name
    their reviewer); an evaluator's is left out: an OPD never learns an evaluator's name."""
    rows = db.execute(
        "select c.uuid, u.name from checks c join users u on u.id = c.assessor_id "
        "where c.uuid in (select value from json_each(?)) and u.role != 'evaluator'",
        [json.dumps(check_uuids)],
    )
    return {r[0]: r[1] for r in rows}


def in_self_assessment_of(db: Database, digest: str, opd_id: int) -> bool:
    """Whether a photo is evidence in one of this OPD's self-assessments."""
    return (
        db.execute(
            "select 1 from check_photos p join checks c on c.uuid = p.check_uuid "
            "where p.sha256 = ? and c.opd_id = ? and c.self_assessed = 1 limit 1",
            [digest, opd_id],
        ).fetchone()
        is not None
    )


def self_assessed_opds(db: Database, date_from: str, date_to: str) -> list[int]:
    """The OPDs that assessed themselves in the period (check date, inclusive)."""
    return [
        r[0]
        for r in db.execute(
            "select distinct opd_id from checks where self_assessed = 1 "
            "and check_date >= ? and check_date <= ? order by opd_id",
            [date_from, date_to],
        )
    ]
