"""A real `survey-app run` process (waitress) for fault tests, and a tiny HTTP client."""

from __future__ import annotations

import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

EXE = Path(sys.executable).with_name("survey-app")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`survey-app run` on a loopback port, started and killed for real."""

    def __init__(self, app, port: int | None = None, args: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.args = list(args)
        self.env = {
            **os.environ,
            "SURVEY_APP_DATABASE": app.config["DATABASE"],
            "SURVEY_APP_PHOTOS_DIR": app.config["PHOTOS_DIR"],
            "SURVEY_APP_SECRET_KEY": app.config["SECRET_KEY"],
            "SURVEY_APP_WTF_CSRF_ENABLED": "false",
        }
        self.process = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [str(EXE), "run", "--port", str(self.port), *self.args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Ready means answering HTTP, not just accepting: with --workers the
        # parent's socket accepts before any worker has been forked.
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start")

    def workers(self, expected: int, within: float = 60) -> list[int]:
        """The worker processes once `expected` of them are there (a busy machine forks late)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        deadline = time.time() + within
        found: list[int] = []
        while time.time() < deadline:
            found = [int(p) for p in path.read_text().split()]
            if len(found) >= expected:
                break
            time.sleep(0.1)
        return found

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush, like a power cut."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers: a failing test never leaks a server."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Client:
    """A logged-in HTTP client with its own cookie jar."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def login(self, username: str, password: str = "demo-password") -> Client:
        data = urllib.parse.urlencode({"username": username, "password": password}).encode()
        self.opener.open(self.base + "/login", data=data, timeout=30).close()
        return self

    def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read() or b"{}")
