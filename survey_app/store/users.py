"""Users as the screens and the login need them: lookups, changes, sessions, failed logins.

Adding a user with a hashed password is records.create_user, which the CLI
shares; this module adds the audit entry the admin screen writes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database
from werkzeug.security import generate_password_hash

from survey_app.core.errors import DomainError
from survey_app.store import records
from survey_app.store.connection import transaction


def active(db: Database, user_id: int) -> dict[str, Any] | None:
    """The user with this id when active, else None: who may be logged in."""
    row = db.execute("select * from users where id = ? and active = 1", [user_id]).fetchone()
    return dict(row) if row else None


def get(db: Database, user_id: int) -> dict[str, Any] | None:
    """The user with this id, active or not, or None."""
    row = db.execute("select * from users where id = ?", [user_id]).fetchone()
    return dict(row) if row else None


def listing(db: Database) -> list[dict[str, Any]]:
    """Every user with role and home OPD name: active first, then by role and name."""
    return [
        dict(r)
        for r in db.execute(
            "select u.id, u.username, u.name, u.role, u.active, o.name as opd_name "
            "from users u left join opds o on o.id = u.opd_id "
            "order by u.active desc, u.role, u.name"
        )
    ]


def evaluators(db: Database, active_only: bool = False) -> list[dict[str, Any]]:
    """Evaluators (id, name, username, opd_id, home OPD name) by name."""
    sql = (
        "select u.id, u.name, u.username, u.opd_id, o.name as home from users u "
        "left join opds o on o.id = u.opd_id where u.role = 'evaluator'"
    )
    if active_only:
        sql += " and u.active = 1"
    return [dict(r) for r in db.execute(sql + " order by u.name")]


def active_evaluator(db: Database, user_id: int) -> dict[str, Any] | None:
    """The active evaluator with this id (id and home opd_id), or None."""
    row = db.execute(
        "select id, opd_id from users where id = ? and role = 'evaluator' and active = 1",
        [user_id],
    ).fetchone()
    return dict(row) if row else None


def username_taken(db: Database, username: str, own_id: int | None) -> bool:
    """Whether another user already has this username."""
    sql = "select 1 from users where username = ? and id != ?"
    return db.execute(sql, [username, own_id or 0]).fetchone() is not None


def create(db: Database, user: dict[str, Any], password: str, actor_id: int, detail: dict) -> int:
    """Add a user (username, name, role, opd_id) with a hashed password, and log it.

    An OPD user (role `opd`) without an OPD is refused (records.create_user).
    """
    with transaction(db):
        new_id = records.create_user(
            db, user["username"], password, user["role"], name=user["name"], opd_id=user["opd_id"]
        )
        records.audit(db, actor_id, "create", "user", new_id, detail)
    return new_id


def update(
    db: Database,
    user_id: int,
    row: dict[str, Any],
    actor_id: int,
    detail: dict,
    password: str | None = None,
) -> None:
    """Write a user's changed fields (and a new password, hashed, when given) and log them."""
    if row.get("role", get(db, user_id)["role"]) == "opd" and row.get("opd_id", 0) is None:
        raise DomainError("opd_user_without_opd", str(user_id))
    ends_sessions = bool(password) or "active" in detail.get("changes", {})
    row = {**row, "password_hash": generate_password_hash(password)} if password else row
    with transaction(db):
        db.table("users").update(user_id, row)
        if ends_sessions:  # old cookies must not outlive a new password or a deactivation
            end_sessions(db, user_id)
        records.audit(db, actor_id, "update", "user", user_id, detail)


# --- sessions and failed logins (the login's own rows) ---------------------------


def active_by_name(db: Database, username: str) -> dict | None:
    """The active user with this username, or None."""
    row = db.execute("select * from users where username = ? and active = 1", [username]).fetchone()
    return dict(row) if row else None


def session_user(db: Database, user_id: int, version: int | None) -> dict | None:
    """The active user a session belongs to, or None once its sessions were ended."""
    row = db.execute(
        "select * from users where id = ? and active = 1 and session_version = ?",
        [user_id, version],
    ).fetchone()
    return dict(row) if row else None


def end_sessions(db: Database, user_id: int) -> None:
    """Invalidate every session cookie this user holds (logout, new password, deactivation)."""
    with transaction(db):
        db.execute("update users set session_version = session_version + 1 where id = ?", [user_id])


@dataclass(frozen=True)
class Limits:
    """Failed logins allowed in `window` seconds: per account at one address, per address."""

    pair: int
    address: int
    window: float


def begin_attempt(
    db: Database, username: str, address: str, now: float, limits: Limits
) -> tuple[int | None, float]:
    """Count a login attempt as a failure before its password is checked.

    Returns (attempt id, 0) when the attempt may go ahead, or (None, seconds
    to wait) when the account at this address, or the address, is paused.
    Counting and recording in one write transaction means parallel guesses
    cannot all read "4 failures" and all get a check.
    """
    since = now - limits.window
    with transaction(db):
        wait = max(
            _wait(db, "username = ? and address = ?", [username, address], since, limits.pair),
            _wait(db, "address = ?", [address], since, limits.address),
        )
        if wait:
            return None, wait
        attempt = db.table("login_failures").insert(
            {"username": username, "address": address, "at": now}
        )
        return attempt.last_pk, 0


def _wait(db: Database, where: str, params: list, since: float, limit: int) -> float:
    """Seconds until the oldest of the last `limit` failures leaves the window."""
    rows = db.execute(
        f"select at from login_failures where {where} and at > ? order by at desc limit ?",
        [*params, since, limit],
    ).fetchall()
    if len(rows) < limit:
        return 0
    return rows[-1]["at"] - since


def forgive(db: Database, username: str, address: str) -> None:
    """The password was right: this account's failures at this address are dropped."""
    with transaction(db):
        db.execute(
            "delete from login_failures where username = ? and address = ?",
            [username, address],
        )
