"""The sync API: exactly-once visits, photos by hash, per-record refusals."""

import hashlib
import io
import threading
import uuid

import pytest
from PIL import Image

from survey_app.store import records
from survey_app.store.connection import connect


def jpeg(width=800, height=600, color=(10, 120, 200)):
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


def service_id(db, slug):
    return db.execute(
        "select s.id from services s join opds o on o.id = s.opd_id "
        "where o.slug = ? order by s.id limit 1",
        [slug],
    ).fetchone()[0]


def gen_payload(db, slug="disdukcapil", **overrides):
    body = {
        "uuid": str(uuid.uuid4()),
        "opd_id": records.opd_by_slug(db, slug)["id"],
        "service_id": service_id(db, slug),
        "visit_date": "2026-11-20",
        "instruments": [{"id": "skm", "version": 1}],
        "answers": {"skm": {f"u{n}": 3 for n in range(1, 10)} | {"saran": "Tambah kursi"}},
        "photos": [],
    }
    body.update(overrides)
    return body


def gen_kunjungan(**changes):
    """Every kunjungan answer, times in order (08:00 arrival ... 08:20 end), with changes."""
    answers = {
        "layanan_diminta": "KTP",
        "jam_tiba": "08:00",
        "ada_antrian": "yes",
        "jam_tiket": "08:01",
        "jam_mulai": "08:10",
        "jam_selesai": "08:20",
        "biaya_diminta": 0,
        "imbalan_diminta": "no",
        "persyaratan_sesuai": "yes",
        "produk_diperoleh": "selesai",
        "narasi": "Lancar.",
        "petugas_ramah": "yes",
    }
    return {**answers, **changes}


@pytest.fixture
def api(client, auth, world):
    auth.login("evaluator1")
    return client


def test_new_visit_is_stored_submitted(api, db):
    body = gen_payload(db)
    response = api.post("/api/v1/visits", json=body)
    assert response.status_code == 201, response.get_json()
    record = records.visit(db, body["uuid"])
    assert record["status"] == "submitted" and record["answers"]["skm"]["u1"] == 3
    assert record["scores"] is None  # scored when read until a supervisor decides
    assert records.scores_of(db, record)["skm"]["ikm_converted"] == 75.0
    records.set_status(db, body["uuid"], "approved", None)
    assert records.visit(db, body["uuid"])["scores"]["skm"]["ikm_converted"] == 75.0


def test_same_visit_twice_in_sequence_is_stored_once(api, db):
    body = gen_payload(db)
    assert api.post("/api/v1/visits", json=body).status_code == 201
    again = api.post("/api/v1/visits", json=body)
    assert again.status_code == 200 and again.get_json()["repeat"] is True
    assert db.table("visits").count == 1
    assert db.table("answers").count == 10
    assert [r["action"] for r in db.table("audit_log").rows] == ["create", "submitted"]


def test_same_visit_posted_concurrently_is_stored_once(app, db, world):
    body = gen_payload(db)
    statuses, errors = [], []

    def post(client):
        try:
            statuses.append(client.post("/api/v1/visits", json=body).status_code)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    # Logged in one after another: logins racing on one account count as
    # attempts in flight, and the sixth would be throttled.
    clients = [app.test_client() for _ in range(6)]
    for client in clients:
        client.post("/login", data={"username": "evaluator1", "password": "demo-password"})
    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(statuses) == [200] * 5 + [201]
    check = connect(app.config["DATABASE"])
    assert check.table("visits").count == 1 and check.table("answers").count == 10
    check.close()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        {"uuid": "nope"},
        {"uuid": str(uuid.uuid4()), "opd_id": "1"},
    ],
)
def test_malformed_body_is_400_and_changes_nothing(api, db, body):
    kwargs = (
        {"data": body, "content_type": "application/json"}
        if isinstance(body, str)
        else {"json": body}
    )
    response = api.post("/api/v1/visits", **kwargs)
    assert response.status_code == 400
    assert response.get_json()["message"]
    assert db.table("visits").count == 0 and db.table("audit_log").count == 0


def test_malformed_fields_named(api, db):
    body = gen_payload(db, visit_date="besok")
    response = api.post("/api/v1/visits", json=body)
    assert response.status_code == 400 and "visit_date" in response.get_json()["message"]


@pytest.mark.parametrize(
    "notes",
    [["x"], {"kunjungan": "x"}, {"kunjungan": {"jam_tiba": {"a": 1}}}, {"skm": {"u1": "x" * 5001}}],
)
def test_notes_of_any_other_shape_are_refused(api, db, notes):
    response = api.post("/api/v1/visits", json=gen_payload(db, notes=notes))
    assert response.status_code == 400 and "notes" in response.get_json()["message"]
    assert db.table("visits").count == 0


def test_notes_are_stored_beside_their_answers(api, db):
    body = gen_payload(db, notes={"skm": {"u1": 'antre "lama"\nsekali', "u2": None}})
    assert api.post("/api/v1/visits", json=body).status_code == 201
    assert records.visit(db, body["uuid"])["notes"] == {"skm": {"u1": 'antre "lama"\nsekali'}}


