"""The desk review: the tinjauan instrument, and a supervisor's independent review online."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from survey_app.core.instruments import load_file
from survey_app.store import checks as check_store
from survey_app.store import records

from .supervisor_data import DESK_COMPONENTS as COMPONENTS
from .supervisor_data import login, user_id

ROOT = Path(__file__).resolve().parent.parent


def jpeg(colour=(10, 120, 30)) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(data, "JPEG")
    return data.getvalue()


def test_tinjauan_has_the_eight_management_components():
    inst = load_file(ROOT / "instruments" / "tinjauan.yaml")
    assert inst.kind == "desk"
    assert [s.id for s in inst.sections] == list(COMPONENTS)
    for section in inst.sections:
        kinds = [i.type for i in section.items]
        assert kinds == ["yesno", "text", "photo"], section.id
        scored = section.items[0]
        assert scored.weight > 0 and scored.finding and scored.recommendation
        assert scored.tags["component"] == section.id
        expected = "pengaduan" if section.id == "pengaduan" else "input"
        assert scored.tags["ombudsman"] == expected
        assert section.items[1].required  # the document checked is always written down


def test_desk_instrument_is_never_offered_for_a_visit(app, world, db):
    assert "tinjauan" not in {i.id for i in records.current_instruments(db)}
    assert "tinjauan" in {i.id for i in records.current_instruments(db, kind="desk")}
    client = login(app, "evaluator1")
    assert "tinjauan" not in client.get("/visits/new").get_data(as_text=True)


def form_uuid(html: str) -> str:
    """The check UUID a form was served with (a resend of it is a repeat)."""
    return re.search(r'name="check_uuid" value="([0-9a-f-]{36})"', html)[1]


def answers(document: str = "SK Kepala Dinas No. 12/2025") -> dict:
    form = {}
    for n, comp in enumerate(COMPONENTS):
        form[f"tinjauan__{comp}_ada"] = "yes" if n % 4 else "no"  # 6 of 8 present
        form[f"tinjauan__{comp}_dokumen"] = document
    return form


def test_supervisor_stores_a_desk_review_with_evidence_and_is_named(app, world, db):
    client = login(app, "supervisor")
    page = client.get("/desk-reviews/new?opd=dishub")
    assert page.status_code == 200
    check_uuid = re.search(
        r'name="check_uuid" value="([0-9a-f-]{36})"', page.get_data(as_text=True)
    )[1]
    form = {**answers(), "check_uuid": check_uuid}
    form["photo-dasar_hukum_bukti"] = (io.BytesIO(jpeg()), "sk.jpg")
    stored = client.post("/desk-reviews/new?opd=dishub", data=form)
    assert stored.status_code == 302, stored.get_data(as_text=True)
    check = check_store.get(db, check_uuid)
    assert check["kind"] == "desk" and check["self_assessed"] is False
    assert check["assessor_id"] == user_id(db, "supervisor")
    assert check["opd_id"] == records.opd_by_slug(db, "dishub")["id"]
    assert check["scores"]["score"] == 75.0  # 6 of 8, weight 1 each
    ombudsman = {k: round(v, 2) for k, v in check["scores"]["ombudsman"].items()}
    assert ombudsman == {"input": 85.71, "pengaduan": 0.0}  # 6 of 7; 0 of 1
    assert [p["item_id"] for p in check["photos"]] == ["dasar_hukum_bukti"]
    detail = client.get(stored.headers["Location"]).get_data(as_text=True)
    assert "Supervisor Inspektorat" in detail  # the report says who reviewed
    assert "SK Kepala Dinas No. 12/2025" in detail and "/visits/photo/" in detail
    listing = client.get("/desk-reviews/").get_data(as_text=True)
    assert "Supervisor Inspektorat" in listing and "75,00" in listing
    # the same form again stores nothing twice; a second review the same day is allowed
    assert (
        client.post(
            "/desk-reviews/new?opd=dishub", data={**answers(), "check_uuid": check_uuid}
        ).status_code
        == 302
    )
    assert db.execute("select count(*) from checks").fetchone()[0] == 1
    again = client.post("/desk-reviews/new?opd=dishub", data=answers())
    assert again.status_code == 302  # no lockout on a desk review
    assert db.execute("select count(*) from checks").fetchone()[0] == 2


def test_a_refused_desk_review_keeps_what_was_typed_and_the_photos(app, world, db):
    client = login(app, "supervisor")
    form = answers("Perwali 7/2024 & <b>lampiran</b>")
    del form["tinjauan__sarana_ada"]
    form["photo-"] = (io.BytesIO(jpeg((200, 0, 0))), "whole.jpg")
    refused = client.post("/desk-reviews/new?opd=dishub", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert db.execute("select count(*) from checks").fetchone()[0] == 0
    assert "Perwali 7/2024 &amp; &lt;b&gt;lampiran&lt;/b&gt;" in html  # kept, escaped
    assert "<b>lampiran</b>" not in html
    item = html.split('id="item-tinjauan__sarana_ada"')[1].split('class="item')[0]
    assert "wajib diisi" in item or "required" in item
    kept = re.search(r'name="kept-photo-" value="([0-9a-f]{64})"', html)[1]
    check_uuid = form_uuid(html)
    fixed = {**answers(), "check_uuid": check_uuid, "kept-photo-": kept}
    assert client.post("/desk-reviews/new?opd=dishub", data=fixed).status_code == 302
    assert [p["sha256"] for p in check_store.get(db, check_uuid)["photos"]] == [kept]


def test_an_oversized_or_false_evidence_file_is_refused_on_its_item(app, world, db):
    app.config["MAX_PHOTO_BYTES"] = 2000
    client = login(app, "supervisor")
    big = io.BytesIO()
    Image.effect_noise((400, 300), 80).convert("RGB").save(big, "PNG")
    form = {**answers(), "photo-sarana_bukti": (io.BytesIO(big.getvalue()), "big.png")}
    form["photo-pengawasan_bukti"] = (io.BytesIO(b"%PDF-1.4 not a photo"), "x.jpg")
    refused = client.post("/desk-reviews/new?opd=dishub", data=form)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    for item in ("sarana_bukti", "pengawasan_bukti"):
        part = html.split(f'id="item-tinjauan__{item}"')[1].split('class="item')[0]
        assert "field-error" in part, item
    assert db.execute("select count(*) from checks").fetchone()[0] == 0


def test_the_reviewer_is_named_beside_the_opds_own_desk_review(seeded, db, tmp_path):
    import datetime as dt
    import subprocess

    from survey_app.findings import render

    client = login(seeded, "supervisor")
    html = client.get("/desk-reviews/new?opd=disdukcapil").get_data(as_text=True)
    data = {**answers(), "check_uuid": form_uuid(html)}
    assert client.post("/desk-reviews/new?opd=disdukcapil", data=data).status_code == 302
    own = login(seeded, "opd1")
    yes = {k: ("yes" if k.endswith("_ada") else v) for k, v in answers().items()}
    assert own.post("/opd/self/new/desk", data=yes).status_code == 302
    today = dt.date.today().isoformat()
    page = client.get(f"/dashboard/opd/disdukcapil?from=2026-10-01&to={today}")
    named = "Tinjauan dokumen independen oleh: Supervisor Inspektorat."
    assert named in page.get_data(as_text=True)
    pdf = render.opd_pdf(db, "disdukcapil", "2026-10-01", today, seeded.config["PHOTOS_DIR"])
    path = tmp_path / "opd.pdf"
    path.write_bytes(pdf.pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert named in " ".join(text.split())
    assert "menilai diri 100,00 · penilaian independen 75,00" in " ".join(text.split())


def test_a_desk_review_sent_by_an_evaluator_never_names_them_to_the_opd(seeded, db):
    """Desk reviews name their reviewer, a supervisor; an evaluator's name never reaches the OPD."""
    import datetime as dt
    import uuid

    evaluator = login(seeded, "evaluator2")
    body = {
        "uuid": str(uuid.uuid4()),
        "kind": "desk",
        "opd_id": records.opd_by_slug(db, "disdukcapil")["id"],
        "instrument": {"id": "tinjauan", "version": 1},
        "answers": {f"{c}_ada": "yes" for c in COMPONENTS}
        | {f"{c}_dokumen": "SK" for c in COMPONENTS},
        "check_date": dt.date.today().isoformat(),
    }
    assert evaluator.post("/api/v1/checks", json=body).status_code == 201
    own = login(seeded, "opd1")
    yes = {k: ("yes" if k.endswith("_ada") else v) for k, v in answers().items()}
    assert own.post("/opd/self/new/desk", data=yes).status_code == 302
    page = own.get("/opd/").get_data(as_text=True)
    assert 'data-kind="desk"' in page and "penilaian independen 100,00" in page
    assert "Evaluator Dua" not in page and "desk-reviewers" not in page
