"""Offline at the counter: the outbox survives reloads and restarts and sends exactly once."""

import pytest
from PIL import Image

from survey_app.store.connection import connect

from .conftest import CHROMIUM, CHROMIUM_ARGS, TABLET, login, shot

pytestmark = pytest.mark.browser


def photo(path, color):
    Image.new("RGB", (2400, 1800), color).save(path, "JPEG", quality=85)
    return str(path)


def open_profile(pw, profile, offline=False):
    context = pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        offline=offline,
        **TABLET,
    )
    return context, context.pages[0] if context.pages else context.new_page()


def wait_ready(page):
    page.wait_for_function("() => document.body.dataset.ready === '1'")


def wait_controlled(page):
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
    )


def offline_after_login(context, page, base, username="evaluator1"):
    """Log in online, let the service worker take the page, then go offline and reload."""
    login(page, base, username)
    page.wait_for_url("**/field/")
    wait_ready(page)
    wait_controlled(page)
    context.set_offline(True)
    page.reload()
    wait_ready(page)


def fill_skm_visit(page, base_opd, picture=None):
    page.get_by_role("link", name="Mulai kunjungan").tap()
    page.select_option("#opd", label=base_opd)
    page.select_option("#service", index=1)  # the OPD's first service, chosen: no default
    for box in page.locator("input[name=instruments]").all():
        if box.get_attribute("value") != "skm:1":
            box.uncheck()
    page.get_by_role("button", name="Mulai").tap()
    page.wait_for_selector("section.screen:not([hidden])")
    answer_skm_and_submit(page, picture)


def answer_skm_and_submit(page, picture=None, value=3):
    """On a started visit: every unsur answered `value`, reviewed, submitted to the outbox.

    picture: a photo's path, or a list of them, added to the whole visit.
    """
    for n in range(1, 10):
        page.locator(f"input[name=skm__u{n}][value='{value}']").check()
    page.locator(".saved", has_text="Tersimpan di tablet ini").wait_for()
    page.get_by_role("link", name="Periksa dan kirim").tap()
    page.wait_for_selector("#submit-visit")
    pictures = [picture] if isinstance(picture, str) else picture or []
    for n, one in enumerate(pictures, start=1):
        page.locator(".visit-photos input[type=file]").first.set_input_files(one)
        page.locator(f".visit-photos .thumbs li:nth-child({n}) img").wait_for()
    page.locator("#submit-visit").tap()
    page.wait_for_selector(".visit-list")


def counts(app):
    db = connect(app.config["DATABASE"])
    try:
        visits = db.execute("select count(*) from visits").fetchone()[0]
        photos = db.execute("select count(*) from photos").fetchone()[0]
        links = db.execute("select count(*) from visit_photos").fetchone()[0]
        answers = db.execute("select count(*) from answers").fetchone()[0]
        return visits, photos, links, answers
    finally:
        db.close()


def test_three_visits_offline_then_sent_exactly_once(live_app, pw, tmp_path):
    base = live_app.config["LIVE_URL"]
    profile = tmp_path / "profile"
    context, page = open_profile(pw, profile)
    offline_after_login(context, page, base)
    opds = [
        "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi",
        "Dinas Perhubungan Kota Jambi",
        "UPTD Puskesmas Putri Ayu",
    ]
    for n, opd in enumerate(opds):
        fill_skm_visit(page, opd, photo(tmp_path / f"p{n}.jpg", (40 * n, 120, 200)))
    assert page.locator("#outbox-count").inner_text() == "3 menunggu dikirim"
    shot(page, "offline-01-outbox")
    assert counts(live_app)[0] == 0
    context.close()

    context, page = open_profile(pw, profile, offline=True)
    page.goto(f"{base}/field/")
    wait_ready(page)
    assert page.locator("#outbox-count").inner_text() == "3 menunggu dikirim"
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    shot(page, "offline-02-sent")
    assert "terakhir terkirim" in page.locator("#last-sync").inner_text()
    context.close()
    visits, photos, links, answers = counts(live_app)
    assert (visits, photos, links, answers) == (3, 3, 3, 27)


def test_connection_cut_mid_sync_loses_and_doubles_nothing(live_app, browser, tmp_path):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(service_workers="block", **TABLET)
    page = context.new_page()
    cut = {"started": False, "done": False}

    def drop_first_answer(route):
        if route.request.method != "POST" or cut["started"]:
            route.continue_()
            return
        answer = route.fetch()
        if answer.status != 201:  # the first post learns which photos to send
            route.fulfill(response=answer)
            return
        cut["started"] = True  # the server stored the visit...
        route.abort("connectionreset")  # ...but the tablet never hears back
        cut["done"] = True  # only now: the server has answered

    page.route("**/api/v1/visits", drop_first_answer)
    login(page, base, "evaluator1")
    page.wait_for_url("**/field/")
    wait_ready(page)
    fill_skm_visit(page, "Dinas Perhubungan Kota Jambi", photo(tmp_path / "p.jpg", (9, 9, 9)))
    for _ in range(600):  # the first send may wait for a retry on a busy machine
        if cut["done"]:
            break
        page.wait_for_timeout(100)
    assert cut["done"]
    assert counts(live_app)[0] == 1  # stored, though the tablet was not told
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '1 menunggu dikirim'"
    )
    page.get_by_role("button", name="Kirim sekarang").tap()
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    context.close()
    assert counts(live_app) == (1, 1, 1, 9)


