"""A form whose token expired: a clear message, and the way back finds what was typed."""

import pytest

from survey_app.store import opds
from survey_app.store.connection import connect

from .conftest import login

pytestmark = pytest.mark.browser


def test_an_expired_token_keeps_what_was_typed(live_app, browser):
    base = live_app.config["LIVE_URL"]
    context = browser.new_context(viewport={"width": 1440, "height": 900}, has_touch=True)
    page = context.new_page()
    login(page, base, "supervisor")
    page.goto(f"{base}/admin/opds")
    page.fill("input[name=name]", "Dinas Arsip dan Perpustakaan Kota Jambi")
    page.fill("input[name=slug]", "arsip")
    # what an expired or lost session leaves in the page: a token the server refuses
    page.evaluate(
        "() => document.querySelectorAll('input[name=csrf_token]')"
        ".forEach(f => { f.value = 'expired'; })"
    )
    page.locator("form:has(input[name=slug]) [type=submit]").first.click()
    message = page.locator(".error-page")
    assert "Formulir kedaluwarsa" in message.inner_text()
    page.get_by_role("link", name="Kembali ke formulir").click()
    page.wait_for_url(f"{base}/admin/opds")
    assert page.input_value("input[name=name]") == "Dinas Arsip dan Perpustakaan Kota Jambi"
    page.wait_for_function(  # the form was given a fresh token on its way back
        "() => [...document.querySelectorAll('input[name=csrf_token]')]"
        ".every(f => f.value !== 'expired')"
    )
    page.locator("form:has(input[name=slug]) [type=submit]").first.click()
    page.wait_for_load_state()
    context.close()
    db = connect(live_app.config["DATABASE"])
    try:
        assert any(o["slug"] == "arsip" for o in opds.names(db))
    finally:
        db.close()
