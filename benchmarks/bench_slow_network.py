"""The offline app's sync over a slow link: 400 kbit/s each way, 300 ms latency.

    python benchmarks/bench_slow_network.py              # this checkout
    python benchmarks/bench_slow_network.py --ref 3ac2690  # the code before, for comparison

Serves a fresh demo database with waitress (in this process, behind a meter of
the bytes each request brings) and drives the real offline app in Debian's
chromium with Chromium's own network emulation (CDP
Network.emulateNetworkConditions). Ten visits (three instruments, every
answer) with three 1600 x 1200 camera-like photos each (benchmarks/scenes.py)
are put in the outbox as the app keeps them, each photo encoded by the app's
own FormCore.downscale; then "Kirim sekarang", timed until the outbox is empty.

Then one more such visit, with its first photo's upload cut where it passes
half the photo (Playwright aborts the request that carries that byte: the
server never sees it), and sent again: how many bytes of that photo went again.

--ref REF serves and drives the code of another commit (git archive into a
temporary folder, catalogue compiled there); the photos and visits are the same.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenes import gen_scene  # noqa: E402

LINK = {"offline": False, "latency": 300, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
PHOTO_CACHE = Path(tempfile.gettempdir()) / "bench-slow-network-photos"
INJECT_JS = """async ([visits, owner]) => {
  const hashes = [];
  for (const v of visits) {
    v.photos = [];
    for (const b64 of v.pictures) {
      const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
      const blob = await FormCore.downscale(new Blob([bytes], {type: 'image/jpeg'}));
      const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
      const sha = Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('');
      await LocalDB.put('photos', {sha256: sha, blob: blob, owner: owner});
      v.photos.push({sha256: sha, instrument_id: '', item_id: '',
                     captured_at: new Date().toISOString()});
      hashes.push([sha, blob.size]);
    }
    delete v.pictures;
    Object.assign(v, {owner: owner, state: 'outbox', created: new Date().toISOString(),
                      updated: new Date().toISOString(), revision: 1});
    await LocalDB.put('visits', v);
  }
  return hashes;
}"""


ALL_SENT_JS = "() => LocalDB.all('visits').then(list => list.every(v => v.state === 'sent'))"


class Meter:
    """WSGI middleware: each request's method, path, body and header bytes, as it arrives."""

    def __init__(self, app):
        self.app, self.log = app, []

    def __call__(self, environ, start_response):
        headers = sum(len(k) - 1 + len(v) for k, v in environ.items() if k.startswith("HTTP_"))
        line = len(environ["REQUEST_METHOD"]) + len(environ.get("PATH_INFO", "")) + 12
        body = int(environ.get("CONTENT_LENGTH") or 0)
        self.log.append(
            (environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), body, line + headers)
        )
        return self.app(environ, start_response)


