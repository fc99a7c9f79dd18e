"""Resend, conflict, revision: each status code, and what the database then holds."""

import hashlib
import json

import pytest

from survey_app.store import records

from .test_api import gen_payload, jpeg


@pytest.fixture
def api(client, auth, world):
    auth.login("evaluator1")
    return client


def answers_in_db(db, uuid):
    return {
        (r["instrument_id"], r["item_id"]): json.loads(r["value"])
        for r in db.execute("select * from answers where visit_uuid = ?", [uuid])
    }


def test_new_then_identical_resend(api, db):
    body = gen_payload(db)
    assert api.post("/api/v1/visits", json=body).status_code == 201
    before = answers_in_db(db, body["uuid"])
    again = api.post("/api/v1/visits", json=body)
    assert again.status_code == 200 and again.get_json()["repeat"] is True
    assert answers_in_db(db, body["uuid"]) == before
    assert db.table("visits").count == 1 and db.table("audit_log").count == 2


def test_identical_resend_only_adds_missing_photos(api, db):
    body = gen_payload(db)
    api.post("/api/v1/visits", json=body)
    data = jpeg()
    sha = hashlib.sha256(data).hexdigest()
    body["photos"] = [{"sha256": sha, "instrument_id": "", "item_id": ""}]
    assert api.post("/api/v1/visits", json=body).status_code == 409  # not uploaded yet
    api.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg")
    for _ in range(2):
        assert api.post("/api/v1/visits", json=body).status_code == 200
    assert [p["sha256"] for p in records.visit(db, body["uuid"])["photos"]] == [sha]


def test_same_uuid_different_content_is_a_conflict(api, db):
    body = gen_payload(db)
    api.post("/api/v1/visits", json=body)
    changed = {**body, "answers": {"skm": {**body["answers"]["skm"], "u1": 1}}}
    response = api.post("/api/v1/visits", json=changed)
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"
    assert "Server sudah menyimpan versi lain" in response.get_json()["message"]
    assert answers_in_db(db, body["uuid"])[("skm", "u1")] == 3


def test_correction_of_returned_visit_is_a_new_revision(api, db):
    body = gen_payload(db)
    api.post("/api/v1/visits", json=body)
    records.set_status(db, body["uuid"], "returned", None, note="U1 keliru")
    fetched = api.get(f"/api/v1/visits/{body['uuid']}").get_json()
    assert fetched["status"] == "returned" and fetched["revision"] == 1
    assert fetched["review_note"] == "U1 keliru"
    corrected = {**body, "revision": 2, "answers": {"skm": {**body["answers"]["skm"], "u1": 4}}}
    response = api.post("/api/v1/visits", json=corrected)
    assert response.status_code == 201, response.get_json()
    record = records.visit(db, body["uuid"])
    assert record["status"] == "submitted" and record["revision"] == 2
    assert answers_in_db(db, body["uuid"])[("skm", "u1")] == 4
    [revise] = db.execute("select detail from audit_log where action = 'revise'").fetchall()
    detail = json.loads(revise[0])
    assert detail["previous_answers"]["skm"]["u1"] == 3 and detail["to_revision"] == 2
    # resending the correction is harmless
    assert api.post("/api/v1/visits", json=corrected).status_code == 200


def test_a_correction_that_only_replaces_the_photo_goes_back_for_review(api, db):
    """The supervisor asked for a clearer photo; the answers stay as they were."""
    body = gen_payload(db)
    first, clearer = jpeg(), jpeg(color=(10, 200, 30))
    for data in (first, clearer):
        api.put(f"/api/v1/photos/{hashlib.sha256(data).hexdigest()}", data=data)
    photo = {"instrument_id": "", "item_id": ""}
    body["photos"] = [{**photo, "sha256": hashlib.sha256(first).hexdigest()}]
    assert api.post("/api/v1/visits", json=body).status_code == 201
    records.set_status(db, body["uuid"], "returned", None, note="Foto kurang jelas")
    sha = hashlib.sha256(clearer).hexdigest()
    corrected = {**body, "revision": 2, "photos": [{**photo, "sha256": sha}]}
    response = api.post("/api/v1/visits", json=corrected)
    assert response.status_code == 201, response.get_json()
    record = records.visit(db, body["uuid"])
    assert record["status"] == "submitted" and record["revision"] == 2
    assert [p["sha256"] for p in record["photos"]] == [sha]
    assert api.post("/api/v1/visits", json=corrected).status_code == 200  # a resend


def test_stale_revision_is_refused(api, db):
    body = gen_payload(db)
    api.post("/api/v1/visits", json=body)
    records.set_status(db, body["uuid"], "returned", None, note="cek")
    skipping = {**body, "revision": 3, "answers": {"skm": {**body["answers"]["skm"], "u9": 1}}}
    response = api.post("/api/v1/visits", json=skipping)
    assert response.status_code == 409 and response.get_json()["error"] == "stale_revision"
    not_returned = gen_payload(db, slug="dishub")
    api.post("/api/v1/visits", json=not_returned)
    again = {
        **not_returned,
        "revision": 2,
        "answers": {"skm": {**not_returned["answers"]["skm"], "u9": 1}},
    }
    assert api.post("/api/v1/visits", json=again).status_code == 409
    assert records.visit(db, not_returned["uuid"])["revision"] == 1


def test_unknown_version_is_422_and_stores_nothing(api, db):
    response = api.post(
        "/api/v1/visits", json=gen_payload(db, instruments=[{"id": "skm", "version": 7}])
    )
    assert response.status_code == 422 and db.table("visits").count == 0


def test_a_uuid_of_another_evaluator_is_refused_in_the_senders_language(api, auth, db):
    body = gen_payload(db)
    assert api.post("/api/v1/visits", json=body).status_code == 201
    auth.logout()
    auth.login("evaluator2")
    changed = {**body, "answers": {"skm": {**body["answers"]["skm"], "u1": 1}}}
    response = api.post("/api/v1/visits", json=changed)
    assert response.status_code == 409 and response.get_json()["error"] == "uuid_taken"
    assert "milik pengguna lain" in response.get_json()["message"]
    assert answers_in_db(db, body["uuid"])[("skm", "u1")] == 3
    assert db.table("audit_log").count == 2  # the first sending's create and submitted
