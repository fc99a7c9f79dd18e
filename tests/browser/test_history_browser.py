"""The tablet's history: outcomes, returned visits with their photos, language, lists."""

import datetime as dt
import re

import pytest

from survey_app.core.formatting import short_date
from survey_app.store import records
from survey_app.store.connection import connect

from .conftest import CHROMIUM, CHROMIUM_ARGS, TABLET, login, shot
from .test_offline_browser import fill_skm_visit, photo, wait_controlled, wait_ready

pytestmark = pytest.mark.browser
# The tablet the screens are looked at on (a 10-inch in portrait).
LOOK = {**TABLET, "viewport": {"width": 800, "height": 1280}}
DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi"
DISHUB = "Dinas Perhubungan Kota Jambi"
PUSKESMAS = "UPTD Puskesmas Putri Ayu"
DPMPTSP = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Jambi"
NOTE = "Foto ruang tunggu kurang jelas, ulangi penilaian u9."
REASON = "Petugas mengenali evaluator: ditegur di loket"


def open_profile(pw, profile):
    context = pw.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **LOOK
    )
    return context, context.pages[0] if context.pages else context.new_page()


def logged_in(pw, tmp_path, base):
    """evaluator1 in the field app, its service worker in control (so it works offline)."""
    context, page = open_profile(pw, tmp_path / "profile")
    login(page, base, "evaluator1")
    page.wait_for_url("**/field/")
    wait_ready(page)
    wait_controlled(page)
    return context, page


AWAITING = "Terkirim, menunggu pemeriksaan"


def wait_text(page, selector, text):
    page.locator(selector, has_text=text).first.wait_for(timeout=30000)


def uuids_by_opd(app):
    db = connect(app.config["DATABASE"])
    try:
        rows = db.execute("select v.uuid, o.name from visits v join opds o on o.id = v.opd_id")
        return {r["name"]: r["uuid"] for r in rows}
    finally:
        db.close()


def review(app, decisions):
    db = connect(app.config["DATABASE"])
    try:
        for uuid, (status, note) in decisions.items():
            records.set_status(db, uuid, status, None, note)
    finally:
        db.close()


def local_photos(page):
    return page.evaluate("() => LocalDB.all('photos').then(list => list.map(p => p.sha256))")


