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
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flush, like a power cut."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
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
