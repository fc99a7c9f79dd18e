"""Reading the audit log (records.audit writes it, inside each change's transaction)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def trail_rows(db: Database, entity: str, entity_id: Any) -> list[dict[str, Any]]:
    """The log entries of one record with the acting user's name, oldest first."""
    return [
        dict(r)
        for r in db.execute(
            "select a.id, a.at, a.action, a.detail, a.user_id, u.name as user_name "
            "from audit_log a left join users u on u.id = a.user_id "
            "where a.entity = ? and a.entity_id = ? order by a.id",
            [entity, str(entity_id)],
        )
    ]
