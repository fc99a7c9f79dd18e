"""What the hub's blueprints share: the hub database of this thread, the hub user, login."""

from __future__ import annotations

import functools
import threading

from flask import abort, current_app, g, redirect, request, session, url_for

from survey_app.store.hub import governments
from survey_app.store.hub.backend import HubDB, open_hub

_local = threading.local()


def get_hub() -> HubDB:
    """This thread's connection to the hub database, opened once and reopened if broken."""
    target = current_app.config["DATABASE"]
    pool = getattr(_local, "hubs", None)
    if pool is None:
        pool = _local.hubs = {}
    db = pool.get(target)
    if db is not None and db.postgres and (db.conn.closed or db.conn.broken):
        db = None  # the server restarted: a new connection, not an error for every request
    if db is None:
        db = pool[target] = open_hub(target)
    return db


def close_hubs() -> None:
    """Close this thread's hub connections (a test's end; servers keep theirs)."""
    for db in getattr(_local, "hubs", {}).values():
        db.close()
    _local.hubs = {}


def load_hub_user() -> None:
    """Put the logged-in hub user (or None) on g."""
    username = session.get("hub_user")
    g.user = None
    if username:
        row = governments.hub_user(get_hub(), username)
        g.user = {**row, "role": "hub"} if row else None


def hub_login_required(view):
    """Require a hub user; others go to the hub's login."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.user is None:
            return redirect(url_for("hub.login", next=request.full_path))
        return view(**kwargs)

    return wrapped


def government_of_request() -> str:
    """The government whose bearer token came with the request; 401 otherwise."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
    slug = governments.government_of(get_hub(), token)
    if slug is None:
        abort(401)
    return slug