def code_of(ref: str) -> Path:
    """The package as it was at ref, in a temporary folder, its catalogue compiled."""
    target = Path(tempfile.mkdtemp(prefix="bench-ref-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "-q", "compile", "-f", "-d", str(target / "survey_app/translations")],
        check=True,
    )
    return target


def photos(count: int, first: int = 0, grain: float = 1.0) -> list[bytes]:
    """Camera-like 1600 x 1200 JPEGs (quality 92), made once and kept between runs."""
    PHOTO_CACHE.mkdir(exist_ok=True)
    out = []
    for seed in range(first, first + count):
        path = PHOTO_CACHE / (f"scene-{seed}.jpg" if grain == 1.0 else f"scene-{seed}-g{grain}.jpg")
        if not path.exists():
            path.write_bytes(gen_scene(seed, 1600, grain))
        out.append(path.read_bytes())
    return out


def serve(workdir: Path):
    """The app on a fresh demo database, served by waitress behind a Meter."""
    from waitress.server import create_server

    from survey_app import create_app
    from survey_app.store import demo, records
    from survey_app.store.connection import connect, migrate

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE": str(workdir / "survey.db"),
            "PHOTOS_DIR": str(workdir / "photos"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
            "LOCKOUT_MIN_DAYS": 0,  # ten visits by one evaluator in a day
            "LOCKOUT_MAX_PER_QUARTER": 0,
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"])
    demo.seed(db, app.config["PHOTOS_DIR"], visits=0)
    meter = Meter(app.wsgi_app)
    app.wsgi_app = meter
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return db, meter, server, f"http://127.0.0.1:{server.effective_port}"


def gen_visits(db, count: int, pictures: list[bytes], seed: int) -> list[dict]:
    """Visits of evaluator1 as the outbox holds them, three instruments, every answer."""
    from survey_app.store import demo, opds, records

    rng = random.Random(seed)
    user = db.execute("select id, opd_id from users where username = 'evaluator1'").fetchone()
    insts = records.current_instruments(db)
    services = [s for s in opds.services(db) if s["opd_id"] != user["opd_id"]]
    visits = []
    for n in range(count):
        svc = records.service(db, rng.choice(services)["id"])
        visits.append(
            {
                "uuid": f"00000000-0000-4000-8000-{seed:04d}{n:08d}",
                "opd_id": svc["opd_id"],
                "service_id": svc["id"],
                "visit_date": time.strftime("%Y-%m-%d"),
                "instruments": [{"id": i.id, "version": i.version} for i in insts],
                "answers": {i.id: demo.fake_answers(i, rng, 0.8, svc) for i in insts},
                "assignment_id": None,
                "pictures": [base64.b64encode(p).decode() for p in pictures[3 * n : 3 * n + 3]],
            }
        )
    return visits


def send_all(page) -> float:
    """Tap "Kirim sekarang" and wait until the outbox is empty; the seconds it took."""
    start = time.perf_counter()
    page.get_by_role("button", name="Kirim sekarang").click()
    # evaluate, not wait_for_function: that takes the predicate's promise for a true value
    while not page.evaluate(ALL_SENT_JS):
        page.wait_for_timeout(100)
    return time.perf_counter() - start


def traffic(entries) -> tuple[int, int, int]:
    """(requests, body bytes, header bytes) of some metered requests."""
    return len(entries), sum(e[2] for e in entries), sum(e[3] for e in entries)


def cut_halfway(page, sizes: dict[str, int], meter: Meter) -> dict:
    """Abort the upload request that carries the middle byte of the first photo sent."""
    cut: dict = {}

    def handle(route):
        request = route.request
        sha = request.url.rsplit("/", 1)[1]
        if request.method != "PUT" or cut.get("done") or cut.setdefault("sha", sha) != sha:
            route.continue_()
            return
        size = sizes[sha]
        part = request.headers.get("content-range")  # "bytes start-end/total", or the whole
        start, end = (
            (int(n) for n in part.split()[1].split("/")[0].split("-")) if part else (0, size - 1)
        )
        if start <= size // 2 <= end:
            cut.update(done=True, size=size, start=start, at=len(meter.log))
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/photos/*", handle)
    return cut


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", help="serve and drive the code of this commit instead")
    parser.add_argument("--visits", type=int, default=10)
    parser.add_argument(
        "--grain",
        type=float,
        default=1.0,
        help="texture and sensor noise of the photos (below 1: plainer photos, fewer bytes)",
    )
    args = parser.parse_args()
    code = code_of(args.ref) if args.ref else ROOT
    sys.path.insert(0, str(code))  # before the first import of survey_app
    sys.path.insert(1, str(ROOT))
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET

    pictures = photos(3 * args.visits + 3, grain=args.grain)
    workdir = Path(tempfile.mkdtemp(prefix="bench-slow-network-"))
    db, meter, server, base = serve(workdir)
    work = gen_visits(db, args.visits, pictures[:-3], 1)
    extra = gen_visits(db, 1, pictures[-3:], 2)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(service_workers="block", **TABLET)
        page = context.new_page()
        page.goto(f"{base}/login")
        page.fill("#username", "evaluator1")
        page.fill("#password", "demo-password")
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url("**/field/")
        # Booted, and the first sync (of an empty outbox) is over: "last sent" shows
        # only after a real send since the history work, so wait on the header instead.
        page.wait_for_function(
            "() => document.body.dataset.ready === '1' && "
            "document.getElementById('outbox-count').textContent !== ''"
        )
        page.wait_for_timeout(2000)
        owner = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
        encoded = page.evaluate(INJECT_JS, [work, owner])
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", LINK)
        before = len(meter.log)
        elapsed = send_all(page)
        timed = meter.log[before:]
        sizes = dict(page.evaluate(INJECT_JS, [extra, owner]))
        cut = cut_halfway(page, sizes, meter)
        page.evaluate("() => { delete document.body.dataset.nextSync; }")
        page.get_by_role("button", name="Kirim sekarang").click()
        page.wait_for_function(  # the cut made the sync fail: a retry is planned
            "() => document.body.dataset.nextSync !== undefined", timeout=600_000
        )
        page.unroute("**/api/v1/photos/*")
        send_all(page)
        after = meter.log[cut["at"] :]
        again = [e for e in after if e[0] == "PUT" and e[1].endswith(cut["sha"])]
        browser.close()
    server.close()
    report(args.ref or "this checkout", work, encoded, timed, elapsed, cut, again)


def report(label, work, encoded, timed, elapsed, cut, again) -> None:
    """Print the time, the bytes per visit beside the payload, and what a cut cost."""
    visits = len(work)
    photo_bytes = sum(size for _, size in encoded)
    payload = sum(len(json.dumps({k: v for k, v in w.items() if k != "pictures"})) for w in work)
    count, body, heads = traffic(timed)
    methods = {}
    for method, *_ in timed:
        methods[method] = methods.get(method, 0) + 1
    print(f"[{label}] {visits} visits with {len(encoded)} photos over 400 kbit/s, 300 ms:")
    print(f"  time to send all: {elapsed:.1f} s")
    print(
        f"  per visit: raw payload {(payload + photo_bytes) / visits / 1024:.0f} KB "
        f"(photos {photo_bytes / visits / 1024:.0f} KB as the tablet encodes them, "
        f"JSON about {payload / visits / 1024:.1f} KB); "
        f"sent {(body + heads) / visits / 1024:.0f} KB "
        f"in {count / visits:.1f} requests (bodies {body / visits / 1024:.0f} KB, "
        f"headers {heads / visits / 1024:.1f} KB); "
        + ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))
    )
    resent, rest = sum(e[2] for e in again), cut["size"] - cut["size"] // 2
    print(
        f"  cut at half of a {cut['size'] / 1024:.0f} KB photo (the part from "
        f"{cut['start'] / 1024:.0f} KB aborted): sent again {resent / 1024:.0f} KB "
        f"in {len(again)} requests; the rest of the photo was {rest / 1024:.0f} KB"
    )


if __name__ == "__main__":
    main()
