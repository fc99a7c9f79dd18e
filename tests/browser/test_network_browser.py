"""A slow or broken link: photos go in parts, two at a time, and a cut one resumes."""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from survey_app.store.connection import connect

from .conftest import TABLET, login, shot
from .test_offline_browser import counts, fill_skm_visit, wait_ready

pytestmark = pytest.mark.browser
PART = 32 * 1024  # offline-app.js PART


def noisy_photo(path: Path, seed: int) -> str:
    """A photo that stays well over one part after the tablet's JPEG encode."""
    Image.effect_noise((900, 700), 40 + seed).convert("RGB").save(path, "JPEG", quality=90)
    return str(path)


def offline_visit(browser, live_app, pictures, viewport=None):
    """A tablet with one visit (and its photos) waiting in the outbox, still offline."""
    context = browser.new_context(service_workers="block", **{**TABLET, **(viewport or {})})
    page = context.new_page()
    seen = []
    page.on("request", lambda r: seen.append((r.method, r.url, r.headers.get("content-range"))))
    login(page, live_app.config["LIVE_URL"], "evaluator1")
    page.wait_for_url("**/field/")
    wait_ready(page)
    context.set_offline(True)
    fill_skm_visit(page, "Dinas Perhubungan Kota Jambi", pictures)
    return context, page, seen


def wait_until(condition, page, within: float = 60) -> None:
    """Let the page run until a Python-side condition holds (route handlers run meanwhile)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        page.wait_for_timeout(50)


def wait_sent(page) -> None:
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=60000,
    )


def stored_photos(app) -> dict[str, bytes]:
    db = connect(app.config["DATABASE"])
    try:
        digests = [r[0] for r in db.execute("select sha256 from photos")]
    finally:
        db.close()
    root = Path(app.config["PHOTOS_DIR"])
    return {d: (root / d[:2] / d).read_bytes() for d in digests}


def test_photos_go_in_parts_two_at_a_time_with_progress_and_no_head(live_app, browser, tmp_path):
    pictures = [noisy_photo(tmp_path / f"p{n}.jpg", n) for n in range(3)]
    tall = {"viewport": {"width": 800, "height": 1280}}
    context, page, seen = offline_visit(browser, live_app, pictures, tall)
    held, released = [], []

    def hold_uploads(route):
        if route.request.method == "PUT" and not released:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/photos/*", hold_uploads)
    context.set_offline(False)
    page.get_by_role("button", name="Kirim sekarang").tap()
    wait_until(lambda: len(held) >= 2, page)  # two uploads in flight at once...
    progress = page.locator(".state-outbox .progress")
    progress.filter(has_text="Mengirim foto 2 dari 3").wait_for()
    assert re.fullmatch(r"Mengirim foto 2 dari 3 · \d+ %", progress.inner_text())
    assert len(held) == 2  # ...and no third while they wait
    shot(page, "network-01-progress")
    released.append(True)
    for route in held:
        route.continue_()
    wait_sent(page)
    context.close()
    assert not [s for s in seen if s[0] == "HEAD"]
    puts = [s for s in seen if s[0] == "PUT"]
    assert puts and all(s[2] for s in puts)  # every upload is a part with its byte range
    assert len({s[1] for s in puts}) == 3 and len(puts) > 3  # three photos, in several parts
    posts = [s for s in seen if s[0] == "POST" and s[1].endswith("/api/v1/visits")]
    assert len(posts) == 2  # the visit, which names the missing photos; again once they are in
    stored = stored_photos(live_app)
    assert len(stored) == 3 and all(hashlib.sha256(b).hexdigest() == d for d, b in stored.items())
    assert counts(live_app)[:3] == (1, 3, 3)
    assert not list(Path(live_app.config["PHOTOS_DIR"]).glob("partial/*/*"))


def test_a_cut_photo_resumes_from_what_the_server_holds(live_app, browser, tmp_path):
    context, page, seen = offline_visit(browser, live_app, noisy_photo(tmp_path / "p.jpg", 7))
    cut = {}

    def cut_second_part(route):
        part = route.request.headers.get("content-range") or ""
        if route.request.method == "PUT" and part.startswith(f"bytes {PART}-") and not cut:
            cut.update(url=route.request.url, at=len(seen))
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/photos/*", cut_second_part)
    context.set_offline(False)
    page.get_by_role("button", name="Kirim sekarang").tap()
    wait_until(lambda: cut, page)
    page.wait_for_function("() => document.body.dataset.nextSync !== undefined")
    digest = cut["url"].rsplit("/", 1)[1]
    partials = list(Path(live_app.config["PHOTOS_DIR"]).glob(f"partial/*/{digest}"))
    assert [p.stat().st_size for p in partials] == [PART]  # the server kept the first part
    page.get_by_role("button", name="Kirim sekarang").tap()
    wait_sent(page)
    context.close()
    after = [s for s in seen[cut["at"] :] if s[1] == cut["url"]]
    assert after[0][0] == "GET"  # asked where it stands, once, as it was known to be cut
    resumed = [s for s in after if s[0] == "PUT"]
    assert resumed[0][2].startswith(f"bytes {PART}-")  # only the rest, not from zero
    assert all(not s[2].startswith("bytes 0-") for s in resumed)
    stored = stored_photos(live_app)
    assert hashlib.sha256(stored[digest]).hexdigest() == digest  # checked whole by its hash
    assert not [s for s in seen if s[0] == "HEAD"]
    assert counts(live_app)[:3] == (1, 1, 1)
