"""The photo intake: bombs refused from their header, damage found by a reduced decode."""

import hashlib
import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from survey_app.core import photos
from survey_app.store import records
from tests.photo_data import gen_jpeg, gen_jpeg_bomb, gen_png_bomb

MEGAPIXELS = "megapiksel"  # the refusal the evaluator reads (Indonesian by default)
BOMBS = {
    "png-13000": lambda: gen_png_bomb(13000, 13000),
    "png-30000": lambda: gen_png_bomb(30000, 30000),
    "png-45mp-grey": lambda: gen_png_bomb(9000, 5000, channels=1),
    "jpeg-13000": lambda: gen_jpeg_bomb(13000, 13000),
    "jpeg-65535": lambda: gen_jpeg_bomb(65535, 65535),
}


@pytest.fixture
def api(client, auth, world):
    auth.login("evaluator1")
    return client


def start_visit(client, db) -> str:
    """The logged-in evaluator starts a draft with the visit instrument; its uuid."""
    service = db.execute(
        "select s.id, s.opd_id from services s join opds o on o.id = s.opd_id "
        "where o.slug = 'disdukcapil' order by s.id limit 1"
    ).fetchone()
    response = client.post(
        "/visits/new",
        data={
            "opd": service[1],
            "service": service[0],
            "instruments": ["kunjungan:2"],
            "visit_date": __import__("datetime").date.today().isoformat(),
        },
    )
    return response.headers["Location"].split("/visits/")[1].split("/")[0]


@pytest.mark.parametrize("name", BOMBS)
@pytest.mark.parametrize("downscale", [True, False])
def test_bombs_refused_from_their_header(name, downscale):
    with pytest.raises(photos.PhotoRejected) as refused:
        photos.check(BOMBS[name](), 8 * 1024 * 1024, downscale=downscale)
    assert "40 megapixels" in str(refused.value) or "40 megapiksel" in str(refused.value)


def upload(client, uuid: str, data: bytes):
    """POST a photo to the web form, encoded in memory (the test client's own encoding
    leaves a temporary file open for bodies over 500 KB)."""
    boundary, body = encode_multipart(MultiDict({"photo": FileStorage(io.BytesIO(data), "a.png")}))
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post(f"/visits/{uuid}/photos", data=body, content_type=content_type)


@pytest.mark.parametrize("name", ["png-13000", "png-30000", "jpeg-13000"])
def test_bombs_refused_by_the_web_form(api, db, name):
    response = upload(api, start_visit(api, db), BOMBS[name]())
    assert response.status_code == 400 and MEGAPIXELS in response.get_json()["error"]
    assert db.table("photos").count == 0


@pytest.mark.parametrize("name", ["png-13000", "png-30000", "jpeg-13000"])
def test_bombs_refused_by_the_sync_api(api, db, name):
    data = BOMBS[name]()
    sha = hashlib.sha256(data).hexdigest()
    response = api.put(f"/api/v1/photos/{sha}", data=data, content_type="image/png")
    assert response.status_code == 400 and MEGAPIXELS in response.get_json()["message"]
    assert db.table("photos").count == 0


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_large_honest_photo_still_downscaled(fmt):
    buf = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 140, 30)).save(buf, fmt)
    data, mime, width, height = photos.check(buf.getvalue(), 8 * 1024 * 1024)
    assert (mime, width, height) == ("image/jpeg", 1600, 1200)
    assert Image.open(io.BytesIO(data)).getpixel((800, 600)) == pytest.approx((90, 140, 30), abs=3)


@pytest.mark.parametrize("downscale", [True, False])
@pytest.mark.parametrize("progressive", [False, True])
def test_half_truncated_jpeg_refused(downscale, progressive):
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (40, 90, 160)).save(buf, "JPEG", progressive=progressive)
    with pytest.raises(photos.PhotoRejected) as refused:
        photos.check(buf.getvalue()[: buf.tell() // 2], 8 * 1024 * 1024, downscale=downscale)
    assert "rusak" in str(refused.value)


def test_half_truncated_jpeg_refused_by_the_sync_api(api, db):
    # the app has imported WeasyPrint, which makes Pillow's load() pad truncated JPEGs
    data = gen_jpeg(1600, 1200)[:-4000]
    sha = hashlib.sha256(data).hexdigest()
    response = api.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg")
    assert response.status_code == 400 and "rusak" in response.get_json()["message"]
    assert db.table("photos").count == 0


def test_store_photo_takes_the_digest_already_checked(app, db):
    data = gen_jpeg(64, 48)
    sha = hashlib.sha256(data).hexdigest()
    assert records.store_photo(db, app.config["PHOTOS_DIR"], data, "image/jpeg", digest=sha) == sha
    assert records.photo_path(app.config["PHOTOS_DIR"], sha).read_bytes() == data
    assert db.table("photos").get(sha)["size"] == len(data)
