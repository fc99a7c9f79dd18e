"""Photos in parts: a cut upload resumes from what the server holds, checked whole by hash."""

from __future__ import annotations

import hashlib
import io
import os
import random
import time
from pathlib import Path

from PIL import Image

from survey_app.store import uploads

from .test_api import gen_payload


def gen_photo(seed: int = 1, side: int = 400) -> bytes:
    """A noisy JPEG of some tens of KB, so it splits into several parts."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _login(app, username: str = "evaluator1"):
    client = app.test_client()
    client.post("/login", data={"username": username, "password": "demo-password"})
    return client


def _part(client, digest: str, data: bytes, start: int, end: int):
    """PUT bytes start..end (inclusive) of data as one part."""
    return client.put(
        f"/api/v1/photos/{digest}",
        data=data[start : end + 1],
        content_type="image/jpeg",
        headers={"Content-Range": f"bytes {start}-{end}/{len(data)}"},
    )


def _partials(app) -> Path:
    return Path(app.config["PHOTOS_DIR"]) / "partial"


def _user_id(db, username: str = "evaluator1") -> int:
    return db.execute("select id from users where username = ?", [username]).fetchone()[0]


def _held(client, digest: str) -> int:
    response = client.get(f"/api/v1/photos/{digest}")
    assert response.status_code == 404
    return response.get_json()["held"]


def test_cut_upload_resumes_from_what_the_server_holds(app, world, db):
    client, data = _login(app), gen_photo()
    digest, half = hashlib.sha256(data).hexdigest(), len(data) // 2
    first = _part(client, digest, data, 0, half - 1)
    assert first.status_code == 202 and first.get_json() == {
        "sha256": digest,
        "stored": False,
        "held": half,
    }
    assert _held(client, digest) == half  # asked once, after the cut
    assert db.table("photos").count == 0  # a part is not a photo
    gap = _part(client, digest, data, half + 10, len(data) - 1)
    assert gap.status_code == 416 and gap.get_json()["held"] == half
    done = _part(client, digest, data, half, len(data) - 1)
    assert done.status_code == 201, done.get_json()
    assert db.table("photos").count == 1
    assert client.get(f"/api/v1/photos/{digest}").status_code == 200
    assert not list(_partials(app).glob("*/*"))  # the partial is gone once whole
    body = gen_payload(db, slug="dishub", photos=[{"sha256": digest}])
    assert client.post("/api/v1/visits", json=body).status_code == 201


def test_a_resent_part_overwrites_instead_of_doubling(app, world, db):
    client, data = _login(app), gen_photo(2)
    digest, third = hashlib.sha256(data).hexdigest(), len(data) // 3
    _part(client, digest, data, 0, 2 * third - 1)
    # the answer to the second part was lost: sent again from the last confirmed offset
    again = _part(client, digest, data, third, 2 * third - 1)
    assert again.status_code == 202 and again.get_json()["held"] == 2 * third
    assert _part(client, digest, data, 2 * third, len(data) - 1).status_code == 201


def test_wrong_whole_after_resume_is_refused_and_the_partial_dropped(app, world, db):
    client, data = _login(app), gen_photo(3)
    digest, half = hashlib.sha256(data).hexdigest(), len(data) // 2
    _part(client, digest, data, 0, half - 1)
    damaged = data[:half] + bytes(len(data) - half)
    response = _part(client, digest, damaged, half, len(data) - 1)
    assert response.status_code == 400 and response.get_json()["error"] == "hash_mismatch"
    assert _held(client, digest) == 0  # sent again from the start, not built on bad bytes
    assert db.table("photos").count == 0


def test_another_evaluator_neither_sees_nor_completes_a_partial(app, world, db):
    owner, other, data = _login(app), _login(app, "evaluator2"), gen_photo(4)
    digest, half = hashlib.sha256(data).hexdigest(), len(data) // 2
    _part(owner, digest, data, 0, half - 1)
    assert _held(other, digest) == 0  # no "someone is sending this" oracle
    # the rest alone does not complete the owner's upload: the other has no first half
    refused = _part(other, digest, data, half, len(data) - 1)
    assert refused.status_code == 416 and refused.get_json()["held"] == 0
    assert _held(owner, digest) == half and db.table("photos").count == 0
    body = gen_payload(db, slug="dishub", photos=[{"sha256": digest}])
    assert other.post("/api/v1/visits", json=body).get_json()["missing"] == [digest]


def test_parts_are_bounded_in_size_count_and_age(app, world, db):
    client, data = _login(app), gen_photo(5)
    digest = hashlib.sha256(data).hexdigest()
    app.config["MAX_PHOTO_BYTES"] = len(data) - 1
    too_big = _part(client, digest, data, 0, 99)
    assert too_big.status_code == 400 and too_big.get_json()["error"] == "bad_range"
    assert _held(client, digest) == 0
    app.config["MAX_PHOTO_BYTES"] = 8 * 1024 * 1024
    lying = client.put(
        f"/api/v1/photos/{digest}",
        data=data[:100],
        content_type="image/jpeg",
        headers={"Content-Range": f"bytes 0-199/{len(data)}"},
    )
    assert lying.status_code == 400 and lying.get_json()["error"] == "bad_range"
    digests = [hashlib.sha256(b"%d" % n).hexdigest() for n in range(uploads.MAX_PARTIALS + 1)]
    base = time.time() - 1000  # one second apart, oldest first, none stale yet
    for n, name in enumerate(digests):
        assert _part(client, name, data, 0, 99).status_code == 202
        os.utime(_partials(app) / str(_user_id(db)) / name, (base + n, base + n))
    assert _held(client, digests[0]) == 0  # the oldest made room for the newest
    assert all(_held(client, name) == 100 for name in digests[1:])
    later = base + uploads.MAX_AGE_SECONDS + 4.5  # the next four have become stale
    assert uploads.sweep(app.config["PHOTOS_DIR"], now=later) == 4
    assert _held(client, digests[1]) == 0 and _held(client, digests[-1]) == 100


def test_parts_need_csrf(app, world, db):
    client, data = _login(app), gen_photo(6)
    app.config["WTF_CSRF_ENABLED"] = True
    digest = hashlib.sha256(data).hexdigest()
    response = _part(client, digest, data, 0, 99)
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    assert _held(client, digest) == 0
