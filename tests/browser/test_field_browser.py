"""An evaluator's whole visit on a tablet, in Debian's chromium."""

import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from survey_app.store import records
from survey_app.store.connection import connect

from .conftest import login, shot

pytestmark = pytest.mark.browser


def big_jpeg(path):
    image = Image.new("RGB", (3200, 2400), (30, 140, 90))
    image.save(path, "JPEG", quality=90)
    return path


def fill_section(page, tmp_path):
    """Answer every visible item of the current section as a user would."""
    for item in page.locator(".item[data-item]").all():
        if not item.is_visible():
            continue
        classes = item.get_attribute("class")
        if "type-yesno" in classes:  # the answer that meets the standard
            passing = "no" if item.get_attribute("data-fails-on") == "yes" else "yes"
            item.locator(f"input[value={passing}]").check()
        elif "type-scale4" in classes:
            item.locator("input[value='4']").check()
        elif "type-choice" in classes:
            item.locator("input[type=radio]").first.check()
        elif "type-multi" in classes:
            item.locator("input[type=checkbox]").first.check()
        elif "type-integer" in classes or "type-duration" in classes:
            item.locator("input").first.fill("0")
        elif "type-text" in classes:
            item.locator("input, textarea").first.fill("Dilayani dengan baik.")


def test_complete_visit_with_three_instruments(live_app, tablet, tmp_path):
    base = live_app.config["LIVE_URL"]
    page = tablet
    login(page, base, "evaluator1")
    page.goto(f"{base}/visits/")  # the online, server-rendered view
    shot(page, "field-00-visits")
    page.get_by_role("link", name="Mulai kunjungan").tap()
    page.select_option("#opd", label="Dinas Kependudukan dan Pencatatan Sipil Kota Jambi")
    page.select_option("#service", label="Perekaman dan pencetakan KTP-el")
    shot(page, "field-01-start")
    page.get_by_role("button", name="Mulai").tap()
    page.wait_for_url("**/s/0")

    section = 0
    while True:
        page.wait_for_selector("#section-form")
        heading = page.locator(".progress-text").inner_text()
        assert heading.startswith(f"Bagian {section + 1} dari ")
        if page.locator("[data-item=ada_antrian]").count():
            _timestamps_and_skip_logic(page)
        fill_section(page, tmp_path)
        if page.locator("[data-photo-key='kunjungan__foto_bukti']").count():
            _photo(page, tmp_path)
        _assert_touch_targets(page)
        shot(page, f"field-{section + 2:02d}-section")
        next_button = page.get_by_role("button", name="Berikutnya")
        if next_button.count():
            next_button.tap()
            section += 1
            page.wait_for_url(f"**/s/{section}")
        else:
            page.get_by_role("button", name="Periksa dan kirim").first.tap()
            break

    page.wait_for_url("**/review")
    assert page.locator(".missing").count() == 0, page.locator(".missing").inner_text()
    assert "Semua butir wajib sudah dijawab." in page.content()
    shot(page, "field-90-review")
    page.get_by_role("button", name="Kirim kunjungan").tap()
    page.wait_for_url("**/visits/")
    assert "Kunjungan terkirim" in page.content()
    shot(page, "field-99-submitted")

    db = connect(live_app.config["DATABASE"])
    [row] = db.execute("select uuid, status from visits").fetchall()
    record = records.visit(db, row["uuid"])
    assert record["status"] == "submitted"
    assert {i["id"] for i in record["instruments"]} == {"kunjungan", "skm", "kepatuhan"}
    answers = record["answers"]
    assert answers["kunjungan"]["jam_tiba"] == "08:00"
    assert answers["kunjungan"]["jam_mulai"] == "08:20"
    assert answers["skm"]["u1"] == 4
    assert records.scores_of(db, record)["timing"]["waiting_minutes"] == 20
    [photo] = record["photos"]
    assert photo["item_id"] == "foto_bukti"
    meta = db.execute("select * from photos where sha256 = ?", [photo["sha256"]]).fetchone()
    assert max(meta["width"], meta["height"]) == 1600  # downscaled in the browser
    assert records.photo_path(live_app.config["PHOTOS_DIR"], photo["sha256"]).exists()
    db.close()


