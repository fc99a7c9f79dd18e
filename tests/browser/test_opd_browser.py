"""An OPD's own officer at a desk and on a tablet: its findings, marking a follow-up done."""

import datetime as dt

import pytest

from survey_app.store import actions, records
from survey_app.store.connection import connect

from ..supervisor_data import gen_visit, user_id
from .conftest import login, shot
from .test_desk_browser import DESK, small_targets

pytestmark = pytest.mark.browser
TABLET = {**DESK, "viewport": {"width": 800, "height": 1280}}


def visits_and_action(path: str) -> tuple[int, int]:
    """Approved visits to Disdukcapil this quarter, one waiting for review; a follow-up."""
    db = connect(path)
    today = dt.date.today()
    start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    days = [start + dt.timedelta(days=n) for n in range(0, (today - start).days + 1, 9)][:3]
    for n, day in enumerate(days):
        gen_visit(
            db, "approved", evaluator="evaluator1", visit_date=day.isoformat(), seed=n, quality=0.5
        )
    gen_visit(db, "submitted", evaluator="evaluator2", visit_date=today.isoformat(), seed=9)
    opd = records.opd_by_slug(db, "disdukcapil")["id"]
    failed = actions.failed_items(db, opd, days[0].isoformat(), today.isoformat())
    due = (today + dt.timedelta(30)).isoformat()
    action = actions.create(
        db,
        opd,
        failed[0]["item"],
        "Pajang persyaratan di loket",
        due,
        user_id(db, "supervisor"),
        days[0].isoformat(),
        today.isoformat(),
    )
    db.close()
    return action, len(days)


@pytest.mark.parametrize("size", ["desk", "tablet"])
def test_opd_officer_reads_findings_and_marks_a_follow_up_done(live_app, browser, size):
    base = live_app.config["LIVE_URL"]
    action, approved = visits_and_action(live_app.config["DATABASE"])
    context = browser.new_context(**(DESK if size == "desk" else TABLET))
    page = context.new_page()
    login(page, base, "opd1")
    page.wait_for_url(f"{base}/opd/")
    assert page.locator("h1").inner_text() == "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi"
    assert page.locator('[data-figure="visits"]').inner_text() == str(approved)
    body = page.locator("main").inner_text()
    assert "Evaluator" not in body
    shot(page, f"opd-page-{size}")
    assert small_targets(page) == []
    page.locator(f'[data-follow-up="{action}"] a.button').click()
    page.wait_for_url(f"{base}/opd/follow-ups/{action}/done")
    shot(page, f"opd-done-confirm-{size}")
    page.locator("#done-submit").click()
    page.wait_for_url(lambda url: url.startswith(f"{base}/opd/"))
    status = page.locator(f'[data-follow-up="{action}"] [data-status]')
    assert status.get_attribute("data-status") == "done"
    assert "Selesai, menunggu verifikasi" in status.inner_text()
    assert page.locator(f'[data-follow-up="{action}"] a.button').count() == 0
    shot(page, f"opd-done-{size}")
    context.close()


def test_opd_officer_self_assesses_the_desk_review_and_sees_the_gap(live_app, browser, tmp_path):
    """On a tablet: the desk review with a photo of a document, refused once (kept as typed),
    then stored; the supervisor's OPD page at a desk shows both sides and the gap."""
    base = live_app.config["LIVE_URL"]
    visits_and_action(live_app.config["DATABASE"])
    photo = tmp_path / "sk.jpg"
    from PIL import Image

    Image.new("RGB", (320, 240), (30, 90, 160)).save(photo, "JPEG")
    context = browser.new_context(**TABLET)
    page = context.new_page()
    login(page, base, "opd1")
    page.goto(f"{base}/opd/self/")
    page.locator('a[data-kind="desk"]').click()
    page.wait_for_url(f"{base}/opd/self/new/desk")
    assert page.locator("#self-label").inner_text() == "Penilaian mandiri"
    sections = page.locator("fieldset.check-section[id^='section-']")
    for n in range(8):
        section = sections.nth(n)
        section.locator("input[type=radio][value=yes]").check() if n != 4 else None
        section.locator("textarea").fill(f"SK Kepala Dinas {n + 1}/2026")
    page.locator("#photo-dasar_hukum_bukti").set_input_files(str(photo))
    page.locator("#check-submit").click()
    page.wait_for_selector("#form-refused")  # complaint handling left unanswered
    assert page.locator("textarea").nth(7).input_value() == "SK Kepala Dinas 8/2026"
    assert page.locator('input[name="kept-photo-dasar_hukum_bukti"]').count() == 1
    shot(page, "opd-self-desk-refused-tablet")
    assert small_targets(page) == []
    page.locator("#section-pengaduan input[type=radio][value=no]").check()
    page.locator("#check-submit").click()
    page.wait_for_url(lambda url: "/opd/self/" in url and "/new/" not in url)
    assert page.locator("#self-label").is_visible()
    assert page.locator('[data-figure="score"]').inner_text() == "87,50"
    shot(page, "opd-self-desk-stored-tablet")
    page.goto(f"{base}/opd/")
    shot(page, "opd-page-with-self-tablet")
    context.close()
    desk = browser.new_context(**DESK)
    sup = desk.new_page()
    login(sup, base, "supervisor")
    sup.goto(f"{base}/dashboard/opd/disdukcapil")
    block = sup.locator('#self-vs-independent [data-kind="desk"]')
    assert "menilai diri 87,50 · penilaian independen -" in block.inner_text()
    sup.locator("#self-vs-independent details").first.click()
    shot(sup, "dashboard-opd-self-desk")
    assert small_targets(sup) == []
    desk.close()
