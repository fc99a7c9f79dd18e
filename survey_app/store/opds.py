"""OPDs and their services as master data: listed, looked up, created and changed.

Reading one OPD by slug or one service with its published standard stays in
records (opd_by_slug, service), which the write path and the documents use.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from survey_app.store import records
from survey_app.store.connection import transaction

# The table behind each kind of record the admin screens change.
TABLES = {"opd": "opds", "service": "services"}


def names(db: Database) -> list[dict[str, Any]]:
    """Every OPD's id, slug and name, by name: what filters and choices list."""
    return [dict(r) for r in db.execute("select id, slug, name from opds order by name")]


def name(db: Database, opd_id: int) -> str:
    """One OPD's name ("?" for an id no OPD has: a visit's header still shows)."""
    row = db.execute("select name from opds where id = ?", [opd_id]).fetchone()
    return row[0] if row else "?"


def listing(db: Database) -> list[dict[str, Any]]:
    """Every OPD with its counts of services, visits and staff, by name."""
    return [
        dict(r)
        for r in db.execute(
            "select o.*, (select count(*) from services s where s.opd_id = o.id) as services, "
            "(select count(*) from visits v where v.opd_id = o.id) as visits, "
            "(select count(*) from users u where u.opd_id = o.id) as staff "
            "from opds o order by o.name"
        )
    ]


def exist(db: Database) -> bool:
    """Whether any OPD is stored (the demo seed keeps a database that has some)."""
    return db.execute("select 1 from opds limit 1").fetchone() is not None


def by_id(db: Database, opd_id: int) -> dict[str, Any] | None:
    """One OPD's row, or None."""
    row = db.execute("select * from opds where id = ?", [opd_id]).fetchone()
    return dict(row) if row else None


def slug_taken(db: Database, slug: str, own_id: int | None) -> bool:
    """Whether another OPD already has this slug."""
    return _taken(db, "select 1 from opds where slug = ? and id != ?", [slug, own_id or 0])


def service_slug_taken(db: Database, slug: str, own_id: int | None, opd_id: int) -> bool:
    """Whether another service of the same OPD already has this slug."""
    sql = "select 1 from services where slug = ? and id != ? and opd_id = ?"
    return _taken(db, sql, [slug, own_id or 0, opd_id])


def _taken(db: Database, sql: str, params: list) -> bool:
    return db.execute(sql, params).fetchone() is not None


def services(db: Database) -> list[dict[str, Any]]:
    """Every service's id, name, OPD id and OPD name, by OPD name then service name."""
    return [
        dict(r)
        for r in db.execute(
            "select s.id, s.name, s.opd_id, o.name as opd from services s "
            "join opds o on o.id = s.opd_id order by o.name, s.name"
        )
    ]


def services_of(db: Database, opd_id: int) -> list[dict[str, Any]]:
    """The OPD's services with their published standards, by name."""
    rows = db.execute("select id from services where opd_id = ? order by name", [opd_id])
    return [records.service(db, r[0]) for r in rows.fetchall()]


def service_by_slug(db: Database, opd_id: int, slug: str) -> dict[str, Any] | None:
    """One OPD's service by its slug, or None."""
    row = db.execute(
        "select * from services where opd_id = ? and slug = ?", [opd_id, slug]
    ).fetchone()
    return dict(row) if row else None


def service_opd(db: Database, service_id: int) -> int | None:
    """The id of the OPD a service belongs to, or None for an unknown service."""
    row = db.execute("select opd_id from services where id = ?", [service_id]).fetchone()
    return row[0] if row else None


def create(db: Database, entity: str, row: dict[str, Any], actor_id: int, detail: dict) -> int:
    """Store a new OPD or service (`entity` "opd" or "service") and log it; its id."""
    with transaction(db):
        new_id = db.table(TABLES[entity]).insert(row).last_pk
        records.audit(db, actor_id, "create", entity, new_id, detail)
    return new_id


def update(
    db: Database, entity: str, record_id: int, row: dict[str, Any], actor_id: int, detail: dict
) -> None:
    """Write changed fields of an OPD or service and log them."""
    with transaction(db):
        db.table(TABLES[entity]).update(record_id, row)
        records.audit(db, actor_id, "update", entity, record_id, detail)
