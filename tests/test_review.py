"""The review queue, one visit in full, and approve / return / reject with their audit."""

import io
import json
import re
import subprocess

import pytest
from PIL import Image

from survey_app.store import records

from .supervisor_data import audit_rows, first_service, gen_visit, login, user_id

SUPERVISOR_PREFIXES = ("review.", "dashboard.", "assignments.", "admin.")


@pytest.fixture
def supervisor(app, world):
    return login(app, "supervisor")


def rows_in(page: str) -> list[str]:
    return re.findall(r'<tr data-uuid="([0-9a-f-]{36})">', page)


def test_queue_lists_submitted_visits_and_filters(supervisor, db):
    waiting = gen_visit(db, seed=1, opd="disdukcapil", evaluator="evaluator1")
    other = gen_visit(db, seed=2, opd="dishub", evaluator="evaluator2", instruments=("skm",))
    late = gen_visit(db, seed=3, opd="dpmptsp", evaluator="evaluator3", visit_date="2026-05-02")
    approved = gen_visit(db, "approved", seed=4)
    page = supervisor.get("/review/").get_data(as_text=True)
    assert set(rows_in(page)) == {waiting, other, late}
    assert "Terkirim (3)" in page and "Disetujui (1)" in page

    def shown(query):
        return set(rows_in(supervisor.get(f"/review/?{query}").get_data(as_text=True)))

    dishub = records.opd_by_slug(db, "dishub")["id"]
    assert shown(f"opd={dishub}") == {other}
    assert shown(f"evaluator={user_id(db, 'evaluator3')}") == {late}
    assert shown("instrument=kepatuhan") == {waiting, late}
    assert shown("from=2026-05-01&to=2026-05-31") == {late}
    assert shown("status=approved") == {approved}
    assert shown("status=all") == {waiting, other, late, approved}


def test_queue_ignores_unknown_sort_and_filter_values(supervisor, db):
    visit = gen_visit(db)
    for query in (
        "sort=v.uuid;drop table visits",
        "opd=1 or 1=1",
        "status=';--",
        "instrument=' or '1'='1",
    ):
        response = supervisor.get("/review/", query_string=query)
        assert response.status_code == 200
        response.close()
    assert db.table("visits").count == 1
    assert rows_in(supervisor.get("/review/?sort=bogus").get_data(as_text=True)) == [visit]
    assert supervisor.get("/review/?from=2026-13-45").status_code == 400


def test_visit_shows_answers_scores_times_fee_photos_and_log(supervisor, app, db):
    svc = first_service(db, "dishub")
    answers = {
        "kunjungan": {
            "layanan_diminta": "Uji KIR <b>truk</b>",
            "jam_tiba": "08:00",
            "ada_antrian": "no",
            "jam_mulai": "08:50",
            "jam_selesai": "10:00",
            "biaya_diminta": 100000,
        }
    }
    visit = gen_visit(db, opd="dishub", instruments=("kunjungan",), answers=answers)
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (10, 20, 30)).save(buf, "JPEG")
    digest = records.store_photo(db, app.config["PHOTOS_DIR"], buf.getvalue(), "image/jpeg")
    records.attach_photo(db, visit, digest, caption="Loket uji")
    page = supervisor.get(f"/review/{visit}").get_data(as_text=True)
    assert "Uji KIR &lt;b&gt;truk&lt;/b&gt;" in page  # escaped
    assert 'data-figure="waiting">50 menit' in page
    assert "120 menit" in page and "melebihi batas maksimal" in page  # 08:00-10:00 vs 90
    assert "Rp 100.000" in page and f"Rp {svc['fee']:,}".replace(",", ".") in page
    assert "di atas tarif yang dipublikasikan" in page
    assert f'<img src="/visits/photo/{digest}"' in page and "Loket uji" in page
    assert "Evaluator Satu" in page  # the supervisor sees who made the visit
    assert 'data-action="submitted"' in page and 'id="actions"' in page


def test_approve_counts_and_is_audited(supervisor, db):
    visit = gen_visit(db)
    response = supervisor.post(f"/review/{visit}/approve", data={"approve-note": "Lengkap."})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/")
    record = records.visit(db, visit)
    assert record["status"] == "approved" and record["review_note"] == "Lengkap."
    assert record["reviewer_id"] == user_id(db, "supervisor") and record["reviewed_at"]
    assert record["scores"] == records.score_visit(db, record)
    last = audit_rows(db, "visit", visit)[-1]
    assert last["action"] == "approved" and last["user_id"] == user_id(db, "supervisor")
    assert json.loads(last["detail"]) == {"from": "submitted", "to": "approved", "note": "Lengkap."}
    page = supervisor.get(f"/review/{visit}").get_data(as_text=True)
    assert "Terkirim → Disetujui" in page and "Supervisor Inspektorat" in page
    assert 'id="actions"' not in page  # nothing left to decide


