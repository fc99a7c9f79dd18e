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
