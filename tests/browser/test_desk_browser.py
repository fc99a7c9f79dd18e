"""The supervisor's desk at 1440x900: review in runs, the dashboard, the plan form, targets."""

import datetime as dt
import random

import pytest

from survey_app.store import demo, records
from survey_app.store.connection import connect

from ..supervisor_data import gen_visit
from .conftest import login, shot

pytestmark = pytest.mark.browser
DESK = {
    "viewport": {"width": 1440, "height": 900},
    "locale": "id-ID",
    "timezone_id": "Asia/Jakarta",
    "has_touch": True,  # conftest.login taps
}
# What a supervisor clicks, types into or chooses: each needs a 44 px target. A checkbox or
# radio is measured by its label, which is the target; prose links are exempt (WCAG 2.5.8).
TARGETS = """() => [...document.querySelectorAll(
    'button, a.button, .tabs a, .crumbs a, table a, select, textarea, a.thumb,'
    + ' input:not([type=hidden])')]
  .filter(el => el.offsetParent !== null)
  .map(el => {
    const target = ['checkbox', 'radio'].includes(el.type) ? el.closest('label') || el : el;
    const box = target.getBoundingClientRect();
    const named = el.matches('button, a') || el.labels?.length || el.getAttribute('aria-label');
    return {what: el.outerHTML.slice(0, 80), w: box.width, h: box.height, named: !!named};
  })
  .filter(t => t.w < 44 || t.h < 44 || !t.named)"""


def small_targets(page) -> list:
    """The visible controls smaller than 44 px either way, or without a label."""
    return page.evaluate(TARGETS)


def timed_answers(db, waiting: int, seed: int) -> dict:
    """Plausible answers whose wait (arrival to service start) is `waiting` minutes."""
    rng = random.Random(seed)
    svc = dict(db.execute("select * from services order by id limit 1").fetchone())
    answers = {i.id: demo.fake_answers(i, rng, 0.4, svc) for i in records.current_instruments(db)}
    start = 8 * 60 + waiting
    answers["kunjungan"].update(
        jam_tiba="08:00",
        jam_tiket="08:01",
        jam_mulai=f"{start // 60:02d}:{start % 60:02d}",
        jam_selesai=f"{(start + 10) // 60:02d}:{(start + 10) % 60:02d}",
    )
    return answers


def with_photo(db, photos_dir: str, visit_uuid: str, item: tuple[str, str]) -> None:
    digest = records.store_photo(
        db, photos_dir, demo.demo_photo(random.Random(7), "Kuitansi"), "image/jpeg", 640, 480
    )
    records.attach_photo(db, visit_uuid, digest, *item, caption="Kuitansi")


def desk_page(browser, base: str, lang: str = "id"):
    context = browser.new_context(**DESK)
    page = context.new_page()
    login(page, base, "supervisor")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state("load")
    return context, page


