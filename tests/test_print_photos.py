"""The PDFs print downscaled copies of the stored photos, made once."""

import io

from PIL import Image

from survey_app.findings import render
from survey_app.store import records

from .test_findings import gen_approved_visit


def big_jpeg(color) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), color).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_visit_sheet_uses_print_copies_made_once(world, db, app):
    photo_dir = app.config["PHOTOS_DIR"]
    visit_uuid = gen_approved_visit(db, "dishub", quality=0.5)
    digest = records.store_photo(db, photo_dir, big_jpeg((10, 80, 160)), "image/jpeg", 1600, 1200)
    records.attach_photo(db, visit_uuid, digest, "", "", "Loket")
    rendered = render.visit_pdf(db, visit_uuid, photo_dir)
    copy = records.print_copy(photo_dir, digest)
    assert copy.as_uri() in rendered.asked and rendered.refused == []
    with Image.open(copy) as image:
        assert image.size == (640, 480)
    made = copy.stat().st_mtime_ns
    render.visit_pdf(db, visit_uuid, photo_dir)
    assert copy.stat().st_mtime_ns == made  # kept, not made again
    assert records.photo_path(photo_dir, digest).read_bytes() == big_jpeg((10, 80, 160))


def test_unreadable_original_is_handed_over_unchanged(world, db, app):
    photo_dir = app.config["PHOTOS_DIR"]
    digest = records.store_photo(db, photo_dir, big_jpeg((1, 2, 3)), "image/jpeg", 1600, 1200)
    original = records.photo_path(photo_dir, digest)
    original.write_bytes(b"\xff\xd8\xff broken")  # damaged on disk after it was checked
    assert records.print_copy(photo_dir, digest) == original
