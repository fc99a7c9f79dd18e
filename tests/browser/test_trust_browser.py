"""Shared tablets and two tabs: no cross-user view, nothing sent under someone else."""

import pytest

from survey_app.store.connection import connect

from .conftest import TABLET, login, shot
from .test_offline_browser import answer_skm_and_submit, fill_skm_visit, wait_ready

pytestmark = pytest.mark.browser


def visits_by(app):
    db = connect(app.config["DATABASE"])
    try:
        return [
            tuple(r)
            for r in db.execute(
                "select u.username, v.status from visits v join users u on u.id = v.evaluator_id"
            )
        ]
    finally:
        db.close()


def outbox(page):
    return page.locator("#outbox-count").inner_text()


def test_two_users_on_one_tablet(live_app, browser):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(service_workers="block", **TABLET)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, base, "evaluator1")
    wait_ready(page)
    context.set_offline(True)
    fill_skm_visit(page, "Dinas Perhubungan Kota Jambi")
    assert outbox(page) == "1 menunggu dikirim"
    # server out of reach; routed before the network returns, when the app sends by itself
    page.route("**/api/v1/visits", lambda route: route.abort())
    context.set_offline(False)
    page.locator("#logout").tap()
    page.wait_for_url("**/login")
    page.unroute("**/api/v1/visits")

    login(page, base, "evaluator2")
    wait_ready(page)
    assert outbox(page) == "0 menunggu dikirim"
    assert page.locator(".visit-list li").count() == 0
    assert "Dinas Perhubungan" not in page.locator("#app").inner_text()
    page.get_by_role("button", name="Kirim sekarang").tap()
    page.wait_for_function(  # evaluator2's sync has run to its end
        """() => fetch('/api/v1/session').then(r => r.json())
            .then(s => LocalDB.get('meta', 'lastSync:' + s.user.id)).then(m => !!m)"""
    )
    assert visits_by(live_app) == []  # evaluator1's visit is not sent under evaluator2
    shot(page, "trust-01-second-user")
    page.locator("#logout").tap()
    page.wait_for_url("**/login")

    login(page, base, "evaluator1")
    wait_ready(page)
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    assert visits_by(live_app) == [("evaluator1", "submitted")]
    context.close()


def test_same_draft_in_two_tabs_gives_one_visit(live_app, browser):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(service_workers="block", **TABLET)
    first = context.new_page()
    login(first, base, "evaluator1")
    wait_ready(first)
    context.set_offline(True)
    first.get_by_role("link", name="Mulai kunjungan").tap()
    first.select_option("#opd", label="Dinas Perhubungan Kota Jambi")
    first.select_option("#service", index=1)
    for box in first.locator("input[name=instruments]").all():
        if box.get_attribute("value") != "skm:1":
            box.uncheck()
    first.get_by_role("button", name="Mulai").tap()
    first.wait_for_selector("section.screen:not([hidden])")
    draft_url = first.url
    context.set_offline(False)
    second = context.new_page()
    second.goto(draft_url)
    wait_ready(second)
    second.wait_for_selector("section.screen:not([hidden])")
    answer_skm_and_submit(first, value=4)
    # the stale tab tries to change an answer of the submitted visit
    second.locator("input[name=skm__u1][value='1']").check()
    second.locator(".saved", has_text="sudah dikirim").wait_for()
    first.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    db = connect(live_app.config["DATABASE"])
    rows = db.execute("select value from answers where item_id = 'u1'").fetchall()
    db.close()
    assert [r[0] for r in rows] == ["4"]
    context.close()
