"""The data-quality report of a period: what it reads, then core.quality computes."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from survey_app.core import quality
from survey_app.store import records


def report(
    db: Database,
    date_from: str | None = None,
    date_to: str | None = None,
    opd_id: int | None = None,
) -> dict[str, Any]:
    """Every quality figure for the visits of a period (and OPD, when given)."""
    photos = db.execute(
        "select visit_uuid, sha256, captured_at from visit_photos "
        "where captured_at is not null and captured_at != ''"
    ).fetchall()
    return quality.report(
        _visits(db, date_from, date_to, opd_id),
        _returned(db),
        [tuple(p) for p in photos],
        records.opd_populations(db),
        {r[0]: r[1] for r in db.execute("select id, name from opds")},
    )


def _visits(db: Database, date_from, date_to, opd_id) -> list[dict]:
    where, params = records.visits_where(None, date_from, date_to, opd_id)
    sql = (
        "select uuid, opd_id, status, visit_date, submitted_at, revision, scores "
        f"from visits where {where}"
    )
    rows = []
    for r in db.execute(sql + " order by visit_date, uuid", params).fetchall():
        row = dict(r)
        row["scores"] = records.join_scores(row["scores"], None)
        if row["scores"] is None and row["status"] != "draft":  # submitted: not scored yet
            row["scores"] = records.score_visit(db, records.visit(db, row["uuid"]))
        rows.append(row)
    return rows


def _returned(db: Database) -> set[str]:
    return {
        r[0]
        for r in db.execute(
            "select distinct entity_id from audit_log"
            " where entity = 'visit' and action = 'returned'"
        )
    }
