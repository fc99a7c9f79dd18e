"""Sync with photos through the real server, beside the same visits without photos.

    python benchmarks/bench_photos.py [--visits 120] [--clients 8] [--workers 2] [--threads 4]

Starts `survey-app run --workers 2` on a fresh database over loopback. Each client
posts its visits without photos, then the same number of visits with three
1600 x 1200 JPEGs each, as the tablet sends them (PUT each photo by its hash,
then POST the visit). Prints visits/s and p95 for both, the time `photos.check`
takes per photo with the old full decode and with the current code, and how the
server answered hostile uploads (bombs, polyglots, truncation): every one must be
a 400, none a 500.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import KeptAlive, payloads, prepare  # noqa: E402
from common import percentile  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from survey_app.core import photos  # noqa: E402
from tests.photo_data import gen_jpeg, gen_jpeg_bomb, gen_png_bomb  # noqa: E402
from tests.servers import Client, ServerProcess  # noqa: E402


def gen_photo(rng: random.Random) -> bytes:
    """A distinct 1600 x 1200 JPEG with texture, about 190 KB as the tablet sends it."""
    image = Image.new("RGB", (1600, 1200), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(1600), rng.randrange(1200)
        box = (x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise((1600, 1200), 40).convert("RGB")
    image = Image.blend(image, noise, 0.05)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def hostile() -> dict[str, bytes]:
    """Uploads the intake must refuse with a 400."""
    jpeg = gen_jpeg(640, 480)
    return {
        "png 13000x13000": gen_png_bomb(13000, 13000),
        "png 30000x30000": gen_png_bomb(30000, 30000),
        "png 9000x5000 grey": gen_png_bomb(9000, 5000, channels=1),
        "jpeg header 13000x13000": gen_jpeg_bomb(13000, 13000),
        "jpeg + <script>": jpeg + b"<script>alert(1)</script>",
        "<html> inside jpeg": jpeg[:200] + b"<html><body>x</body></html>" + jpeg[200:],
        "jpeg + zip": jpeg + b"PK\x03\x04" + b"\0" * 200,
        "half a jpeg": jpeg[: len(jpeg) // 2],
        "svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    }


def old_check(data: bytes) -> None:
    """The check before 2026-12: verify, then decode the whole image (commit 0eb8884)."""
    with Image.open(io.BytesIO(data)) as probe:
        probe.verify()
    with Image.open(io.BytesIO(data)) as image:
        image.load()


def check_times(samples: list[bytes]) -> tuple[float, float]:
    """Seconds per photo: the old full decode, and photos.check as it is now."""
    times = []
    for check in (old_check, lambda d: photos.check(d, 8 << 20, downscale=False)):
        start = time.perf_counter()
        for data in samples:
            check(data)
        times.append((time.perf_counter() - start) / len(samples))
    return times[0], times[1]


def sync(clients, work, with_photos: bool):
    """Post every client's visits (photos first when given); (seconds, latencies, codes)."""
    latencies: list[float] = []
    codes: list[int] = []

    def run(client, visits):
        for body, pics in visits:
            start = time.perf_counter()
            for data in pics if with_photos else ():
                codes.append(put_photo(client, data)[0])
            codes.append(client.post_json("/api/v1/visits", body)[0])
            latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=run, args=cw) for cw in zip(clients, work, strict=True)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, codes


def put_photo(client: KeptAlive, data: bytes) -> tuple[int, bytes]:
    """PUT a photo under its hash on the client's kept-alive connection."""
    sha = hashlib.sha256(data).hexdigest()
    headers = {"Content-Type": "image/jpeg", "Cookie": client.cookie}
    client.conn.request("PUT", f"/api/v1/photos/{sha}", data, headers)
    response = client.conn.getresponse()
    return response.status, response.read()  # a 500 answers HTML


def build_work(rng, insts, services, users, per: int):
    """Per client: visits without photos, and as many with three photos each."""
    plain, pictured = [], []
    for user in users:
        plain.append(
            [(json.dumps(v).encode(), []) for v in payloads(rng, insts, services, user, per)]
        )
        visits = []
        for body in payloads(rng, insts, services, user, per):
            pics = [gen_photo(rng) for _ in range(3)]
            body["photos"] = [
                {"sha256": hashlib.sha256(p).hexdigest(), "instrument_id": "", "item_id": ""}
                for p in pics
            ]
            visits.append((json.dumps(body).encode(), pics))
        pictured.append(visits)
    return plain, pictured


def report(label: str, total: int, elapsed: float, latencies: list[float]) -> None:
    print(
        f"{label}: {total} visits in {elapsed:.1f} s = {total / elapsed:.0f} visits/s, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=120, help="with photos (and as many without)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="survey-app run --workers")
    parser.add_argument("--threads", type=int, default=4, help="survey-app run --threads")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-photos-"))
    app, services, users, insts = prepare(workdir, args.clients)
    rng = random.Random(13)
    plain, pictured = build_work(rng, insts, services, users, args.visits // len(users))
    samples = [p for visits in pictured for _, pics in visits for p in pics][:60]
    old, new = check_times(samples)
    server = ServerProcess(
        app, args=("--workers", str(args.workers), "--threads", str(args.threads))
    )
    server.env.update(SURVEY_APP_LOCKOUT_MIN_DAYS="0", SURVEY_APP_LOCKOUT_MAX_PER_QUARTER="0")
    server.start()
    try:
        clients = [KeptAlive(Client(server.url).login(u["username"])) for u in users]
        results = {
            kind: sync(clients, work, kind == "photos")
            for kind, work in (("plain", plain), ("photos", pictured))
        }
        refused = {name: put_photo(clients[0], data)[0] for name, data in hostile().items()}
    finally:
        server.stop()
    total = sum(len(w) for w in plain)
    size = sum(map(len, samples)) // len(samples)
    for kind, (elapsed, latencies, codes) in results.items():
        bad = sorted({c for c in codes if c not in (200, 201)})
        report(f"sync {kind:6}", total, elapsed, latencies)
        if bad:
            print(f"  failed answers: {bad}")
    print(
        f"check per photo: old full decode {old * 1000:.1f} ms, now {new * 1000:.1f} ms "
        f"({old / new:.1f}x); {len(samples)} photos of {size // 1024} KB on average"
    )
    print("hostile uploads (want 400): " + ", ".join(f"{n} {c}" for n, c in refused.items()))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
