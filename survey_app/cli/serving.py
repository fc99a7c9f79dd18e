"""`survey-app run`: waitress, in one process or in several sharing one socket.

A Python process runs Python on one core at a time, so on a machine with more
cores several waitress processes serve more. The parent binds the socket,
forks the workers (each builds its own app and database connections after
the fork) and waits; the kernel hands each new connection to whichever worker
accepts it first. SQLite takes the processes' writes one at a time (WAL, busy
timeout), and nothing the app keeps in memory needs sharing: sessions are
signed cookies, login throttling lives in the database.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
from collections.abc import Callable

from flask import Flask

from survey_app.cli import forwarding
from survey_app.core import scoring
from survey_app.store import records
from survey_app.web.database import get_db

PR_SET_PDEATHSIG = 1


def serve(make_app: Callable[[], Flask], host: str, port: int, threads: int, workers: int) -> None:
    """Serve until stopped; with workers > 1, in that many forked processes."""
    from waitress import serve as waitress_serve

    if workers <= 1:
        waitress_serve(ready(make_app()), host=host, port=port, threads=threads)
        return
    sock = socket.create_server((host, port), backlog=1024)
    parent = os.getpid()
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _die_with(parent)
                waitress_serve(ready(make_app()), sockets=[sock], threads=threads)
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    sock.close()
    _supervise(children)


def ready(app: Flask) -> Flask:
    """Read the rating bands and current instruments before the first request.

    Otherwise the first requests of each process pay for it, several at once
    (one per thread), and a sync batch sent at start-up waits on them.
    """
    scoring.load_schemes()
    if app.config["ROLE"] == "hub":
        return app
    with app.app_context():
        records.current_instruments(get_db())
    forwarding.start(app)
    return app


def _die_with(parent: int) -> None:
    """A worker is killed with its parent, even by SIGKILL (Linux prctl)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: workers end when they notice the closed socket
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _supervise(children: list[int]) -> None:
    """Pass SIGTERM/SIGINT on to the workers; when one ends, end them all."""
    asked = []

    def stop(signum, _frame):
        asked.append(signum)
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _pid, status = os.wait()
    died_alone = not asked
    if died_alone:  # stop the others and say so
        stop(signal.SIGTERM, None)
    for _ in children[1:]:
        os.wait()
    if died_alone:
        sys.exit(f"a server process ended ({os.waitstatus_to_exitcode(status)})")
    sys.exit(0)
