"""The hub's API: a city posts batches of forwarded records (docs/api.md, Hub)."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, abort, request

from survey_app.store.hub import receive
from survey_app.web.hub_session import get_hub, government_of_request

bp = Blueprint("hub_api", __name__, url_prefix="/hub/api/v1")
MAX_RECORDS = 2000  # per request; the city sends 500


@bp.route("/records", methods=("POST",))
def records():
    """Store a batch; one result per record (201 new, 200 resend, 409 conflict, 422, 400)."""
    government = government_of_request()
    try:  # orjson: a batch of 500 visits is ~2 MB of JSON, parsed 4x faster than by json
        body = orjson.loads(request.get_data())
    except orjson.JSONDecodeError:
        abort(400)
    batch = body.get("records") if isinstance(body, dict) else None
    if not isinstance(batch, list) or len(batch) > MAX_RECORDS:
        abort(400)
    results = receive.receive(get_hub(), government, batch)
    return Response(orjson.dumps({"results": results}), mimetype="application/json")


@bp.route("/records/last", methods=("GET",))
def last():
    """The highest change number the hub holds from this government: a city restored from
    a backup numbers its next changes above it (store/outbox.py, `_renumber`)."""
    government = government_of_request()
    return {"last_seq": receive.last_seq(get_hub(), government)}
