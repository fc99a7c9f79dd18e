"""The audit trail of a record, as the desk shows it."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from survey_app.store.audit import trail_rows

VISIT_ACTIONS = {
    "create": _l("Started"),
    "update": _l("Answers saved"),
    "revise": _l("Corrected on the tablet"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "returned": _l("Returned to the evaluator"),
    "rejected": _l("Rejected"),
    "draft": _l("Back to draft"),
}


RECORD_ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "start": _l("Visit started from it"),
    "cancel": _l("Cancelled"),
}


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list]:
    """Field -> [before, after] for the fields whose value differs: an audit detail."""
    return {k: [old.get(k), v] for k, v in new.items() if old.get(k) != v}


def _merge_changes(detail: dict[str, Any], later: dict[str, list]) -> None:
    """A run of autosaves as one change per item: its first before, its last after."""
    merged = detail.setdefault("changes", {})
    for key, (before, after) in later.items():
        merged[key] = [merged[key][0] if key in merged else before, after]
        if merged[key][0] == merged[key][1]:
            del merged[key]  # changed and changed back: nothing to read


def audit_trail(db: Database, entity: str, entity_id: Any) -> list[dict[str, Any]]:
    """The audit log of one record, oldest first; runs of autosaves by one user merged."""
    trail: list[dict[str, Any]] = []
    for r in trail_rows(db, entity, entity_id):
        entry = {**r, "detail": json.loads(r["detail"] or "{}"), "times": 1}
        last = trail[-1] if trail else None
        if (
            last
            and entry["action"] == last["action"] == "update"
            and (entry["user_id"] == last["user_id"])
        ):
            last.update(times=last["times"] + 1, last_at=entry["at"])
            _merge_changes(last["detail"], entry["detail"].get("changes") or {})
            continue
        labels_ = VISIT_ACTIONS if entity == "visit" else RECORD_ACTIONS
        entry["label"] = str(labels_.get(entry["action"], entry["action"]))
        trail.append(entry)
    return trail
