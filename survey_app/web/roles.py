"""Who is logged in, and which roles may open a view."""

from __future__ import annotations

import functools

from flask import abort, g, redirect, request, session, url_for

from survey_app.store import users
from survey_app.web.database import get_db

SUPERVISORS = ("supervisor", "admin")


def load_user() -> None:
    """Put the logged-in, active user (or None) on g before each request.

    A session from before the user's last logout, password change or
    deactivation carries an older session_version and counts as logged out.
    """
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        g.user = users.session_user(get_db(), user_id, session.get("session_version"))


def login_required(*roles: str):
    """Require a logged-in user, and one of `roles` when given (403 otherwise)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            if g.user is None:
                if request.path.startswith("/api/"):
                    abort(401)
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and g.user["role"] not in roles:
                abort(403)
            return view(**kwargs)

        return wrapped

    return decorator