def test_review_in_runs(live_app, browser):
    base, path = live_app.config["LIVE_URL"], live_app.config["DATABASE"]
    db = connect(path)
    first = gen_visit(db, answers=timed_answers(db, 30, 1), visit_date="2026-11-02")
    second = gen_visit(db, answers=timed_answers(db, 20, 2), visit_date="2026-11-03")
    with_photo(db, live_app.config["PHOTOS_DIR"], first, ("kunjungan", "foto_bukti"))
    db.close()
    context, page = desk_page(browser, base)
    try:
        page.goto(f"{base}/review/")
        assert small_targets(page) == []
        page.locator(f"#queue tr[data-uuid='{first}'] a").click()
        page.wait_for_url(f"**/review/{first}")
        shot(page, "desk-01-review")
        assert small_targets(page) == []
        # failed items first, then the evaluator's own times beside the server's receipt
        first_row = page.locator("tr[data-item]").first
        assert "failed" in first_row.get_attribute("class")
        top = {s: page.locator(s).bounding_box()["y"] for s in ("#findings", "#answers")}
        assert top["#findings"] < top["#answers"]
        assert page.locator("[data-time=start]").inner_text().startswith("08:00 WIB")
        assert page.locator("[data-time=finish]").inner_text() == "08:40 WIB"
        photo_row = page.locator("tr[data-item='kunjungan.foto_bukti']")
        assert "Tidak dijawab" not in photo_row.inner_text()

        # the lightbox, by keyboard only
        photo_row.locator("a.thumb").focus()
        page.keyboard.press("Enter")
        assert page.locator("#lightbox").evaluate("d => d.open")
        shot(page, "desk-02-lightbox")
        page.keyboard.press("Escape")
        assert not page.locator("#lightbox").evaluate("d => d.open")

        # reject: a confirm step with no reason chosen for the supervisor
        page.keyboard.press("x")
        reason = page.locator("select[name=reject-reason]")
        assert page.locator("#decide-reject").evaluate("d => d.open")
        assert reason.input_value() == "" and reason.get_attribute("required") is not None
        page.keyboard.press("Escape")

        # approve: asks first, changes nothing until confirmed, then opens the next visit
        page.keyboard.press("a")
        assert page.locator("#decide-approve").evaluate("d => d.open")
        shot(page, "desk-03-confirm-approve")
        assert status_of(path, first) == "submitted"
        page.get_by_role("button", name="Setujui kunjungan").click()
        page.wait_for_url(f"**/review/{second}")
        assert status_of(path, first) == "approved"
        assert "disetujui" in page.locator(".flash").inner_text()
    finally:
        context.close()


def status_of(path: str, visit_uuid: str) -> str:
    db = connect(path)
    try:
        return records.visit_status(db, visit_uuid)
    finally:
        db.close()


def test_dashboard_and_plan(live_app, browser):
    base = live_app.config["LIVE_URL"]
    today = dt.date.today()
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    db = connect(live_app.config["DATABASE"])
    before = (quarter_start - dt.timedelta(days=1)).isoformat()  # in the period compared with
    gen_visit(db, "approved", answers=timed_answers(db, 60, 3), visit_date=before)
    gen_visit(db, "approved", answers=timed_answers(db, 15, 4), visit_date=today.isoformat())
    dishub = records.opd_by_slug(db, "dishub")["id"]
    db.close()
    context, page = desk_page(browser, base)
    try:
        page.goto(f"{base}/dashboard/")
        shot(page, "desk-04-dashboard")
        assert page.locator("[data-figure=visits]").inner_text() == "1"  # approved today
        waiting = page.locator("[data-change=waiting_minutes] span")
        assert waiting.inner_text().startswith("−") and waiting.get_attribute("class") == "good"
        assert small_targets(page) == []

        page.goto(f"{base}/assignments/")
        assert page.locator("#service").input_value() == ""
        page.select_option("#opd", str(dishub))
        shown = page.locator("#service option[data-opd]:not([disabled])")
        assert shown.count() >= 1
        assert {o.get_attribute("data-opd") for o in shown.all()} == {str(dishub)}
        assert page.locator("#service").input_value() == ""
        shot(page, "desk-05-plan")
        assert small_targets(page) == []
    finally:
        context.close()


def test_english_titles_and_instruments(live_app, browser):
    base = live_app.config["LIVE_URL"]
    context, page = desk_page(browser, base, lang="en")
    try:
        page.goto(f"{base}/review/")
        assert page.title() == "Review · Service Survey"
        options = page.locator("#f-instrument option").all_inner_texts()
        assert "Visit Record" in options and "Catatan Kunjungan" not in options
        page.goto(f"{base}/admin/instruments")
        assert page.title() == "Instruments · Service Survey"
        assert "Service Standard Compliance" in page.locator("#versions").inner_text()
        assert "Kepatuhan Standar Pelayanan" not in page.locator("#versions").inner_text()
    finally:
        context.close()
