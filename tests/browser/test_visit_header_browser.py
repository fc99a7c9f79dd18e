"""The visit header, the explicit OPD and service, and the send screen, on a tablet."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .conftest import TABLET, login, shot
from .test_offline_browser import wait_ready

pytestmark = pytest.mark.browser

WIB = ZoneInfo("Asia/Jakarta")
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi"
KTP = "Perekaman dan pencetakan KTP-el"  # 60 menit, Rp 0
DISHUB = "Dinas Perhubungan Kota Jambi"
KIR = "Pengujian berkala kendaraan bermotor (uji KIR)"  # 90 menit, Rp 75.000
PORTRAIT = {**TABLET, "viewport": {"width": 800, "height": 1280}}


def at(today, hhmm):
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(today.year, today.month, today.day, hour, minute, tzinfo=WIB)


def only_instrument(page, wanted):
    for box in page.locator("input[name=instruments]").all():
        box.set_checked(box.get_attribute("value") == wanted)


def clock(page, which):
    slot = page.locator(f".visit-header [data-clock={which}]")
    return slot.locator(".clock-value").inner_text(), slot.get_attribute("data-state")


def focused_item(page):
    return page.evaluate("() => document.activeElement.closest('.item').dataset.item")


def test_offline_header_clocks_change_of_service_and_send_sheet(live_app, browser):
    base = live_app.config["LIVE_URL"]
    today = dt.datetime.now(WIB).date()
    context = browser.new_context(service_workers="block", **PORTRAIT)
    page = context.new_page()
    page.clock.install(time=at(today, "08:00"))
    login(page, base, "evaluator1")
    wait_ready(page)
    context.set_offline(True)  # from here on, only what the tablet keeps
    page.clock.pause_at(at(today, "08:05"))

    page.get_by_role("link", name="Mulai kunjungan").tap()
    assert page.input_value("#opd") == "" and page.input_value("#service") == ""
    assert page.locator("#opd option:checked").inner_text() == "Pilih OPD…"
    only_instrument(page, "kunjungan:2")
    page.get_by_role("button", name="Mulai").tap()
    assert page.locator("#where-error").inner_text() == "Pilih OPD yang Anda kunjungi."
    assert page.evaluate("() => document.activeElement.id") == "opd"
    page.select_option("#opd", label=DUKCAPIL)
    page.get_by_role("button", name="Mulai").tap()
    assert page.locator("#where-error").inner_text() == "Pilih layanan yang Anda minta."
    assert page.input_value("#service") == ""  # still no default, and the OPD is kept
    assert page.locator("#opd option:checked").inner_text() == DUKCAPIL
    shot(page, "visit-01-start-needs-service")
    page.select_option("#service", label=KTP)
    page.get_by_role("button", name="Mulai").tap()

    header = page.locator(".visit-header")
    header.wait_for()
    assert DUKCAPIL in header.inner_text() and KTP in header.inner_text()
    page.get_by_role("link", name="Berikutnya").tap()
    page.fill("#kunjungan__jam_tiba", "08:00")
    page.locator("#kunjungan__jam_tiba").dispatch_event("change")
    assert clock(page, "waiting") == ("5 menit (berjalan)", "ok")
    page.clock.fast_forward("45:00")  # 08:50: 50 of 60 minutes
    page.wait_for_function(
        "() => document.querySelector('[data-clock=total]').dataset.state === 'near'"
    )
    assert "mendekati batas" in header.locator("[data-clock=total]").inner_text()
    shot(page, "visit-02-header-near")
    page.clock.fast_forward("15:00")  # 09:05: past the 60 published minutes
    page.wait_for_function(
        "() => document.querySelector('[data-clock=total]').dataset.state === 'over'"
    )
    assert "melewati batas" in header.locator("[data-clock=total]").inner_text()
    page.locator("input[name=kunjungan__ada_antrian][value=na]").check()
    page.fill("#kunjungan__jam_mulai", "08:20")
    page.fill("#kunjungan__jam_selesai", "09:10")
    page.locator("#kunjungan__jam_selesai").dispatch_event("change")
    assert clock(page, "waiting") == ("20 menit", "ok")
    assert clock(page, "total") == ("70 menit", "over")

    page.get_by_role("link", name="Berikutnya").tap()  # the fee screen
    page.locator("[data-item=biaya_diminta]").wait_for()
    card = page.locator("section.screen:not([hidden]) .timing")
    assert card.locator("[data-show=waiting]").inner_text() == "20 menit"  # not "-"
    assert header.locator("[data-fill=arrival]").inner_text() == "08:00"
    page.fill("#kunjungan__biaya_diminta", "50000")
    page.locator("#kunjungan__biaya_diminta").dispatch_event("change")
    assert "Rp 50.000" in header.inner_text() and "di atas tarif" in header.inner_text()
    page.locator("input[name=kunjungan__kuitansi][value=no]").check()
    page.locator(".saved", has_text="Tersimpan di tablet ini").wait_for()
    shot(page, "visit-03-fee-over")

    header.get_by_role("link", name="Ubah").tap()
    page.select_option("#opd", label="Kecamatan Telanaipura")  # where evaluator1 works
    page.select_option("#service", index=1)
    page.get_by_role("button", name="Ubah").tap()
    refusal = page.locator("#where-error").inner_text()
    assert "tidak dapat menilai OPD tempat Anda bekerja" in refusal
    page.select_option("#opd", label=DISHUB)
    page.select_option("#service", label=KIR)
    page.get_by_role("button", name="Ubah").tap()
    ask = page.locator(".confirm-change")
    assert "90 menit dan Rp 75.000" in ask.inner_text()
    assert page.evaluate("() => document.activeElement.classList.contains('confirm-change')")
    shot(page, "visit-04-confirm-change")
    page.get_by_role("button", name="Ya, ubah").tap()
    page.locator("[data-item=biaya_diminta]").wait_for()
    assert DISHUB in header.inner_text() and KIR in header.inner_text()
    assert clock(page, "total") == ("70 menit", "ok")  # 70 of 90 minutes
    assert "di atas tarif" not in header.inner_text()

    uuid = page.evaluate("() => location.hash.split('/')[2]")
    page.evaluate(f"() => {{ location.hash = '#/review/{uuid}'; }}")  # the send screen
    sheet = page.locator(".send-sheet")
    sheet.wait_for()
    text = sheet.inner_text()
    assert DISHUB in text and KIR in text
    assert "70 menit · Batas waktu yang dipublikasikan 90 menit" in text
    assert "Rp 50.000 · tarif Rp 75.000" in text
    assert "Saudara menerima kuitansi" in sheet.locator(".failed").inner_text()
    assert "Tidak ada foto." in text
    gaps = sheet.locator(".missing a").count()
    assert gaps > 0
    page.locator("#submit-visit").tap()
    alert = page.locator("#send-alert")
    # the refusal is written once the tablet's store answered: wait for it, not for a time
    expect(alert).to_have_text(f"Tidak ada yang terkirim: {gaps} butir wajib belum dijawab.")
    assert page.evaluate("() => document.activeElement.id") == "send-alert"
    shot(page, "visit-05-send-refused")
    link = sheet.locator(".missing a", has_text="Petugas melayani dengan sopan dan ramah.")
    link.tap()
    page.wait_for_function("() => document.activeElement.closest('.item') !== null")
    assert focused_item(page) == "petugas_ramah"
    assert page.locator("[data-item=petugas_ramah]").is_visible()
    shot(page, "visit-06-missing-item-focused")
    context.close()


def test_online_header_change_and_send_screen(live_app, browser):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(**PORTRAIT)
    page = context.new_page()
    login(page, base, "evaluator1")
    page.goto(f"{base}/visits/new")
    only_instrument(page, "kunjungan:2")
    page.get_by_role("button", name="Mulai").tap()
    page.locator(".field-error", has_text="Pilih OPD yang Anda kunjungi.").wait_for()
    assert page.locator("input[value='kunjungan:2']").is_checked()  # what was chosen stays
    assert not page.locator("input[value='skm:1']").is_checked()
    page.select_option("#opd", label=DUKCAPIL)
    assert page.input_value("#service") == ""
    page.select_option("#service", label=KTP)
    page.get_by_role("button", name="Mulai").tap()
    page.wait_for_url("**/s/0")
    page.get_by_role("button", name="Berikutnya").tap()
    page.wait_for_url("**/s/1")
    page.fill("#kunjungan__jam_tiba", "08:00")
    page.fill("#kunjungan__jam_mulai", "08:20")
    page.fill("#kunjungan__jam_selesai", "09:10")
    page.locator("#kunjungan__jam_selesai").dispatch_event("change")
    assert clock(page, "total") == ("70 menit", "over")
    assert "melewati batas" in page.locator(".visit-header").inner_text()
    page.locator(".saved", has_text="Tersimpan").wait_for()
    page.get_by_role("button", name="Berikutnya").tap()
    page.wait_for_url("**/s/2")
    page.fill("#kunjungan__biaya_diminta", "50000")
    page.locator("#kunjungan__biaya_diminta").dispatch_event("change")
    assert "Rp 50.000" in page.locator(".visit-header").inner_text()  # live, before any save
    assert "di atas tarif" in page.locator(".visit-header").inner_text()
    page.locator(".saved", has_text="Tersimpan").wait_for()
    shot(page, "visit-11-online-header")

    page.locator(".visit-header").get_by_role("link", name="Ubah").tap()
    page.select_option("#opd", label=DISHUB)
    page.select_option("#service", label=KIR)
    page.get_by_role("button", name="Ubah").tap()
    assert "90 menit dan Rp 75.000" in page.locator("#confirm-change").inner_text()
    assert page.evaluate("() => document.activeElement.id") == "confirm-change"
    shot(page, "visit-13-online-confirm-change")
    page.get_by_role("button", name="Ya, ubah").tap()
    page.wait_for_url("**/s/2")
    assert KIR in page.locator(".visit-header").inner_text()
    assert "di atas tarif" not in page.locator(".visit-header").inner_text()  # Rp 75.000 now
    assert clock(page, "total") == ("70 menit", "ok")

    page.goto(page.url.replace("/s/2", "/review"))
    page.locator("#submit-visit").tap()
    alert = page.locator("#send-alert")
    expect(alert).to_have_text(re.compile(r"^Tidak ada yang terkirim:"))
    assert page.evaluate("() => document.activeElement.id") == "send-alert"
    sheet = page.locator(".sheet").inner_text()
    assert "70 menit · Batas waktu yang dipublikasikan 90 menit" in sheet
    shot(page, "visit-12-online-send-refused")
    page.locator(".missing a", has_text="Petugas melayani dengan sopan dan ramah.").tap()
    page.wait_for_url("**#item-kunjungan__petugas_ramah")
    page.wait_for_function("() => document.activeElement.closest('.item') !== null")
    assert focused_item(page) == "petugas_ramah"
    context.close()
