"""Evidence per item on a tablet: failing answers marked, their detail and photos, undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from survey_app.store import records
from survey_app.store.connection import connect

from .conftest import TABLET, login, shot
from .test_offline_browser import offline_after_login, open_profile

pytestmark = pytest.mark.browser

CASES = Path(__file__).resolve().parents[1] / "failing_cases.json"
DETAIL = "Petugas meminta Rp 20.000 untuk uang rokok."
BRIBE = "[data-item=imbalan_diminta]"
QUESTION = (
    "Apakah petugas meminta atau mengisyaratkan imbalan, uang rokok, "
    "atau uang pelicin di luar tarif resmi?"
)


def jpeg(path, color):
    Image.new("RGB", (1200, 900), color).save(path, "JPEG", quality=85)
    return str(path)


def test_browser_fails_answers_as_the_server_does(live_app, tablet):
    url = f"{live_app.config['LIVE_URL']}/static/js/form-core.js"
    tablet.goto(url)
    tablet.add_script_tag(url=url)
    cases = json.loads(CASES.read_text("utf-8"))["cases"]
    wrong = tablet.evaluate(
        "cases => cases.filter(c => FormCore.failing(c.item, c.value) !== c.fails)", cases
    )
    assert wrong == [] and len(cases) > 10


def intercept_choosers(page):
    """Keep file choosers intercepted for the whole test: Playwright turns interception on
    without waiting for the browser, so a chooser opened right after expect_file_chooser
    could otherwise slip past it on a busy machine."""
    page.on("filechooser", lambda chooser: None)


def add_photo_by_keyboard(page, item, picture):
    """Tab from the item's detail to its one photo control, open the chooser with Enter."""
    item.locator("[data-note]").focus()
    for _ in range(item.locator(".thumbs li").count() + 1):  # past each photo's "Hapus"
        page.keyboard.press("Tab")
    control = item.locator("[data-photo-pick]")
    assert control.evaluate("el => el === document.activeElement")
    assert control.evaluate("el => getComputedStyle(el).outlineStyle") != "none"  # focus visible
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    count = item.locator(".thumbs li").count()
    chooser.value.set_files(picture)
    item.locator(".thumbs li").nth(count).wait_for()


def add_photo(item, picture):
    """A second photo straight into the item's file input (the chooser was shown above)."""
    count = item.locator(".thumbs li").count()
    item.locator("input[type=file]").set_input_files(picture)
    item.locator(".thumbs li").nth(count).wait_for()


def delete_and_undo(item, status_before_undo):
    """Delete the first photo, check the status says so and counts, then undo it."""
    thumbs, status = item.locator(".thumbs li"), item.locator(".photo-status")
    kept = thumbs.count()
    thumbs.first.get_by_role("button", name="Hapus").click()
    status.get_by_role("button", name="Batalkan").wait_for()
    assert status.inner_text() == status_before_undo
    assert thumbs.count() == kept - 1
    status.get_by_role("button", name="Batalkan").click()
    status.filter(has_text="Foto dikembalikan").wait_for()
    assert thumbs.count() == kept and f"Jumlah foto: {kept}" in status.inner_text()


def mark_failing(page):
    """Answer the bribe question "Ya": the item is marked in words and opens its evidence."""
    item = page.locator(BRIBE)
    assert item.get_attribute("data-fails-on") == "yes"
    assert item.locator("[data-evidence]").is_hidden()
    item.locator("input[value=yes]").check()
    item.locator("[data-failing-flag]").wait_for()
    assert "failing" in item.get_attribute("class")
    assert item.locator("[data-failing-flag]").inner_text().endswith("Tidak memenuhi standar")
    assert item.locator("[data-evidence]").is_visible()
    assert item.locator("[data-photo-pick]").bounding_box()["height"] >= 44
    item.locator("[data-note]").fill(DETAIL)
    return item


def fill_visit_record(page, screen):
    """Answer the required kunjungan items shown on this screen (passing answers)."""
    for name, value in (
        ("layanan_diminta", "KTP-el"),
        ("jam_tiba", "08:00"),
        ("jam_mulai", "08:10"),
        ("jam_selesai", "08:25"),
        ("biaya_diminta", "0"),
    ):
        field = screen.locator(f"#kunjungan__{name}")
        if field.count():
            field.fill(value)
            field.dispatch_event("change")
    for name, value in (
        ("ada_antrian", "na"),
        ("persyaratan_sesuai", "yes"),
        ("produk_diperoleh", "selesai"),
        ("petugas_ramah", "yes"),
    ):
        radio = screen.locator(f"input[name=kunjungan__{name}][value={value}]")
        if radio.count():
            radio.check()


def server_visit(app):
    db = connect(app.config["DATABASE"])
    try:
        [uuid] = [r[0] for r in db.execute("select uuid from visits")]
        return records.visit(db, uuid)
    finally:
        db.close()


