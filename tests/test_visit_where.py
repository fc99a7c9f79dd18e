"""A visit's OPD and service: chosen explicitly, shown on every screen, changeable
while a draft or returned, re-checked by the start rules and re-scored."""

import re

import pytest

from survey_app.store import records

from .test_api import gen_kunjungan, gen_payload
from .test_field import opd_id, service_of, start_visit

DISHUB_KIR = "Pengujian berkala kendaraan bermotor (uji KIR)"  # 90 menit, Rp 75.000


@pytest.fixture
def evaluator(client, auth, world):
    auth.login("evaluator1")
    return client


def put_answers(db, uuid, **answers):
    """The kunjungan answers of a started visit: arrival 08:00, service end 09:10, Rp 50.000."""
    record = records.visit(db, uuid)
    record["answers"]["kunjungan"] = gen_kunjungan(
        jam_selesai="09:10", biaya_diminta=50000, kuitansi="yes", **answers
    )
    records.save_visit(db, record, None)


def test_start_form_has_no_default_opd_or_service(evaluator):
    page = evaluator.get("/visits/new").get_data(as_text=True)
    assert re.search(r'<option selected value="">Pilih OPD…</option>', page)
    assert re.search(r'<option selected value="">Pilih layanan…</option>', page)


def test_start_without_a_choice_says_why_and_keeps_what_was_typed(evaluator, db):
    response = evaluator.post(
        "/visits/new", data={"opd": "", "service": "", "instruments": ["skm:1"], "visit_date": ""}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Pilih OPD yang Anda kunjungi." in page and "Pilih layanan yang Anda minta." in page
    assert re.search(r'checked[^>]*value="skm:1"|value="skm:1"[^>]*checked', page)
    assert not re.search(r'checked[^>]*value="kunjungan:2"|value="kunjungan:2"[^>]*checked', page)
    assert db.table("visits").count == 0


def test_every_screen_shows_the_visit_header(evaluator, db):
    uuid = start_visit(evaluator, db)
    put_answers(db, uuid)
    for path in (f"/visits/{uuid}/s/0", f"/visits/{uuid}/s/3", f"/visits/{uuid}/review"):
        page = evaluator.get(path).get_data(as_text=True)
        header = page[page.index('class="visit-header"') : page.index("</section>")]
        assert "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi" in header
        assert "Perekaman dan pencetakan KTP-el" in header
        assert 'data-arrival="08:00"' in header and 'data-end="09:10"' in header
        assert "70 menit" in header and "60 menit" in header  # total against the maximum
        assert "Rp 50.000" in header and "Rp 0" in header and "di atas tarif</span>" in header
        assert f"/visits/{uuid}/where" in header


def test_send_screen_reads_like_the_sheet(evaluator, db):
    uuid = start_visit(evaluator, db)
    put_answers(db, uuid, petugas_ramah="no")
    page = evaluator.get(f"/visits/{uuid}/review").get_data(as_text=True)
    sheet = page[page.index("Lembar Kunjungan") :]
    assert "70 menit" in sheet and "melewati batas" in sheet and "di atas tarif" in sheet
    failed = sheet[sheet.index('class="failed"') : sheet.index("</ul>")]
    assert "Petugas melayani dengan sopan dan ramah." in failed
    assert "#item-kunjungan__petugas_ramah" in failed  # links to the field itself
    missing = sheet[sheet.index('class="missing"') :]
    assert re.search(rf"/visits/{uuid}/s/\d+#item-skm__u1", missing)


def test_sending_with_gaps_says_why_nothing_was_sent(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("skm:1",))
    response = evaluator.post(f"/visits/{uuid}/review")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="send-alert">Tidak ada yang terkirim: 9 butir wajib belum dijawab', page)
    assert records.visit(db, uuid)["status"] == "draft"


def test_change_of_service_is_confirmed_then_rescored(evaluator, db):
    uuid = start_visit(evaluator, db)
    put_answers(db, uuid)
    before = records.score_visit(db, records.visit(db, uuid))
    assert before["timing"]["over_max"] and before["fee"]["over_published"]
    choice = {"opd": opd_id(db, "dishub"), "service": service_of(db, "dishub"), "back": "2"}
    asked = evaluator.post(f"/visits/{uuid}/where", data=choice).get_data(as_text=True)
    assert "Ubah kunjungan ini menjadi Dinas Perhubungan Kota Jambi" in asked
    assert "90 menit dan Rp 75.000" in asked
    assert records.visit(db, uuid)["service_id"] != choice["service"]  # not before the yes
    done = evaluator.post(f"/visits/{uuid}/where", data={**choice, "confirm": "yes"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/visits/{uuid}/s/2")
    record = records.visit(db, uuid)
    assert (record["opd_id"], record["service_id"]) == (choice["opd"], choice["service"])
    after = records.score_visit(db, record)
    assert after["timing"]["max_minutes"] == 90 and not after["timing"]["over_max"]
    assert after["fee"]["published"] == 75000 and not after["fee"]["over_published"]
    assert "standar.waktu" not in after["compliance"]["failed"]
    review = evaluator.get(f"/visits/{uuid}/review").get_data(as_text=True)
    assert DISHUB_KIR in review and "Rp 75.000" in review and "di atas tarif</span>" not in review


def test_change_refuses_own_opd_and_a_service_of_another(evaluator, db):
    uuid = start_visit(evaluator, db)
    own = {"opd": opd_id(db, "kec-telanaipura"), "service": service_of(db, "kec-telanaipura")}
    response = evaluator.post(f"/visits/{uuid}/where", data={**own, "confirm": "yes"})
    assert response.status_code == 400
    assert "tidak dapat menilai OPD tempat Anda bekerja" in response.get_data(as_text=True)
    mixed = {"opd": opd_id(db, "dishub"), "service": service_of(db, "disdukcapil")}
    mixed["confirm"] = "yes"
    assert evaluator.post(f"/visits/{uuid}/where", data=mixed).status_code == 400
    assert records.visit(db, uuid)["opd_id"] == opd_id(db, "disdukcapil")


def test_change_only_while_draft_or_returned_and_only_by_its_evaluator(evaluator, auth, db):
    uuid = start_visit(evaluator, db, instruments=("skm:1",))
    records.set_status(db, uuid, "submitted", None)
    assert evaluator.get(f"/visits/{uuid}/where").status_code == 403
    page = evaluator.get(f"/visits/{uuid}/review").get_data(as_text=True)
    assert f"/visits/{uuid}/where" not in page  # no "Ubah" once sent
    records.set_status(db, uuid, "returned", None, note="Layanan keliru")
    assert evaluator.get(f"/visits/{uuid}/where").status_code == 200
    auth.logout()
    auth.login("evaluator2")
    assert evaluator.get(f"/visits/{uuid}/where").status_code == 403


def test_bootstrap_services_carry_the_published_standard(evaluator):
    services = evaluator.get("/api/v1/bootstrap").get_json()["services"]
    kir = next(s for s in services if s["name"] == DISHUB_KIR)
    assert (kir["max_minutes"], kir["fee"]) == (90, 75000)


def test_a_returned_visit_comes_back_with_another_service_and_is_rescored(evaluator, db):
    late_and_dear = gen_kunjungan(jam_selesai="09:10", biaya_diminta=50000, kuitansi="yes")
    body = gen_payload(
        db, instruments=[{"id": "kunjungan", "version": 2}], answers={"kunjungan": late_and_dear}
    )
    assert evaluator.post("/api/v1/visits", json=body).status_code == 201
    records.set_status(db, body["uuid"], "returned", None, note="Layanan yang dinilai keliru")
    own = {**body, "revision": 2, "opd_id": opd_id(db, "kec-telanaipura")}
    own["service_id"] = service_of(db, "kec-telanaipura")
    refused = evaluator.post("/api/v1/visits", json=own)
    assert refused.status_code == 403 and refused.get_json()["error"] == "own_opd"
    moved = {**body, "revision": 2, "opd_id": opd_id(db, "dishub")}
    moved["service_id"] = service_of(db, "dishub")
    assert evaluator.post("/api/v1/visits", json=moved).status_code == 201
    record = records.visit(db, body["uuid"])
    assert (record["service_id"], record["revision"]) == (moved["service_id"], 2)
    scores = records.score_visit(db, record)
    assert not scores["timing"]["over_max"] and not scores["fee"]["over_published"]
