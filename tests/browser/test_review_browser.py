"""Review across the two roles: submit, return with a note, correct, re-submit, approve."""

import json

import pytest

from survey_app.store import records
from survey_app.store.connection import connect

from .conftest import TABLET, login, shot

pytestmark = pytest.mark.browser
DESK = {**TABLET, "viewport": {"width": 1366, "height": 900}, "is_mobile": False}
NOTE = "U9 diisi 1 (buruk), padahal foto menunjukkan ruang tunggu baik. Periksa lagi."


def answer_skm(page, u9: str) -> None:
    """The nine unsur on the server-rendered form, u9 as given, then to review and submit."""
    for n in range(1, 9):
        page.check(f"input[name=skm__u{n}][value='3']")
    page.check(f"input[name=skm__u9][value='{u9}']")
    page.get_by_role("button", name="Periksa dan kirim").first.tap()
    page.wait_for_url("**/review")
    page.get_by_role("button", name="Kirim kunjungan").tap()
    page.wait_for_url("**/visits/")


def open_in_queue(desk, base: str) -> None:
    desk.goto(f"{base}/review/")
    desk.locator("#queue tbody tr a").first.click()
    desk.wait_for_url("**/review/*-*")


def test_return_correct_resubmit_approve(live_app, browser):
    base = live_app.config["LIVE_URL"]
    tablet_ctx, desk_ctx = browser.new_context(**TABLET), browser.new_context(**DESK)
    tablet, desk = tablet_ctx.new_page(), desk_ctx.new_page()
    try:
        login(tablet, base, "evaluator1")
        # The field app the login lands on syncs at once; let it finish so that its
        # responses cannot replace the session (and its CSRF token) under the form.
        tablet.wait_for_load_state("networkidle")
        tablet.goto(f"{base}/visits/new")
        tablet.select_option("#opd", label="Dinas Kependudukan dan Pencatatan Sipil Kota Jambi")
        tablet.select_option("#service", label="Penerbitan Kartu Keluarga")
        for box in tablet.locator("input[name=instruments]").all():
            if box.get_attribute("value") != "skm:1":
                box.uncheck()
        tablet.get_by_role("button", name="Mulai").tap()
        tablet.wait_for_url("**/s/0")
        answer_skm(tablet, u9="1")

        login(desk, base, "supervisor")
        open_in_queue(desk, base)
        assert desk.locator("#visit-status").inner_text() == "Terkirim"
        shot(desk, "review-01-submitted")
        desk.get_by_role("button", name="Kembalikan…").click()  # the note is asked in a dialog
        desk.fill("textarea[name=return-note]", NOTE)
        desk.get_by_role("button", name="Kembalikan dengan catatan").click()
        desk.wait_for_url("**/review/")
        assert "dikembalikan ke evaluator" in desk.locator(".flash").inner_text()

        tablet.goto(f"{base}/visits/")
        returned = tablet.locator("li.status-returned")
        assert NOTE in returned.locator(".note").inner_text()
        shot(tablet, "review-02-returned-on-tablet")
        returned.locator("a").tap()
        tablet.wait_for_url("**/s/0")
        answer_skm(tablet, u9="3")

        open_in_queue(desk, base)
        trail = desk.locator("#audit").inner_text()
        assert NOTE in trail and "Terkirim → Dikembalikan" in trail
        desk.get_by_role("button", name="Setujui…").click()
        desk.get_by_role("button", name="Setujui kunjungan").click()
        desk.wait_for_url("**/review/")
        desk.goto(f"{base}/review/?status=approved")
        desk.locator("#queue tbody tr a").first.click()
        shot(desk, "review-03-approved")
        assert desk.locator("#visit-status").inner_text() == "Disetujui"
    finally:
        tablet_ctx.close()
        desk_ctx.close()

    db = connect(live_app.config["DATABASE"])
    try:
        [row] = db.execute("select uuid from visits").fetchall()
        record = records.visit(db, row["uuid"])
        assert record["status"] == "approved" and record["answers"]["skm"]["u9"] == 3
        audit = [
            (r["action"], json.loads(r["detail"]))
            for r in db.execute(
                "select action, detail from audit_log where entity = 'visit' and entity_id = ? "
                "and action != 'update' order by id",
                [row["uuid"]],
            )
        ]
        reviews = [
            (a, d.get("note")) for a, d in audit if a in ("submitted", "returned", "approved")
        ]
        assert reviews == [
            ("submitted", None),
            ("returned", NOTE),
            ("submitted", None),
            ("approved", None),
        ]
    finally:
        db.close()
