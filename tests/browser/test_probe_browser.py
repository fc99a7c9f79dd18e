"""A channel probe recorded offline on the tablet, sent exactly once when the network returns."""

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from survey_app.store import checks, records
from survey_app.store.connection import connect

from .conftest import shot
from .test_offline_browser import open_profile, wait_ready

pytestmark = pytest.mark.browser
DISDUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi"


def photo(path, color):
    Image.new("RGB", (1200, 900), color).save(path, "JPEG", quality=85)
    return str(path)


def plan_probe(app) -> int:
    db = connect(app.config["DATABASE"])
    try:
        evaluator = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
        today = dt.date.today()
        return checks.add_plan(
            db,
            {
                "opd_id": records.opd_by_slug(db, "disdukcapil")["id"],
                "channel": "whatsapp",
                "evaluator_id": evaluator,
                "window_start": today,
                "window_end": today + dt.timedelta(days=7),
                "question": "Apa syarat membuat KTP elektronik?",
            },
            evaluator,
        )
    finally:
        db.close()


def probed_on_the_server(app, slug: str) -> None:
    """A probe of the OPD by evaluator1 the server received today, unknown to the tablet."""
    db = connect(app.config["DATABASE"])
    try:
        evaluator = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
        db.table("checks").insert(
            {
                "uuid": "0f8b1c9e-2a34-4c55-8d66-7e8f9a0b1c2d",
                "kind": "probe",
                "opd_id": records.opd_by_slug(db, slug)["id"],
                "channel": "telepon",
                "instrument_id": "saluran",
                "instrument_version": 1,
                "assessor_id": evaluator,
                "self_assessed": 0,
                "status": "submitted",
                "answers": "{}",
                "sent_at": f"{dt.date.today().isoformat()}T07:30",
                "check_date": dt.date.today().isoformat(),
                "content_hash": "x",
                "created_at": records.now(),
            }
        )
        db.conn.commit()
    finally:
        db.close()


def server_rows(app):
    db = connect(app.config["DATABASE"])
    try:
        return {
            "checks": [
                dict(r)
                for r in db.execute("select uuid, channel, plan_id, answered_at from checks")
            ],
            "links": [dict(r) for r in db.execute("select check_uuid, sha256 from check_photos")],
            "photos": {r[0] for r in db.execute("select sha256 from photos")},
        }
    finally:
        db.close()


def tablet_records(page):
    return page.evaluate(
        """() => Promise.all([LocalDB.all('visits'), LocalDB.all('photos')])
             .then(([v, p]) => ({records: v.map(r => ({uuid: r.uuid, kind: r.kind,
                state: r.state, reason: r.reason || '', photos: r.photos.map(x => x.sha256)})),
                photos: p.map(x => x.sha256)}))"""
    )


def answer_whatsapp(page):
    for item, value in (("dijawab", "yes"), ("benar", "yes"), ("lengkap", "no"), ("sopan", "yes")):
        page.locator(f"input[name=saluran__whatsapp_{item}][value={value}]").check()
    page.locator(".saved", has_text="Tersimpan di tablet ini").wait_for()