def _timestamps_and_skip_logic(page):
    ticket = page.locator("[data-item=jam_tiket]")
    page.locator("input[name=kunjungan__ada_antrian][value=no]").check()
    assert ticket.is_hidden()  # skip logic, live in the browser
    page.locator("input[name=kunjungan__ada_antrian][value=yes]").check()
    assert ticket.is_visible()
    page.locator("[data-stamp=kunjungan__jam_tiket]").tap()  # one-tap time stamp
    stamped = page.input_value("#kunjungan__jam_tiket")
    assert len(stamped) == 5 and stamped[2] == ":"
    page.fill("#kunjungan__jam_tiba", "08:00")
    page.fill("#kunjungan__jam_mulai", "08:20")
    page.fill("#kunjungan__jam_selesai", "08:35")
    page.locator("#kunjungan__jam_selesai").dispatch_event("change")
    assert page.locator("[data-show=waiting]").inner_text() == "20 menit"
    assert page.locator("[data-show=service]").inner_text() == "15 menit"


def _photo(page, tmp_path):
    box = page.locator("[data-photo-key='kunjungan__foto_bukti']")
    box.locator("input[type=file]").first.set_input_files(big_jpeg(tmp_path / "bukti.jpg"))
    box.locator(".thumbs li img").wait_for()
    assert box.locator(".photo-status").inner_text() == "Foto tersimpan · Jumlah foto: 1"


def _assert_touch_targets(page):
    small = page.evaluate("""() => Array.from(document.querySelectorAll(
        'button, .button, label.choice, input[type=text], input[type=time], ' +
        'input[type=number], select'))
      .filter(el => el.offsetParent !== null)
      .map(el => [el.textContent.trim().slice(0, 30) || el.name, el.getBoundingClientRect().height])
      .filter(([, h]) => h < 44)""")
    assert small == []


def test_autosave_restores_after_reload(live_app, tablet):
    base = live_app.config["LIVE_URL"]
    page = tablet
    login(page, base, "evaluator2")
    page.goto(f"{base}/visits/new")
    page.select_option("#opd", label="Dinas Perhubungan Kota Jambi")
    page.select_option("#service", label="Pengujian berkala kendaraan bermotor (uji KIR)")
    for box in page.locator("input[name=instruments]").all():
        if box.get_attribute("value") != "skm:1":
            box.uncheck()
    page.get_by_role("button", name="Mulai").tap()
    try:
        page.wait_for_url("**/s/0", timeout=15000)
    except PlaywrightTimeoutError:
        shot(page, "autosave-start-refused")
        raise AssertionError(page.url + "\n" + page.locator("body").inner_text()[:1500]) from None
    page.locator("input[name=skm__u2][value='3']").check()
    page.fill("textarea[name=skm__saran]", "Tambah kursi tunggu")
    page.locator(".saved", has_text="Tersimpan").wait_for()
    page.reload()
    assert page.locator("input[name=skm__u2][value='3']").is_checked()
    assert page.input_value("textarea[name=skm__saran]") == "Tambah kursi tunggu"


def test_own_opd_refused_in_the_browser(live_app, tablet):
    base = live_app.config["LIVE_URL"]
    login(tablet, base, "evaluator1")
    tablet.goto(f"{base}/visits/new")
    tablet.select_option("#opd", label="Kecamatan Telanaipura")
    tablet.select_option("#service", label="Legalisasi dokumen kependudukan")
    tablet.get_by_role("button", name="Mulai").tap()
    error = tablet.locator(".field-error")
    error.wait_for()
    assert "tidak dapat menilai OPD tempat Anda bekerja" in error.inner_text()
    shot(tablet, "field-own-opd-refused")