def test_refused_visit_stays_with_its_reason(live_app, browser):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(service_workers="block", **TABLET)
    page = context.new_page()
    login(page, base, "evaluator1")
    page.wait_for_url("**/field/")
    wait_ready(page)
    context.set_offline(True)
    fill_skm_visit(page, "Dinas Perhubungan Kota Jambi")
    # The form changed on the server since: this version is no longer known there.
    page.evaluate("""() => LocalDB.all('visits').then(list => {
        const v = list[0]; v.instruments[0].version = 99;
        return LocalDB.put('visits', v); })""")
    context.set_offline(False)
    page.get_by_role("button", name="Kirim sekarang").tap()
    reason = page.locator(".state-attention .reason")
    reason.wait_for(timeout=30000)
    assert "skm v99" in reason.inner_text()
    assert "Perlu perhatian" in page.locator(".state-attention h2").inner_text()
    shot(page, "offline-03-refused")
    context.close()
    assert counts(live_app)[0] == 0


def test_assignment_offline_starts_a_linked_visit(live_app, pw, tmp_path):
    """Planned online, seen and started with no network, linked on the server once sent."""
    import datetime as dt

    from survey_app.store import assignments, records

    db = connect(live_app.config["DATABASE"])
    try:
        opd = records.opd_by_slug(db, "dishub")["id"]
        service = db.execute("select id from services where opd_id = ? order by id", [opd])
        service_id = service.fetchone()[0]
        evaluator = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
        supervisor = db.execute("select id from users where username = 'supervisor'").fetchone()[0]
        today = dt.date.today()
        plan_id = assignments.create(
            db,
            {
                "evaluator": evaluator,
                "opd": opd,
                "service": service_id,
                "instruments": ["skm"],
                "window_start": today,
                "window_end": today + dt.timedelta(days=7),
            },
            supervisor,
        )
    finally:
        db.close()
    base = live_app.config["LIVE_URL"]
    context, page = open_profile(pw, tmp_path / "profile")
    offline_after_login(context, page, base)
    planned = page.locator(f"[data-assignment='{plan_id}']")
    assert "Dinas Perhubungan Kota Jambi" in planned.inner_text()
    months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus"]
    months += ["September", "Oktober", "November", "Desember"]
    last = today + dt.timedelta(days=7)
    assert f"{last.day} {months[last.month - 1]} {last.year}" in planned.inner_text()
    shot(page, "offline-03-assignment")
    planned.locator("a").tap()
    assert page.locator("#opd option:checked").inner_text() == "Dinas Perhubungan Kota Jambi"
    assert int(page.input_value("#service")) == service_id
    boxes = {
        b.get_attribute("value"): b.is_checked()
        for b in page.locator("input[name=instruments]").all()
    }
    assert boxes["skm:1"] and not any(v for k, v in boxes.items() if k != "skm:1")
    page.get_by_role("button", name="Mulai").tap()
    page.wait_for_selector("section.screen:not([hidden])")
    answer_skm_and_submit(page)
    assert page.locator(f"[data-assignment='{plan_id}']").count() == 0  # done on this tablet
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    context.close()
    db = connect(live_app.config["DATABASE"])
    try:
        row = db.execute("select assignment_id, status from visits").fetchone()
        assert (row[0], row[1]) == (plan_id, "submitted")
    finally:
        db.close()


def test_outbox_waits_as_long_as_an_overloaded_server_asks(live_app, browser):
    """A 503 with Retry-After: 120 is not retried after the usual 5 s, but after 120 s."""
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(service_workers="block", **TABLET)
    page = context.new_page()
    page.clock.install()  # time moves only when the test says so: no race with the machine
    login(page, base, "evaluator1")
    page.wait_for_url("**/field/")
    wait_ready(page)
    posts = []

    def busy_once(route):
        posts.append(route.request.method)
        if len(posts) == 1:
            route.fulfill(
                status=503,
                headers={"Retry-After": "120", "Content-Type": "application/json"},
                body='{"error": "busy", "message": "Server sedang sibuk."}',
            )
        else:
            route.continue_()

    page.route(
        "**/api/v1/visits",
        lambda route: busy_once(route) if route.request.method == "POST" else route.continue_(),
    )
    context.set_offline(True)
    fill_skm_visit(page, "Dinas Perhubungan Kota Jambi")
    context.set_offline(False)  # the app sends by itself when the network returns
    page.locator("#app-status", has_text="Server sedang sibuk").wait_for()
    assert posts == ["POST"]
    # The next send is scheduled 120 s on, not after the usual 5 s back-off.
    assert page.evaluate("() => document.body.dataset.nextSync") == "120"
    page.clock.run_for(121_000)
    page.locator(".state-sent").first.wait_for(timeout=30000)
    assert posts == ["POST", "POST"]
    context.close()
    assert counts(live_app)[0] == 1