def test_offline_failing_answer_detail_photos_and_narrative_reach_the_server(
    live_app, pw, tmp_path
):
    base = live_app.config["LIVE_URL"]
    context, page = open_profile(pw, tmp_path / "profile")
    page.set_viewport_size({"width": 800, "height": 1280})
    intercept_choosers(page)
    offline_after_login(context, page, base)
    page.get_by_role("link", name="Mulai kunjungan").tap()
    page.select_option("#opd", label="Dinas Kependudukan dan Pencatatan Sipil Kota Jambi")
    page.select_option("#service", label="Perekaman dan pencetakan KTP-el")
    for box in page.locator("input[name=instruments]").all():
        if not box.get_attribute("value").startswith("kunjungan:"):
            box.uncheck()
    page.get_by_role("button", name="Mulai").tap()
    screen = page.locator("section.screen:not([hidden])")
    for n in range(5):
        screen.locator(".section-head").wait_for()
        fill_visit_record(page, screen)
        if screen.locator(BRIBE).count():
            item = mark_failing(page)
            add_photo_by_keyboard(page, item, jpeg(tmp_path / "a.jpg", (200, 40, 40)))
            add_photo(item, jpeg(tmp_path / "b.jpg", (40, 40, 200)))
            delete_and_undo(item, "Foto dihapus · Jumlah foto: 1 · Batalkan")
            kept_sha = item.locator(".thumbs li").nth(1).get_attribute("data-sha")
            item.locator(".thumbs li").first.get_by_role("button", name="Hapus").click()
            item.locator(".photo-status .undo").wait_for()
            assert "Foto tersimpan" not in item.locator(".photo-status").inner_text()
            page.locator(".saved", has_text="Tersimpan di tablet ini").wait_for()
            shot(page, "evidence-01-offline-failing")
        if n < 4:
            page.get_by_role("link", name="Berikutnya").tap()
            page.wait_for_url(f"**/visit/*/{n + 1}")
    narrative = page.locator("#kunjungan__narasi")
    line = f"{QUESTION}: {DETAIL}"
    drafted = "l => document.querySelector('#kunjungan__narasi').value === l"
    page.wait_for_function(drafted, arg=line)
    shot(page, "evidence-02-offline-narrative")
    narrative.fill(narrative.input_value() + "\nSaya dilayani di loket 2.")
    narrative.dispatch_event("change")
    page.locator(".saved", has_text="Tersimpan di tablet ini").wait_for()
    page.get_by_role("link", name="Periksa dan kirim").tap()
    page.locator("#submit-visit").tap()
    page.wait_for_selector(".visit-list")
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    context.close()

    record = server_visit(live_app)
    assert record["notes"]["kunjungan"]["imbalan_diminta"] == DETAIL
    assert record["answers"]["kunjungan"]["narasi"] == f"{line}\nSaya dilayani di loket 2."
    photos = [p["sha256"] for p in record["photos"] if p["item_id"] == "imbalan_diminta"]
    assert photos == [kept_sha]  # the undone delete came back; the other stayed deleted


def test_online_failing_answer_keeps_its_detail_and_photos_undoably(live_app, browser, tmp_path):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(**{**TABLET, "viewport": {"width": 800, "height": 1280}})
    page = context.new_page()
    intercept_choosers(page)
    login(page, base, "evaluator1")
    page.goto(f"{base}/visits/new")
    page.select_option("#opd", label="Dinas Kependudukan dan Pencatatan Sipil Kota Jambi")
    page.select_option("#service", label="Perekaman dan pencetakan KTP-el")
    for box in page.locator("input[name=instruments]").all():
        if not box.get_attribute("value").startswith("kunjungan:"):
            box.uncheck()
    page.get_by_role("button", name="Mulai").tap()
    page.wait_for_url("**/s/0")
    page.goto(page.url.replace("/s/0", "/s/2"))
    fill_visit_record(page, page.locator("#section-form"))
    item = mark_failing(page)
    page.locator(".saved", has_text="Tersimpan").wait_for()
    add_photo_by_keyboard(page, item, jpeg(tmp_path / "a.jpg", (200, 40, 40)))
    add_photo(item, jpeg(tmp_path / "b.jpg", (40, 40, 200)))
    delete_and_undo(item, "Foto dihapus · Jumlah foto: 1 · Batalkan")
    doomed = item.locator(".thumbs li").first.get_attribute("data-sha")
    item.locator(".thumbs li").first.get_by_role("button", name="Hapus").click()
    item.locator(".photo-status .undo").wait_for()
    shot(page, "evidence-03-online-deleted")
    page.get_by_role("button", name="Berikutnya").tap()
    page.wait_for_url("**/s/3")
    record = server_visit(live_app)
    assert record["notes"]["kunjungan"]["imbalan_diminta"] == DETAIL
    photos = [p["sha256"] for p in record["photos"] if p["item_id"] == "imbalan_diminta"]
    assert len(photos) == 1 and doomed not in photos

    page.goto(page.url.replace("/s/3", "/s/2"))  # the marking is the server's too
    assert "failing" in page.locator(BRIBE).get_attribute("class")
    assert page.locator(f"{BRIBE} [data-note]").input_value() == DETAIL
    page.goto(page.url.replace("/s/2", "/s/4"))
    assert page.input_value("#kunjungan__narasi") == f"{QUESTION}: {DETAIL}"
    shot(page, "evidence-04-online-narrative")
    context.close()
