"""An OPD assesses itself: on its own OPD only, stored as self-assessments, labelled so."""

from __future__ import annotations

import io
import re

from PIL import Image

from survey_app.store import checks as check_store
from survey_app.store import records

from .supervisor_data import DESK_COMPONENTS, login, user_id


def form_uuid(html: str) -> str:
    return re.search(r'name="check_uuid" value="([0-9a-f-]{36})"', html)[1]


def checklist_answers(db, passing: int | None = None) -> dict:
    """Every kepatuhan item answered: the first `passing` yes/no items yes, the rest no."""
    inst = next(i for i in records.current_instruments(db) if i.id == "kepatuhan")
    form, n = {}, 0
    for item in inst.items:
        name = f"kepatuhan__{item.id}"
        if item.type == "yesno":
            form[name] = "yes" if passing is None or n < passing else "no"
            n += 1
        elif item.type in ("choice",):
            form[name] = item.passes[0] if item.passes else item.options[0].value
        elif item.type == "text":
            form[name] = "x"
    return form


def test_opd_user_self_assesses_the_checklist_of_its_own_opd(app, world, db):
    client = login(app, "opd1")
    page = client.get("/opd/self/new/checklist")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Penilaian mandiri" in html
    check_uuid = form_uuid(html)
    stored = client.post(
        "/opd/self/new/checklist", data={**checklist_answers(db), "check_uuid": check_uuid}
    )
    assert stored.status_code == 302, stored.get_data(as_text=True)[:3000]
    check = check_store.get(db, check_uuid)
    assert check["kind"] == "checklist" and check["self_assessed"] is True
    assert check["opd_id"] == records.opd_by_slug(db, "disdukcapil")["id"]
    assert check["assessor_id"] == user_id(db, "opd1")
    assert check["instrument_id"] == "kepatuhan" and check["scores"]["score"] == 100.0
    listing = client.get("/opd/self/").get_data(as_text=True)
    assert check_uuid in listing and "Penilaian mandiri" in listing and "100,00" in listing
    detail = client.get(stored.headers["Location"]).get_data(as_text=True)
    assert 'id="self-label"' in detail and "Petugas Mutu Disdukcapil" in detail
    # the same form sent twice is stored once
    client.post("/opd/self/new/checklist", data={**checklist_answers(db), "check_uuid": check_uuid})
    assert db.execute("select count(*) from checks").fetchone()[0] == 1


def test_self_desk_review_and_a_refused_one_keeps_what_was_typed(app, world, db):
    client = login(app, "opd1")
    form = {}
    for comp in DESK_COMPONENTS:
        form[f"tinjauan__{comp}_ada"] = "yes"
        form[f"tinjauan__{comp}_dokumen"] = "SK 1/2026"
    partial = {**form, "tinjauan__kompetensi_dokumen": ""}
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (9, 9, 9)).save(data, "JPEG")
    partial["photo-sarana_bukti"] = (io.BytesIO(data.getvalue()), "inv.jpg")
    refused = client.post("/opd/self/new/desk", data=partial)
    html = refused.get_data(as_text=True)
    assert (
        refused.status_code == 400 and db.execute("select count(*) from checks").fetchone()[0] == 0
    )
    assert html.count("SK 1/2026</textarea>") == 7  # kept as typed
    digest = re.search(r'name="kept-photo-sarana_bukti" value="([0-9a-f]{64})"', html)[1]
    assert f'src="/opd/photo/{digest}"' in html
    shown = client.get(f"/opd/photo/{digest}")
    assert shown.status_code == 200  # the sender sees it
    shown.close()
    fixed = {**form, "check_uuid": form_uuid(html), "kept-photo-sarana_bukti": digest}
    stored = client.post("/opd/self/new/desk", data=fixed)
    assert stored.status_code == 302
    check = check_store.get(db, form_uuid(html))
    assert check["kind"] == "desk" and check["self_assessed"] is True
    assert check["photos"][0]["item_id"] == "sarana_bukti"


def test_self_probe_of_a_channel_with_its_times(app, world, db):
    client = login(app, "opd1")
    chooser = client.get("/opd/self/new/probe").get_data(as_text=True)
    assert "/opd/self/new/probe?channel=whatsapp" in chooser
    url = "/opd/self/new/probe?channel=whatsapp"
    html = client.get(url).get_data(as_text=True)
    assert "whatsapp_dijawab" in html and "telepon_dijawab" not in html
    answers = {
        "saluran__whatsapp_dijawab": "yes",
        "saluran__whatsapp_benar": "yes",
        "saluran__whatsapp_lengkap": "no",
        "saluran__whatsapp_sopan": "yes",
    }
    bad = client.post(url, data={**answers, "answered_at": "2026-11-30T10:00"})
    assert bad.status_code == 400  # when the question went out is required
    assert 'name="saluran__whatsapp_lengkap"' in bad.get_data(as_text=True)
    ok = client.post(
        url,
        data={
            **answers,
            "sent_at": "2026-11-30T09:00",
            "answered_at": "2026-11-30T10:00",
            "check_uuid": form_uuid(bad.get_data(as_text=True)),
        },
    )
    assert ok.status_code == 302, ok.get_data(as_text=True)[:2000]
    check = check_store.for_period(db, None, None, self_assessed=True, kind="probe")[0]
    assert check["channel"] == "whatsapp" and check["sent_at"] == "2026-11-30T09:00"
    assert check["check_date"] == "2026-11-30"


def test_an_opd_user_sees_no_other_opds_self_assessment_or_a_desk_review(app, world, db):
    client = login(app, "supervisor")
    desk = client.get("/desk-reviews/new?opd=disdukcapil").get_data(as_text=True)
    form = {"check_uuid": form_uuid(desk)}
    for comp in DESK_COMPONENTS:
        form[f"tinjauan__{comp}_ada"] = "no"
        form[f"tinjauan__{comp}_dokumen"] = "-"
    assert client.post("/desk-reviews/new?opd=disdukcapil", data=form).status_code == 302
    mine = login(app, "opd1")
    assert mine.get(f"/opd/self/{form['check_uuid']}").status_code == 404  # not a self-assessment
    assert form["check_uuid"] not in mine.get("/opd/self/").get_data(as_text=True)
    # an OPD user cannot make a check of another OPD through the API either
    body = {
        "uuid": "5b0c3c1e-7a1f-4d39-9d7e-0e6a1c2b3d4e",
        "kind": "desk",
        "opd_id": records.opd_by_slug(db, "dishub")["id"],
        "instrument": {"id": "tinjauan", "version": 1},
        "answers": {},
        "check_date": "2026-11-30",
    }
    refused = mine.post("/api/v1/checks", json=body)
    assert refused.status_code == 403
