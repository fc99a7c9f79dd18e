"""Why the logged-in evaluator may not visit an OPD today, in their language."""

from __future__ import annotations

import datetime as dt

from flask import current_app, g
from flask_babel import gettext as _

from survey_app.core import formatting
from survey_app.core.rules import Refusal
from survey_app.store import lockout


def visit_refusal(db, opd_id: int, exclude_uuid: str | None = None) -> str | None:
    """Why the logged-in evaluator may not visit this OPD today, in their language."""
    cfg = current_app.config
    refusal = lockout.may_visit(
        db,
        g.user,
        opd_id,
        dt.date.today(),
        (cfg["LOCKOUT_MIN_DAYS"], cfg["LOCKOUT_MAX_PER_QUARTER"]),
        exclude_uuid,
    )
    return None if refusal is None else refusal_message(refusal)


def refusal_message(refusal: Refusal) -> str:
    """A lockout judgement (core.rules.Refusal) in the user's language."""
    if refusal.code == "own_opd":
        return _("You cannot assess your own OPD: you would be recognised. Choose another OPD.")
    until = formatting.long_date(refusal.until, g.lang)
    if refusal.code == "too_soon":
        return _(
            "You visited this OPD on %(last)s. So that staff do not recognise you, you "
            "may go again from %(until)s.",
            last=formatting.long_date(refusal.last, g.lang),
            until=until,
        )
    return _(
        "You have made %(limit)s visits to this OPD this quarter, the most allowed. "
        "You may go again from %(until)s.",
        limit=refusal.limit,
        until=until,
    )


def probe_refusal_message(refusal: Refusal) -> str:
    """Why the logged-in evaluator may not probe an OPD now, in their language."""
    if refusal.code in ("own_opd", "not_own_opd"):
        return refusal_message(refusal)
    until = formatting.long_date(refusal.until, g.lang)
    if refusal.code == "too_soon":
        return _(
            "You probed this OPD on %(last)s. So that its staff do not recognise you, you "
            "may probe it again from %(until)s.",
            last=formatting.long_date(refusal.last, g.lang),
            until=until,
        )
    return _(
        "You have made %(limit)s probes of this OPD this quarter, the most allowed. "
        "You may probe it again from %(until)s.",
        limit=refusal.limit,
        until=until,
    )
