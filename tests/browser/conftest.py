"""A real server (waitress, real SQLite file) and Debian's chromium via Playwright."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from waitress.server import create_server

from survey_app import create_app
from survey_app.store import demo, records
from survey_app.store.connection import connect, migrate

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {
    "viewport": {"width": 768, "height": 1024},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 1,
    "locale": "id-ID",
    "timezone_id": "Asia/Jakarta",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_app(tmp_path):
    """A seeded app served by waitress on a free loopback port."""
    app = create_app(
        {
            "SECRET_KEY": "browser-test",
            "DATABASE": str(tmp_path / "survey.db"),
            "PHOTOS_DIR": str(tmp_path / "photos"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"])
    demo.seed(db, app.config["PHOTOS_DIR"], visits=0)
    db.close()
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{port}"
    yield app

    def stop():
        # In the server's own loop thread: closed from this one, a socket could
        # vanish under the select() the loop is in (EBADF in that thread).
        for channel in list(server.active_channels.values()):
            channel.close()
        server.close()

    server.trigger.pull_trigger(stop)
    thread.join(timeout=5)
    server.task_dispatcher.shutdown()


@pytest.fixture(scope="session")
def pw():
    """One Playwright driver for the whole run (the sync API allows only one)."""
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(pw):
    """Debian's chromium, headless; never a downloaded browser."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def tablet(browser):
    """A 10-inch tablet in portrait, with touch."""
    context = browser.new_context(**TABLET)
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str) -> None:
    """Keep a screenshot for review under test-artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, base: str, username: str, password: str = demo.PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="Masuk").tap()
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_load_state("load")