def test_return_needs_a_note_and_reaches_the_evaluator(app, supervisor, db):
    visit = gen_visit(db)
    empty = supervisor.post(f"/review/{visit}/return", data={"return-note": "  "})
    assert empty.status_code == 400
    assert "Tuliskan apa yang harus diperbaiki evaluator." in empty.get_data(as_text=True)
    assert records.visit(db, visit)["status"] == "submitted"
    note = "Jam selesai belum diisi & foto loket kurang jelas."
    supervisor.post(f"/review/{visit}/return", data={"return-note": note})
    assert records.visit(db, visit)["status"] == "returned"
    evaluator = login(app, "evaluator1")
    page = evaluator.get("/visits/").get_data(as_text=True)
    assert "Dikembalikan untuk diperbaiki" in page
    assert "Jam selesai belum diisi &amp; foto loket kurang jelas." in page
    offline = evaluator.get("/api/v1/visits").get_json()["visits"]
    assert [(v["status"], v["review_note"]) for v in offline] == [("returned", note)]
    evaluator.post(f"/visits/{visit}/review")  # corrected and sent again
    assert records.visit(db, visit)["status"] == "submitted"
    supervisor.post(f"/review/{visit}/approve", data={})
    actions = [r["action"] for r in audit_rows(db, "visit", visit)]
    assert actions[-4:] == ["submitted", "returned", "submitted", "approved"]


def test_reject_with_reason(supervisor, db):
    visit = gen_visit(db)
    missing = supervisor.post(f"/review/{visit}/reject", data={"reject-reason": "other"})
    assert missing.status_code == 400 and records.visit(db, visit)["status"] == "submitted"
    supervisor.post(
        f"/review/{visit}/reject",
        data={"reject-reason": "recognised", "reject-note": "Petugas menyapa dengan nama."},
    )
    record = records.visit(db, visit)
    assert record["status"] == "rejected"
    assert record["review_note"] == "Evaluator dikenali petugas: Petugas menyapa dengan nama."
    assert audit_rows(db, "visit", visit)[-1]["action"] == "rejected"


@pytest.mark.parametrize(
    ("status", "action"),
    [("draft", "approve"), ("approved", "approve"), ("rejected", "return"), ("returned", "reject")],
)
def test_only_a_submitted_visit_can_be_reviewed(supervisor, db, status, action):
    visit = gen_visit(db, status)
    before = len(audit_rows(db, "visit", visit))
    data = {"return-note": "x", "reject-reason": "recognised"}
    response = supervisor.post(f"/review/{visit}/{action}", data=data)
    assert response.status_code == 409
    assert "Hanya kunjungan yang sudah dikirim" in response.get_data(as_text=True)
    assert records.visit(db, visit)["status"] == status
    assert len(audit_rows(db, "visit", visit)) == before


def test_unknown_visit_and_action(supervisor, db):
    assert supervisor.get("/review/00000000-0000-4000-8000-000000000000").status_code == 404
    visit = gen_visit(db)
    assert supervisor.post(f"/review/{visit}/delete").status_code == 404


def test_review_forms_need_the_csrf_token(app, supervisor, db):
    visit = gen_visit(db)
    app.config["WTF_CSRF_ENABLED"] = True
    response = supervisor.post(f"/review/{visit}/approve", data={"approve-note": ""})
    assert response.status_code == 400
    assert records.visit(db, visit)["status"] == "submitted"
    page = supervisor.get(f"/review/{visit}").get_data(as_text=True)
    assert page.count('name="approve-csrf_token"') == 1