def test_unknown_instrument_version_refused(api, db):
    response = api.post(
        "/api/v1/visits", json=gen_payload(db, instruments=[{"id": "skm", "version": 99}])
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "unknown_instrument" and "skm v99" in body["message"]
    assert db.table("visits").count == 0


def test_instruments_are_looked_up_together_and_the_unknown_one_named(api, db):
    known = [{"id": "kunjungan", "version": 2}, {"id": "skm", "version": 1}]
    unknown = [*known, {"id": "kepatuhan", "version": 7}, {"id": "x", "version": 1}]
    response = api.post("/api/v1/visits", json=gen_payload(db, instruments=unknown))
    assert response.status_code == 422 and "kepatuhan v7" in response.get_json()["message"]
    too_many = known * 11
    response = api.post("/api/v1/visits", json=gen_payload(db, instruments=too_many))
    assert response.status_code == 400 and "instruments" in response.get_json()["message"]
    assert db.table("visits").count == 0


def test_own_opd_refused_in_indonesian(api, db):
    response = api.post("/api/v1/visits", json=gen_payload(db, slug="kec-telanaipura"))
    assert response.status_code == 403
    assert "tidak dapat menilai OPD" in response.get_json()["message"]
    assert db.table("visits").count == 0


def test_invalid_and_missing_answers_refused_per_field(api, db):
    body = gen_payload(db)
    body["answers"]["skm"]["u1"] = 9
    del body["answers"]["skm"]["u2"]
    response = api.post("/api/v1/visits", json=body)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert set(fields) == {"skm.u1", "skm.u2"}
    assert db.table("visits").count == 0


def test_hidden_answers_are_not_stored(api, db):
    answers = gen_kunjungan(ada_antrian="no")  # so jam_tiket is hidden
    body = gen_payload(
        db, instruments=[{"id": "kunjungan", "version": 2}], answers={"kunjungan": answers}
    )
    response = api.post("/api/v1/visits", json=body)
    assert response.status_code == 201, response.get_json()
    assert "jam_tiket" not in records.visit(db, body["uuid"])["answers"]["kunjungan"]


def test_photos_by_hash_once_and_visit_waits_for_them(app, api, db):
    data = jpeg()
    sha = hashlib.sha256(data).hexdigest()
    body = gen_payload(db, photos=[{"sha256": sha, "instrument_id": "", "item_id": ""}])
    early = api.post("/api/v1/visits", json=body)
    assert early.status_code == 409 and early.get_json()["missing"] == [sha]
    assert db.table("visits").count == 0
    assert api.head(f"/api/v1/photos/{sha}").status_code == 404
    assert api.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg").status_code == 201
    assert api.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg").status_code == 200
    assert api.head(f"/api/v1/photos/{sha}").status_code == 200
    assert db.table("photos").count == 1
    assert api.post("/api/v1/visits", json=body).status_code == 201
    assert records.visit(db, body["uuid"])["photos"][0]["sha256"] == sha


def test_truncated_photo_refused(api, db):
    data = jpeg()
    sha = hashlib.sha256(data).hexdigest()
    response = api.put(
        f"/api/v1/photos/{sha}", data=data[: len(data) // 2], content_type="image/jpeg"
    )
    assert response.status_code == 400 and response.get_json()["error"] == "hash_mismatch"
    assert db.table("photos").count == 0
    # the tablet keeps the whole photo and retries (offline-app.js: hash_mismatch -> retry)
    retried = api.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg")
    assert retried.status_code == 201 and db.table("photos").count == 1


def test_oversized_photo_refused_not_changed(api, db):
    data = jpeg(2400, 1800)
    sha = hashlib.sha256(data).hexdigest()
    response = api.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg")
    assert response.status_code == 400 and "1600" in response.get_json()["message"]


def test_api_needs_login_and_evaluator_role(client, auth, world, db):
    assert client.get("/api/v1/bootstrap").status_code == 401
    assert client.post("/api/v1/visits", json={}).status_code == 401
    auth.login("supervisor")
    assert client.get("/api/v1/bootstrap").status_code == 403


def test_api_needs_csrf(app, world, db):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    client.get("/login")
    response = client.post("/api/v1/visits", json=gen_payload(db))
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"


def test_someone_elses_uuid_is_refused(client, auth, db, world):
    body = gen_payload(db)
    auth.login("evaluator1")
    client.post("/api/v1/visits", json=body)
    auth.logout()
    auth.login("evaluator2")
    response = client.post("/api/v1/visits", json=body)
    assert response.status_code == 409


def test_bootstrap_has_what_the_tablet_needs(api):
    data = api.get("/api/v1/bootstrap").get_json()
    assert data["user"]["username"] == "evaluator1" and data["csrf_token"]
    assert [i["id"] for i in data["instruments"]] == ["kunjungan", "kepatuhan", "skm"]
    assert {"max_minutes", "fee", "opd_id"} <= set(data["services"][0])
    fragment = api.get(data["instruments"][2]["fragment"]).get_data(as_text=True)
    assert 'name="skm__u1"' in fragment and "Sangat mahal" in fragment


def test_visit_list_gives_outcomes_and_rejection_reasons_of_own_only(client, auth, db, world):
    auth.login("evaluator1")
    first, second = gen_payload(db), gen_payload(db, slug="dishub", visit_date="2026-11-25")
    for body in (first, second):
        assert client.post("/api/v1/visits", json=body).status_code == 201
    records.set_status(db, first["uuid"], "rejected", None, note="Petugas mengenali evaluator")
    visits = client.get("/api/v1/visits").get_json()["visits"]
    assert [v["uuid"] for v in visits] == [second["uuid"], first["uuid"]]  # newest visit first
    rejected = visits[1]
    reason = "Petugas mengenali evaluator"
    assert (rejected["status"], rejected["review_note"]) == ("rejected", reason)
    assert rejected["reviewed_at"] and rejected["submitted_at"]
    auth.logout()
    auth.login("evaluator2")
    assert client.get("/api/v1/visits").get_json()["visits"] == []


def test_bootstrap_gives_both_titles_and_the_session_language(api):
    data = api.get("/api/v1/bootstrap").get_json()
    skm = next(i for i in data["instruments"] if i["id"] == "skm")
    assert skm["titles"]["en"].startswith("Community Satisfaction") and data["lang"] == "id"
