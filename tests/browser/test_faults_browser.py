"""The server process killed with SIGKILL in the middle of a sync, then restarted."""

import pytest

from survey_app import create_app
from survey_app.store import demo, records
from survey_app.store.connection import connect, migrate

from ..servers import ServerProcess
from .conftest import ROOT, TABLET, login
from .test_offline_browser import fill_skm_visit, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture
def app_files(tmp_path):
    app = create_app(
        {
            "SECRET_KEY": "kill-test",
            "DATABASE": str(tmp_path / "survey.db"),
            "PHOTOS_DIR": str(tmp_path / "photos"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"])
    demo.seed(db, app.config["PHOTOS_DIR"], visits=0)
    db.close()
    return app


def test_server_killed_mid_sync_then_restarted(app_files, browser, tmp_path):
    server = ServerProcess(app_files).start()
    context = browser.new_context(service_workers="block", **TABLET)
    page = context.new_page()
    try:
        login(page, server.url, "evaluator1")
        wait_ready(page)
        context.set_offline(True)
        for opd in (
            "Dinas Perhubungan Kota Jambi",
            "UPTD Puskesmas Putri Ayu",
            "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Jambi",
        ):
            fill_skm_visit(page, opd)
        assert page.locator("#outbox-count").inner_text() == "3 menunggu dikirim"
        posts = {"n": 0}

        def kill_on_second_post(route):
            posts["n"] += 1
            if posts["n"] == 2:
                server.kill()  # a real SIGKILL while the request is in flight
            route.continue_()

        page.route("**/api/v1/visits", kill_on_second_post)
        context.set_offline(False)
        # The header says "Terhubung" first (its line reflows), then the tap lands.
        page.locator("#net-state[data-state=online]").wait_for()
        page.get_by_role("button", name="Kirim sekarang").tap()
        for _ in range(300):
            if posts["n"] >= 2:
                break
            page.wait_for_timeout(100)
        retrying = "() => document.querySelector('#app-status')?.textContent.includes('dicoba')"
        try:
            page.wait_for_function(retrying, timeout=30000)
        except Exception as error:  # say where the page went, if it left the app
            raise AssertionError(f"no retry shown; the page is at {page.url}") from error
        assert posts["n"] >= 2 and server.process.poll() is not None
        assert page.locator("#outbox-count").inner_text() != "0 menunggu dikirim"
        server.start()  # same port, same database file
        page.unroute("**/api/v1/visits")
        page.get_by_role("button", name="Kirim sekarang").tap()
        page.wait_for_function(
            "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
            timeout=30000,
        )
    finally:
        context.close()
        server.stop()
    db = connect(app_files.config["DATABASE"])
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.table("visits").count == 3
    partial = db.execute(
        "select count(*) from visits v where not exists "
        "(select 1 from answers a where a.visit_uuid = v.uuid)"
    ).fetchone()[0]
    assert partial == 0
    assert db.table("answers").count == 27
    db.close()
