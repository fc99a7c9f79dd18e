"""The offline app: what the tablet keeps, and how fast a form opens offline.

    python benchmarks/bench_offline.py

Serves a demo database with waitress, logs in as an evaluator in Debian's
chromium, then reports the bytes the service worker caches (app files) and
the bytes the app keeps in IndexedDB (bootstrap data and the three
instruments' forms), photos excluded; goal under 500 KB. Then, offline with
the CPU slowed 4x, the time from navigation to a visible form section (the
kepatuhan checklist's first screen); goal under 1 s. Baseline: the same
page opened online without throttling.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402
from waitress.server import create_server  # noqa: E402

from survey_app import create_app
from survey_app.store import demo, records  # noqa: E402
from survey_app.store.connection import connect, migrate  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET, free_port  # noqa: E402

SIZES_JS = """async () => {
  let app = 0;
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      app += (await (await cache.match(request)).arrayBuffer()).byteLength;
    }
  }
  const frags = await LocalDB.all('fragments');
  const boot = await LocalDB.get('meta', 'bootstrap');
  const data = frags.reduce((n, f) => n + f.html.length + JSON.stringify(f.definition).length, 0)
    + JSON.stringify(boot.value).length;
  return [app, data];
}"""


def serve(workdir: Path):
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE": str(workdir / "survey.db"),
            "PHOTOS_DIR": str(workdir / "photos"),
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"])
    demo.seed(db, app.config["PHOTOS_DIR"], visits=0)
    db.close()
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


def open_form(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("section.screen:not([hidden]) .item")
    return time.perf_counter() - start


def main() -> None:
    server, base = serve(Path(tempfile.mkdtemp(prefix="bench-offline-")))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(**TABLET)
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", "evaluator1")
        page.fill("#password", demo.PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url("**/field/")
        page.wait_for_function("() => document.body.dataset.ready === '1'")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        page.get_by_role("link", name="Mulai kunjungan").click()
        page.wait_for_selector("#start-form")
        page.select_option("#opd", label="Dinas Perhubungan Kota Jambi")
        page.click("#start-form button[type=submit]")
        page.wait_for_selector("section.screen:not([hidden])")
        target = page.url.rsplit("/", 1)[0] + "/5"  # the kepatuhan checklist's first screen
        app_bytes, data_bytes = page.evaluate(SIZES_JS)
        online = [open_form(page, target) for _ in range(5)]
        context.set_offline(True)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        offline = [open_form(page, target) for _ in range(5)]
        browser.close()
    server.close()
    total = (app_bytes + data_bytes) / 1024
    print(
        f"service worker cache (app files): {app_bytes / 1024:.0f} KB; "
        f"IndexedDB (bootstrap + forms): {data_bytes / 1024:.0f} KB; "
        f"total {total:.0f} KB without photos (goal < 500 KB)"
    )
    print(
        f"open a form section offline, CPU 4x slower: median "
        f"{statistics.median(offline) * 1000:.0f} ms, worst {max(offline) * 1000:.0f} ms "
        f"(goal < 1 s); baseline online, no throttling: median "
        f"{statistics.median(online) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