def test_sent_visits_show_outcomes_and_a_returned_one_comes_back_with_photos(
    live_app, pw, tmp_path
):
    base = live_app.config["LIVE_URL"]
    context, page = logged_in(pw, tmp_path, base)
    page.wait_for_load_state("networkidle")  # the first sync had nothing to send
    assert page.locator("#net-state").inner_text().strip() == "Terhubung"
    assert page.locator("#net-state").get_attribute("role") == "status"
    assert page.locator("#last-sync").inner_text() == ""

    context.set_offline(True)
    wait_text(page, "#net-state", "Tidak terhubung")
    for n, opd in enumerate((DUKCAPIL, DISHUB, PUSKESMAS, DPMPTSP)):
        picture = photo(tmp_path / f"p{n}.jpg", (60 * n, 90, 160)) if n in (0, 3) else None
        fill_skm_visit(page, opd, picture)
    assert page.locator("#kept-count").inner_text() == "4 kunjungan tersimpan di tablet"
    assert page.locator("#last-sync").inner_text() == ""  # nothing has reached the server
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    assert re.fullmatch(r"terakhir terkirim \d\d:\d\d", page.locator("#last-sync").inner_text())
    wait_text(page, ".state-sent .outcome", "Terkirim, menunggu pemeriksaan")
    assert local_photos(page) == []  # confirmed by the server, let go by the tablet

    ids = uuids_by_opd(live_app)
    returned, rejected, approved, broken = (ids[o] for o in (DUKCAPIL, DISHUB, PUSKESMAS, DPMPTSP))
    review(
        live_app,
        {
            returned: ("returned", NOTE),
            rejected: ("rejected", REASON),
            approved: ("approved", None),
            broken: ("returned", "Lengkapi."),
        },
    )
    page.reload()
    wait_ready(page)
    wait_text(page, ".state-returned h2", "Dikembalikan untuk diperbaiki")
    assert page.locator(f"[data-uuid='{returned}']").count() == 1  # not also under Terkirim
    assert NOTE in page.locator(f".state-returned [data-uuid='{returned}'] .reason").inner_text()
    sent = page.locator(".state-sent")
    assert sent.locator(f"[data-uuid='{approved}'] .outcome").inner_text() == "Disetujui"
    assert sent.locator(f"[data-uuid='{rejected}'] .outcome").inner_text() == "Ditolak"
    reason = sent.locator(f"[data-uuid='{rejected}'] .reason").inner_text()
    assert reason == f"Alasan penolakan: {REASON}"
    shot(page, "history-01-outcomes")

    # A send on another day shows its date (the tablet is in Jakarta, UTC+7).
    page.evaluate("""() => LocalDB.get('meta', 'bootstrap').then(b => LocalDB.put('meta',
        {key: 'lastSent:' + b.value.user.id, value: '2025-11-30T02:05:00Z'}))""")
    context.set_offline(True)
    page.reload()
    wait_ready(page)
    wait_text(page, ".state-sent .outcome", "terakhir diketahui")
    assert page.locator("#last-sync").inner_text() == "terakhir terkirim 30 Nov 2025 09:05"
    assert "Disetujui (terakhir diketahui" in sent.locator(f"[data-uuid='{approved}']").inner_text()
    assert page.locator("#net-state").inner_text().strip() == "Tidak terhubung"
    shot(page, "history-02-offline-last-known")
    context.set_offline(False)
    page.reload()
    wait_ready(page)

    puts = []
    page.on("request", lambda r: puts.append(r.url) if r.method == "PUT" else None)
    page.wait_for_load_state("networkidle")  # the list is drawn again when the sync ends
    page.locator(f"[data-uuid='{returned}'] button", has_text="Perbaiki").tap()
    page.wait_for_url(f"**/#/visit/{returned}/0")
    page.goto(f"{base}/field/#/review/{returned}")
    page.locator(".visit-photos .thumbs img").wait_for()
    assert len(local_photos(page)) == 1  # fetched from the server into the tablet
    page.locator("#submit-visit").tap()
    wait_text(page, f".state-sent [data-uuid='{returned}'] .outcome", AWAITING)
    assert puts == []  # the server has the photo already: not sent again

    page.route("**/visits/photo/*", lambda route: route.abort("connectionreset"))
    page.goto(f"{base}/field/#/list")  # the list as it stands after the corrected visit went
    wait_ready(page)
    wait_text(page, f".state-sent [data-uuid='{returned}'] .outcome", AWAITING)
    db = connect(live_app.config["DATABASE"])
    row = db.execute("select status, revision from visits where uuid = ?", [returned]).fetchone()
    db.close()
    assert tuple(row) == ("submitted", 2)  # unchanged answers, still the correction it is
    page.wait_for_load_state("networkidle")
    page.locator(f"[data-uuid='{broken}'] button", has_text="Perbaiki").tap()
    page.wait_for_url(f"**/#/visit/{broken}/0")
    wait_text(page, "#app-status", "1 foto kunjungan ini tidak dapat diambil")
    shot(page, "history-03-photo-not-fetched")
    context.close()


def start_draft(page, opd, day, picture=None):
    """A draft begun offline: one answer, and a visit photo when given."""
    page.get_by_role("link", name="Mulai kunjungan").tap()
    page.select_option("#opd", label=opd)
    page.select_option("#service", index=1)  # the OPD's first service, chosen: no default
    for box in page.locator("input[name=instruments]").all():
        if box.get_attribute("value") != "skm:1":
            box.uncheck()
    page.fill("#visit_date", day)
    page.get_by_role("button", name="Mulai").tap()
    page.locator("input[name=skm__u1][value='3']").check()
    page.locator(".saved", has_text="Tersimpan di tablet ini").wait_for()
    if picture:
        page.get_by_role("link", name="Periksa dan kirim").tap()
        page.locator(".visit-photos input[type=file]").first.set_input_files(picture)
        page.locator(".visit-photos .thumbs img").wait_for()
    page.goto(page.url.split("#")[0] + "#/list")
    page.locator(".state-draft").wait_for()


def server_language(page, base):
    """The language the server's own pages are now in, for this login."""
    return page.evaluate(
        'url => fetch(url).then(r => r.text()).then(t => /<html lang="(\\w+)"/.exec(t)[1])',
        f"{base}/visits/",
    )


