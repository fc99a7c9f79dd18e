"""One domain exception, rendered by one handler (web) or one line (CLI)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# code -> (HTTP status, message). Messages are translated when shown.
MESSAGES = {
    "unknown_instrument": (422, _l("Unknown or retired instrument version: %(detail)s")),
    "unknown_opd": (404, _l("Unknown OPD: %(detail)s")),
    "unknown_service": (404, _l("Unknown service: %(detail)s")),
    "unknown_visit": (404, _l("Unknown visit: %(detail)s")),
    "unknown_user": (404, _l("Unknown user: %(detail)s")),
    "bad_role": (400, _l("Unknown role: %(detail)s")),
    "bad_status": (400, _l("Unknown status: %(detail)s")),
    "user_exists": (409, _l("A user with that name already exists: %(detail)s")),
    "bad_photo_hash": (400, _l("Not a photo hash: %(detail)s")),
    "bad_date": (400, _l("Not a date (use YYYY-MM-DD): %(detail)s")),
    "own_opd": (403, _l("You cannot assess your own OPD (%(detail)s): you would be recognised.")),
    "not_editable": (409, _l("This visit can no longer be changed: %(detail)s")),
    "invalid_instruments": (400, _l("Instrument files are invalid: %(detail)s")),
    "not_a_finding": (400, _l("This item did not fail in the period: %(detail)s")),
    "empty_action": (400, _l("Describe what must change: %(detail)s")),
    "bad_backup": (400, _l("The backup is damaged or incomplete: %(detail)s")),
    "target_exists": (
        409,
        _l("A database already exists at %(detail)s (use --force to replace it)."),
    ),
    "no_secret_key": (500, _l("SURVEY_APP_SECRET_KEY must be set outside demo and test mode.")),
}


class DomainError(Exception):
    """A refusal the user can act on: a code, a detail and an HTTP status."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def status(self) -> int:
        """HTTP status for this error."""
        return MESSAGES.get(self.code, (400, None))[0]

    @property
    def message(self) -> str:
        """The translated, user-facing sentence."""
        template = MESSAGES.get(self.code, (400, _l("Error: %(detail)s")))[1]
        return str(template) % {"detail": self.detail}