def test_a_probe_recorded_offline_is_stored_exactly_once(live_app, pw, tmp_path):
    base = live_app.config["LIVE_URL"]
    plan_id = plan_probe(live_app)
    context, page = open_profile(pw, tmp_path / "profile")
    page.goto(f"{base}/login")
    page.fill("#username", "evaluator1")
    page.fill("#password", "demo-password")
    page.get_by_role("button", name="Masuk").tap()
    page.wait_for_url("**/field/")
    wait_ready(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()
    wait_ready(page)

    # The plan, offline: OPD and channel filled in, the question shown.
    page.locator("#to-probes", has_text="Uji saluran (1)").tap()
    page.locator(f"li[data-plan='{plan_id}'] a").tap()
    page.wait_for_selector("#probe-form")
    assert page.locator("#probe-opd").input_value() != ""
    assert page.locator("input[name=channel][value=whatsapp]").is_checked()
    assert "Apa syarat membuat KTP elektronik?" in page.locator("#probe-question").inner_text()
    assert "Disdukcapil" in page.locator(".probe-crumbs").inner_text() or DISDUKCAPIL in (
        page.locator(".probe-crumbs").inner_text()
    )
    # Sending with nothing filled says why, and nothing leaves.
    page.locator("#send-probe").tap()
    alert = page.locator("#send-alert")
    alert.wait_for()
    assert "Isi kapan pertanyaan dikirim." in alert.inner_text()

    page.locator("[data-now=probe-sent]").tap()
    page.locator("#probe-deadline").wait_for()
    assert "(3 hari kerja)" in page.locator("#probe-deadline").inner_text()
    sent = page.locator("#probe-sent").input_value()
    page.fill("#probe-answered", sent)
    page.locator("#probe-answered").dispatch_event("change")
    page.locator("#probe-response", has_text="Dijawab setelah 0 hari kerja").wait_for()
    answer_whatsapp(page)
    page.locator("#probe-evidence input[type=file]").set_input_files(
        photo(tmp_path / "wa.jpg", (20, 160, 90))
    )
    page.locator("#probe-evidence .thumbs li img").wait_for()
    shot(page, "probe-01-form-offline")
    page.locator("#send-probe").tap()
    page.wait_for_selector("#probes .state-outbox")
    expect(page.locator("#outbox-count")).to_have_text("1 menunggu dikirim")

    # A second probe, free, of an OPD this evaluator probed from another tablet since
    # this one last saw the server: it goes too, and comes back refused with the reason.
    probed_on_the_server(live_app, "dishub")
    page.locator("#new-probe").tap()
    page.wait_for_selector("#probe-form")
    page.select_option("#probe-opd", label="Dinas Perhubungan Kota Jambi")
    page.locator("input[name=channel][value=whatsapp]").check()
    page.locator(".saved", has_text="Tersimpan di tablet ini").wait_for()
    page.locator("[data-now=probe-sent]").tap()
    page.locator("#probe-deadline").wait_for()
    page.locator("input[name=saluran__whatsapp_dijawab][value=no]").check()
    page.locator("#probe-checklist .saved, .saved", has_text="Tersimpan").first.wait_for()
    page.locator("#send-probe").tap()
    page.wait_for_selector("#probes .state-outbox")
    expect(page.locator("#outbox-count")).to_have_text("2 menunggu dikirim")
    assert len(server_rows(live_app)["checks"]) == 1  # the other tablet's
    on_tablet = tablet_records(page)
    kept_photo = next(r for r in on_tablet["records"] if r["photos"])["photos"][0]
    assert kept_photo in on_tablet["photos"]

    # The network returns: sent by the outbox, the photo first, confirmed by hash.
    context.set_offline(False)
    page.wait_for_function(
        "() => document.getElementById('outbox-count').textContent === '0 menunggu dikirim'",
        timeout=30000,
    )
    page.goto(f"{base}/field/#/probes")
    wait_ready(page)
    page.wait_for_selector("#probes .state-attention")
    shot(page, "probe-02-sent-and-refused")
    rows = server_rows(live_app)
    mine = [c for c in rows["checks"] if c["plan_id"] == plan_id]
    assert len(rows["checks"]) == 2 and len(mine) == 1
    stored = mine[0]
    tablet = tablet_records(page)
    by_uuid = {r["uuid"]: r for r in tablet["records"]}
    assert by_uuid[stored["uuid"]]["state"] == "sent"
    refused = [r for r in tablet["records"] if r["state"] == "attention"]
    assert len(refused) == 1 and "Anda menguji saluran OPD ini pada" in refused[0]["reason"]
    assert page.locator("#probes .state-attention .reason").inner_text() == refused[0]["reason"]
    # the photo's bytes reached the server under the hash the tablet computed,
    # and only then did the tablet let go of it
    assert rows["links"] == [{"check_uuid": stored["uuid"], "sha256": kept_photo}]
    assert kept_photo in rows["photos"] and kept_photo not in tablet["photos"]
    files = Path(live_app.config["PHOTOS_DIR"]).rglob("*")
    assert kept_photo in {hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.is_file()}

    # Sent again (a lost answer, say): the server answers "the same again", stores nothing.
    page.evaluate(
        """uuid => LocalDB.get('visits', uuid).then(r => { r.state = 'outbox';
             return LocalDB.put('visits', r); }).then(() => FieldApp.sync(true))""",
        stored["uuid"],
    )
    page.wait_for_function(
        """uuid => LocalDB.get('visits', uuid).then(r => r.state === 'sent')""",
        arg=stored["uuid"],
    )
    assert len(server_rows(live_app)["checks"]) == 2
    context.close()
