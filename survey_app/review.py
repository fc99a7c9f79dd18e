"""The supervisor's workspace: the queue of visits waiting for review."""

from __future__ import annotations

from flask import Blueprint, render_template

from .auth import login_required
from .db import get_db

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/")
@login_required("supervisor", "admin")
def queue():
    """Visits by status, newest first."""
    rows = (
        get_db()
        .execute(
            "select v.uuid, v.status, v.visit_date, o.name as opd_name, s.name as service_name, "
            "u.name as evaluator_name from visits v join opds o on o.id = v.opd_id "
            "join services s on s.id = v.service_id join users u on u.id = v.evaluator_id "
            "order by v.status = 'submitted' desc, v.visit_date desc limit 200"
        )
        .fetchall()
    )
    return render_template("review/queue.html", visits=[dict(r) for r in rows])
