"""Posting a batch of records to a hub's API (standard library HTTP, no SQL, no Flask)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_S = 120  # a batch of 500 visits is written in well under a second; leave room


class HubError(Exception):
    """The batch got no per-record answer: unreachable, timed out, refused as a whole."""


def last_seq(url: str, token: str) -> int:
    """The highest change number the hub holds from this city (GET <url>/hub/api/v1/records/last).

    :raises HubError: unreachable, refused, or an answer without the number.
    """
    request = urllib.request.Request(
        url.rstrip("/") + "/hub/api/v1/records/last",
        headers={"Authorization": f"Bearer {token}"},
    )
    body = _answer(request)
    value = body.get("last_seq") if isinstance(body, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise HubError("hub answered without its last change number")
    return value


def _answer(request: urllib.request.Request) -> Any:
    """The hub's JSON answer to a request."""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            raise HubError(f"hub answered {exc.code}: {exc.read()[:200]!r}") from None
    except (OSError, ValueError) as exc:  # URLError, refused, reset, timeout, bad JSON
        raise HubError(f"hub unreachable: {exc}") from None


def post_batch(url: str, token: str, records: list[str]) -> list[dict[str, Any]]:
    """POST the records (each as JSON text, sent as frozen) to <url>/hub/api/v1/records.

    The hub's answer for each record is returned, in order.

    :raises HubError: on any failure that leaves the batch unanswered.
    """
    body = '{"records": [' + ", ".join(records) + "]}"
    request = urllib.request.Request(
        url.rstrip("/") + "/hub/api/v1/records",
        data=body.encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    body = _answer(request)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise HubError("hub answered without per-record results")
    return results
