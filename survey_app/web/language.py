"""The user's language, and labels every screen shares."""

from __future__ import annotations

from flask import has_request_context, session
from flask_babel import lazy_gettext as _l

LANGUAGES = ("id", "en")


STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}


def status_label(status: str) -> str:
    """A visit status in the user's language."""
    return str(STATUS_LABELS.get(status, status))


def select_locale() -> str:
    """The user's chosen language, Indonesian by default (and on the CLI)."""
    if not has_request_context():
        return "id"
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "id"