def test_drafts_newest_first_discarded_with_care_and_language_switched_offline(
    live_app, pw, tmp_path
):
    base = live_app.config["LIVE_URL"]
    context, page = logged_in(pw, tmp_path, base)
    context.set_offline(True)
    picture = photo(tmp_path / "same.jpg", (200, 40, 40))
    middle, newest, oldest = (dt.date.today() - dt.timedelta(days=d) for d in (9, 2, 20))
    start_draft(page, DISHUB, middle.isoformat(), picture)
    start_draft(page, PUSKESMAS, newest.isoformat(), picture)  # the same photo, in two drafts
    start_draft(page, DUKCAPIL, oldest.isoformat())
    rows = page.locator(".state-draft li.visit")
    assert [rows.nth(n).locator("strong").inner_text() for n in range(3)] == [
        PUSKESMAS,
        DISHUB,
        DUKCAPIL,
    ]
    shown = rows.nth(1).inner_text()
    assert short_date(middle) in shown and middle.isoformat() not in shown  # "2 Des 2026"
    assert len(local_photos(page)) == 1

    dishub = rows.nth(1)
    dishub.get_by_role("button", name="Buang draf").tap()
    dialog = page.locator("#discard-dialog")
    asked = f"Buang draf kunjungan ke {DISHUB} pada {short_date(middle)}?"
    assert dialog.locator("h2").inner_text() == asked
    shot(page, "history-04-discard-confirm")
    dialog.get_by_role("button", name="Simpan draf").tap()
    page.locator("#discard-dialog").wait_for(state="detached")
    assert rows.count() == 3  # kept
    dishub.get_by_role("button", name="Buang draf").tap()
    page.locator("#discard-dialog").get_by_role("button", name="Buang draf").tap()
    wait_text(page, "#app-status", "Draf dibuang.")
    page.wait_for_function("() => document.querySelectorAll('.state-draft li.visit').length === 2")
    names = page.locator(".state-draft li.visit strong").all_inner_texts()
    assert names == [PUSKESMAS, DUKCAPIL]  # "keep" kept it; only the one confirmed went
    assert len(local_photos(page)) == 1  # the other draft still uses the photo
    page.locator(".state-draft li.visit", has_text=PUSKESMAS).get_by_role(
        "button", name="Buang draf"
    ).tap()
    page.locator("#discard-dialog").get_by_role("button", name="Buang draf").tap()
    page.wait_for_function("() => document.querySelectorAll('.state-draft li.visit').length === 1")
    assert local_photos(page) == []
    assert page.locator("#kept-count").inner_text() == "1 kunjungan tersimpan di tablet"

    page.get_by_role("button", name="English").tap()  # still offline
    page.wait_for_url("**/field/en/#/list")
    wait_ready(page)
    assert page.locator("h1").inner_text() == "My visits"
    assert page.locator("#net-state").inner_text().strip() == "Offline"
    assert short_date(oldest, "en") in page.locator(".state-draft").inner_text()
    shot(page, "history-05-english-offline")
    page.locator(".state-draft li.visit a").tap()
    page.locator("section.screen:not([hidden])").wait_for()
    assert (
        "How appropriate were the service requirements"
        in page.locator("#section-form").inner_text()
    )

    context.set_offline(False)  # the server hears of the choice once online
    page.reload()
    wait_ready(page)
    page.wait_for_function("() => !localStorage.getItem('survey-lang-pending')", timeout=30000)
    assert server_language(page, base) == "en"
    page.get_by_role("button", name="Bahasa Indonesia").tap()
    page.wait_for_url("**/field/id/**")
    wait_ready(page)
    assert page.locator("section.screen:not([hidden]) h1").inner_text() == "Unsur pelayanan"
    assert server_language(page, base) == "id"
    context.close()


def test_a_draft_begun_before_the_update_still_opens_offline(live_app, pw, tmp_path):
    """Forms were kept under "id:version" before they were kept per language: a
    draft begun then opens from that copy, offline, after the app is updated."""
    base = live_app.config["LIVE_URL"]
    context, page = logged_in(pw, tmp_path, base)
    context.set_offline(True)
    page.evaluate(
        """async () => {
      const user = JSON.parse(JSON.stringify((await LocalDB.get("meta", "bootstrap")).value.user));
      const kept = (await LocalDB.all("fragments")).find(f => f.key.startsWith("kunjungan:"));
      const [id, version] = kept.key.split(":");
      for (const f of await LocalDB.all("fragments")) await LocalDB.del("fragments", f.key);
      await LocalDB.put("fragments", { ...kept, key: id + ":" + version });
      await LocalDB.put("visits", { uuid: "00000000-0000-4000-8000-000000000abc", owner: user.id,
        state: "draft", opd_id: 1, service_id: 1, visit_date: "2026-12-01",
        instruments: [{ id, version: Number(version) }], answers: {}, photos: [],
        created: "2026-12-01T08:00:00Z", updated: "2026-12-01T08:00:00Z" });
    }"""
    )
    page.evaluate("() => { location.hash = '#/visit/00000000-0000-4000-8000-000000000abc/0'; }")
    page.locator("#section-form section.screen:not([hidden]) .item").first.wait_for()
    assert page.locator("#app .flash.error").count() == 0
    context.close()
