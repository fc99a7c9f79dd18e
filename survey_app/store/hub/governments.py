"""Governments that forward to the hub, their tokens, the hub's users and instruments."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

import orjson
from werkzeug.security import check_password_hash, generate_password_hash

from survey_app.core.errors import DomainError
from survey_app.core.instruments import Instrument, build
from survey_app.store.hub import rapor_tallies
from survey_app.store.hub.backend import HubDB

TOKEN_BYTES = 32


def now() -> str:
    """UTC now, ISO, seconds."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def token_hash(token: str) -> str:
    """How a token is kept: SHA-256 (a 256-bit random token needs no slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_government(db: HubDB, slug: str, name: str, province: str | None = None) -> str:
    """Register a government and return its first forwarding token (shown once)."""
    with db.transaction():
        if db.one("select slug from hub_governments where slug = ?", [slug]):
            raise DomainError("hub_government_exists", slug)
        db.execute(
            "insert into hub_governments (slug, name, province, created_at) values (?, ?, ?, ?)",
            [slug, name, province, now()],
        )
        return _issue(db, slug)


def new_token(db: HubDB, slug: str) -> str:
    """Issue another token for a government (rotation: revoke the old one after)."""
    with db.transaction():
        _government(db, slug)
        return _issue(db, slug)


def _issue(db: HubDB, slug: str) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.execute(
        "insert into hub_tokens (token_hash, government, created_at) values (?, ?, ?)",
        [token_hash(token), slug, now()],
    )
    return token


def revoke_tokens(db: HubDB, slug: str) -> int:
    """Revoke every live token of a government; how many were revoked."""
    with db.transaction():
        _government(db, slug)
        return db.execute(
            "update hub_tokens set revoked_at = ? where government = ? and revoked_at is null",
            [now(), slug],
        ).rowcount


def government_of(db: HubDB, token: str | None) -> str | None:
    """The government a live token belongs to, or None."""
    if not token:
        return None
    row = db.one(
        "select government from hub_tokens where token_hash = ? and revoked_at is null",
        [token_hash(token)],
    )
    return row["government"] if row else None


def _government(db: HubDB, slug: str) -> dict:
    row = db.one("select * from hub_governments where slug = ?", [slug])
    if row is None:
        raise DomainError("hub_unknown_government", slug)
    return row


def governments(db: HubDB, province: str | None = None) -> list[dict]:
    """Every government (of a province), by name."""
    if province:
        return db.rows("select * from hub_governments where province = ? order by name", [province])
    return db.rows("select * from hub_governments order by name")


def provinces(db: HubDB) -> list[str]:
    """The provinces governments were registered under."""
    rows = db.rows("select distinct province from hub_governments where province is not null")
    return sorted(r["province"] for r in rows)


def create_user(db: HubDB, username: str, password: str, name: str | None = None) -> None:
    """Add (or reset the password of) a hub user, who may read every screen."""
    with db.transaction():
        db.execute("delete from hub_users where username = ?", [username])
        db.execute(
            "insert into hub_users (username, name, password_hash, created_at) values (?, ?, ?, ?)",
            [username, name or username, generate_password_hash(password), now()],
        )


def hub_user(db: HubDB, username: str) -> dict | None:
    """A hub user's name, or None."""
    return db.one("select username, name from hub_users where username = ?", [username])


def check_user(db: HubDB, username: str, password: str) -> dict | None:
    """The hub user when the password matches, else None (a dummy check keeps the time)."""
    row = db.one("select * from hub_users where username = ?", [username])
    stored = row["password_hash"] if row else generate_password_hash("not-a-user")
    return row if check_password_hash(stored, password) and row else None


def load_instruments(db: HubDB, loaded: Iterable[Instrument]) -> list[tuple[str, int]]:
    """Record the instrument versions the hub accepts; the ones new to it.

    A definition new or changed (its Ombudsman tags) scores the kept visits
    differently: the readiness view's tallies are dropped then.
    """
    added, changed = [], False
    with db.transaction():
        for inst in loaded:
            known = db.one(
                "select content_hash, definition from hub_instruments where id = ? and version = ?",
                [inst.id, inst.version],
            )
            definition = orjson.dumps(inst.definition).decode()
            if known is None:
                db.execute(
                    "insert into hub_instruments (id, version, title, content_hash, loaded_at, "
                    "definition) values (?, ?, ?, ?, ?, ?)",
                    [inst.id, inst.version, inst.title.id, inst.content_hash, now(), definition],
                )
                added.append((inst.id, inst.version))
                changed = True
            elif known["content_hash"] == inst.content_hash and known["definition"] != definition:
                # the same version: its definition kept (or its Ombudsman tags brought up)
                db.execute(
                    "update hub_instruments set definition = ? where id = ? and version = ?",
                    [definition, inst.id, inst.version],
                )
                changed = True
        if changed:
            rapor_tallies.forget_all(db)
    return added


_BUILT: dict[tuple[str, int, str], Instrument] = {}


def instrument_definitions(db: HubDB) -> dict[tuple[str, int], Instrument]:
    """(id, version) -> the Instrument, for every version the hub holds a definition of.

    Each is built once per content (the definition text is part of the key, so
    a re-tagged version is rebuilt).
    """
    out = {}
    rows = db.rows(
        "select id, version, definition from hub_instruments where definition is not null"
    )
    for r in rows:
        key = (r["id"], int(r["version"]), r["definition"])
        if key not in _BUILT:
            if len(_BUILT) > 512:
                _BUILT.clear()
            _BUILT[key] = build(orjson.loads(r["definition"]), f"hub:{r['id']}", stored=True)
        out[(r["id"], int(r["version"]))] = _BUILT[key]
    return out


def known_instruments(db: HubDB) -> dict[tuple[str, int], str]:
    """(id, version) -> content hash of every version the hub accepts."""
    rows = db.rows("select id, version, content_hash from hub_instruments")
    return {(r["id"], r["version"]): r["content_hash"] for r in rows}
