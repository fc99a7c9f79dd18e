"""Accounts as the login sees them: sessions that can be ended, and failed-login counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from survey_app.store.connection import transaction


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