def supervisor_urls(app) -> list[tuple[str, str]]:
    """(method, url) for every route of the supervisor's workspace."""
    values = {
        "visit_uuid": "00000000-0000-4000-8000-000000000000",
        "action": "approve",
        "slug": "disdukcapil",
        "assignment_id": 1,
        "service_id": 1,
        "user_id": 1,
    }
    found = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith(SUPERVISOR_PREFIXES):
                url = url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})
                found += [(m, url) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_evaluators_get_403_and_strangers_the_login_everywhere(app, world):
    urls = supervisor_urls(app)
    assert len(urls) >= 15
    evaluator, stranger = login(app, "evaluator1"), app.test_client()
    for method, url in urls:
        response = evaluator.open(url, method=method, data={})
        assert response.status_code == 403, (method, url)
        response.close()
        response = stranger.open(url, method=method, data={})
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        response.close()


def test_supervisor_nav_only_for_supervisors(app, world):
    supervisor_page = login(app, "supervisor").get("/review/").get_data(as_text=True)
    assert 'href="/dashboard/"' in supervisor_page and 'href="/admin/"' in supervisor_page
    evaluator_page = login(app, "evaluator1").get("/visits/").get_data(as_text=True)
    assert 'href="/dashboard/"' not in evaluator_page


def test_reject_starts_without_a_reason(supervisor, db):
    visit = gen_visit(db)
    page = supervisor.get(f"/review/{visit}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="reject-reason".*?</select>', page, re.S).group(0)
    assert "required" in select and "selected" not in select
    assert re.search(r"<select[^>]*><option value=\"\">Pilih alasan</option>", select)
    refused = supervisor.post(f"/review/{visit}/reject", data={"reject-reason": ""})
    assert refused.status_code == 400 and "Pilih alasan." in refused.get_data(as_text=True)
    assert records.visit(db, visit)["status"] == "submitted"


def test_a_decision_opens_the_next_visit_of_the_same_queue(supervisor, db):
    first = gen_visit(db, seed=1, visit_date="2026-08-01")
    second = gen_visit(db, seed=2, visit_date="2026-08-02")
    dishub = gen_visit(db, seed=3, opd="dishub", visit_date="2026-08-03")
    page = supervisor.get(f"/review/{first}").get_data(as_text=True)
    assert f'id="next-visit" rel="next" href="/review/{second}"' in page
    response = supervisor.post(f"/review/{first}/approve", data={})
    assert response.headers["Location"] == f"/review/{second}"
    opd = records.opd_by_slug(db, "dishub")["id"]
    response = supervisor.post(f"/review/{dishub}/approve?opd={opd}", data={})
    assert response.headers["Location"] == f"/review/?opd={opd}"  # none left under that filter


def test_photo_item_shows_its_photos_beside_the_answer(supervisor, app, db, tmp_path):
    visit = gen_visit(db)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buf, "JPEG")
    digest = records.store_photo(db, app.config["PHOTOS_DIR"], buf.getvalue(), "image/jpeg", 64, 48)
    records.attach_photo(db, visit, digest, "kunjungan", "foto_bukti", caption="Kuitansi")
    page = supervisor.get(f"/review/{visit}").get_data(as_text=True)
    row = re.search(r'<tr data-item="kunjungan.foto_bukti".*?</tr>', page, re.S).group(0)
    assert "1 foto, ditampilkan di sampingnya" in row and "Tidak dijawab" not in row
    assert f'<a class="thumb" href="/visits/photo/{digest}"' in row
    # the visit sheet PDF reads the same answer the same way
    sheet = tmp_path / "visit.pdf"
    sheet.write_bytes(supervisor.get(f"/reports/visit/{visit}.pdf").data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(sheet), "-"], capture_output=True, text=True
    ).stdout
    line = next(x for x in text.splitlines() if x.strip().startswith("Foto bukti"))
    assert "Tidak dijawab" not in line and "1 foto" in line, line


def test_the_audit_log_shows_what_a_save_changed(supervisor, db):
    visit = gen_visit(db, "draft")
    record = records.visit(db, visit)
    answers = {**record["answers"], "kunjungan": {**record["answers"]["kunjungan"]}}
    answers["kunjungan"]["biaya_diminta"] = 75000
    keys = ("uuid", "opd_id", "service_id", "evaluator_id", "visit_date", "instruments")
    changed = {**{k: record[k] for k in keys}, "answers": answers, "status": "draft"}
    records.save_visit(db, changed, record["evaluator_id"])
    detail = json.loads(audit_rows(db, "visit", visit)[-1]["detail"])
    before = record["answers"]["kunjungan"].get("biaya_diminta")
    assert detail["changes"] == {"kunjungan.biaya_diminta": [before, 75000]}
    page = supervisor.get(f"/review/{visit}").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page)
    assert f"{before if before is not None else '-'} → 75000" in text


def test_a_failing_answers_detail_shows_beside_it_on_review(supervisor, db):
    """The evaluator's detail of a failing answer (the item's note) reaches the desk, escaped."""
    answers = {
        "kunjungan": {
            "layanan_diminta": "KTP",
            "jam_tiba": "08:00",
            "ada_antrian": "na",
            "jam_mulai": "08:10",
            "jam_selesai": "08:20",
            "biaya_diminta": 20000,
            "imbalan_diminta": "yes",
            "persyaratan_sesuai": "yes",
            "produk_diperoleh": "selesai",
            "narasi": "Diminta uang rokok.",
            "petugas_ramah": "yes",
        }
    }
    detail = "Petugas meminta Rp 20.000 <b>uang rokok</b>."
    visit = gen_visit(
        db,
        instruments=("kunjungan",),
        answers=answers,
        notes={"kunjungan": {"imbalan_diminta": detail}},
    )
    page = supervisor.get(f"/review/{visit}").get_data(as_text=True)
    assert "Petugas meminta Rp 20.000 &lt;b&gt;uang rokok&lt;/b&gt;." in page
    assert "<b>uang rokok</b>" not in page
