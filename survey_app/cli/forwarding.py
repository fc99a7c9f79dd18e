"""A serving city forwards to its hub in the background: one thread, backing off on failure.

Never in a request's way: the thread has its own database connection, and
its writes are the outbox's short transactions. With several server
processes only one forwards at a time (the outbox's forward lock); the
others skip their round.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from survey_app.core.hub_client import HubError, last_seq, post_batch
from survey_app.store import outbox
from survey_app.store.connection import connect

BACKOFF_MAX_S = 30 * 60  # a hub down for a day is asked twice an hour, not every minute
log = logging.getLogger(__name__)


def start(app: Flask) -> threading.Thread | None:
    """Start forwarding when the city has a hub configured; the thread, or None."""
    url, token = app.config["HUB_URL"], app.config["HUB_TOKEN"]
    if app.config["ROLE"] == "hub" or not url or not token:
        return None
    every = float(app.config["HUB_FORWARD_SECONDS"])
    photos = app.config["PHOTOS_DIR"] if app.config["HUB_PHOTOS"] == "thumbnails" else None
    thread = threading.Thread(
        target=_loop,
        args=(app.config["DATABASE"], url, token, every, photos),
        name="hub-forwarder",
        daemon=True,  # ends with the server; an unfinished batch is resent (200) next time
    )
    thread.start()
    return thread


def _loop(path: str, url: str, token: str, every: float, photos: str | None) -> None:
    """Forward, then wait a round; after a failure wait twice as long, up to BACKOFF_MAX_S."""
    db = connect(path)
    wait, stop = min(every, 1.0), threading.Event()
    while not stop.wait(wait):
        try:
            send = lambda records: post_batch(url, token, records)  # noqa: E731
            outbox.forward(
                db, send, wait=False, photo_dir=photos, last_seq=lambda: last_seq(url, token)
            )
            wait = every
        except HubError as exc:
            wait = min(max(wait, every) * 2, BACKOFF_MAX_S)
            log.warning("forwarding to the hub failed (%s); next try in %.0f s", exc, wait)
        except Exception:  # a bug must not end the thread: log it and keep trying
            log.exception("forwarding to the hub failed")
            wait = min(max(wait, every) * 2, BACKOFF_MAX_S)
