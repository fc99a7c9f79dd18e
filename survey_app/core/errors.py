"""One domain exception, rendered by one handler (web) or one line (CLI)."""

from __future__ import annotations

from survey_app.core.i18n import N_, gettext

# code -> (HTTP status, message). Messages are translated when shown.
MESSAGES = {
    "unknown_instrument": (422, N_("Unknown or retired instrument version: %(detail)s")),
    "unknown_opd": (404, N_("Unknown OPD: %(detail)s")),
    "unknown_service": (404, N_("Unknown service: %(detail)s")),
    "unknown_visit": (404, N_("Unknown visit: %(detail)s")),
    "unknown_user": (404, N_("Unknown user: %(detail)s")),
    "bad_role": (400, N_("Unknown role: %(detail)s")),
    "opd_user_without_opd": (400, N_("An OPD user must belong to an OPD: %(detail)s")),
    "not_own_follow_up": (404, N_("No such follow-up action of your OPD: %(detail)s")),
    "follow_up_not_open": (
        409,
        N_("This follow-up action is not open, so it cannot be marked done: %(detail)s"),
    ),
    "bad_status": (400, N_("Unknown status: %(detail)s")),
    "user_exists": (409, N_("A user with that name already exists: %(detail)s")),
    "bad_photo_hash": (400, N_("Not a photo hash: %(detail)s")),
    "bad_date": (400, N_("Not a date (use YYYY-MM-DD): %(detail)s")),
    "own_opd": (403, N_("You cannot assess your own OPD (%(detail)s): you would be recognised.")),
    "not_editable": (409, N_("This visit can no longer be changed: %(detail)s")),
    "invalid_instruments": (400, N_("Instrument files are invalid: %(detail)s")),
    "not_a_finding": (400, N_("This item did not fail in the period: %(detail)s")),
    "empty_action": (400, N_("Describe what must change: %(detail)s")),
    "bad_backup": (400, N_("The backup is damaged or incomplete: %(detail)s")),
    "target_exists": (
        409,
        N_("A database already exists at %(detail)s (use --force to replace it)."),
    ),
    "database_in_use": (
        409,
        N_("The database %(detail)s is in use: stop the server (survey-app run) first."),
    ),
    "hub_government_exists": (409, N_("A government with that slug is registered: %(detail)s")),
    "hub_unknown_government": (404, N_("Unknown government: %(detail)s")),
    "hub_bad_token": (401, N_("The forwarding token is unknown or revoked.")),
    "hub_only": (404, N_("This command runs on a hub (SURVEY_APP_ROLE=hub): %(detail)s")),
    "no_secret_key": (500, N_("SURVEY_APP_SECRET_KEY must be set outside demo and test mode.")),
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
        template = MESSAGES.get(self.code, (400, N_("Error: %(detail)s")))[1]
        return gettext(template, detail=self.detail)
