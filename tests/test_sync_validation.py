"""What the sync API accepts: strict dates and times, times in order, and the same check
without a request (core.sync.validate_visit), as an import will use it."""

import datetime as dt
import uuid

import pytest

from survey_app.core import sync
from survey_app.store import records
from survey_app.store import sync as store_sync
from survey_app.web.forms import check_answers

from .test_api import gen_kunjungan, gen_payload

SHA = "ab" * 32
TODAY = dt.date.today()


@pytest.fixture
def api(client, auth, world):
    auth.login("evaluator1")
    return client


def refused(api, body):
    response = api.post("/api/v1/visits", json=body)
    return response.status_code, response.get_json()


@pytest.mark.parametrize(
    "day",
    ["0001-01-01", "1900-01-01", "1999-12-31", "20261120", "2026-W48-3", "2026-11-20T08:00"],
)
def test_visit_dates_that_are_no_visit_day_are_refused_with_a_reason(api, db, day):
    status, body = refused(api, gen_payload(db, visit_date=day))
    assert status == 400 and body["error"] == "bad_request"
    assert "visit_date" in body["message"]
    [reason] = body["fields"]["visit_date"]
    assert "YYYY-MM-DD" in reason or "Tanggal harus di antara 2000-01-01" in reason
    assert db.table("visits").count == 0


def test_a_visit_date_after_tomorrow_is_refused_and_tomorrow_is_not(api, db):
    late = (TODAY + dt.timedelta(days=2)).isoformat()
    status, body = refused(api, gen_payload(db, visit_date=late))
    assert status == 400 and body["fields"]["visit_date"]
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    assert api.post("/api/v1/visits", json=gen_payload(db, visit_date=tomorrow)).status_code == 201
    oldest = gen_payload(db, slug="dishub", visit_date="2000-01-01")
    assert api.post("/api/v1/visits", json=oldest).status_code == 201


@pytest.mark.parametrize(
    "taken",
    ["kemarin sore", "", "20261120T081200", "2026-11-20 08:12", "0001-01-01T00:00+07:00", 7],
)
def test_a_photo_time_that_is_not_iso_8601_is_refused_before_anything_is_stored(api, db, taken):
    pic = {"sha256": SHA, "instrument_id": "", "item_id": "", "captured_at": taken}
    status, body = refused(api, gen_payload(db, photos=[pic]))
    assert status == 400 and "photos[0].captured_at" in body["message"]
    assert "ISO 8601" in body["fields"]["photos[0].captured_at"][0]
    assert db.table("visits").count == 0 and db.table("visit_photos").count == 0


@pytest.mark.parametrize(
    "taken",
    [
        "2026-11-20T08:12:00+07:00",
        "2026-11-20T01:12:00.000Z",  # the tablet's Date.toISOString()
        "2026-11-20T08:12",
        None,
    ],
)
def test_iso_8601_photo_times_pass_the_check(taken):
    body = gen_body(photos=[{"sha256": SHA, "captured_at": taken}])
    assert sync.read_visit(body, TODAY).photos[0].captured_at == taken


@pytest.mark.parametrize(
    ("times", "late"),
    [
        ({"jam_selesai": "08:05"}, "kunjungan.jam_selesai"),
        ({"jam_mulai": "07:59", "jam_tiket": "07:50"}, "kunjungan.jam_tiket"),
    ],
)
def test_a_time_before_an_earlier_step_is_refused_per_field(api, db, times, late):
    body = gen_payload(
        db,
        instruments=[{"id": "kunjungan", "version": 2}],
        answers={"kunjungan": gen_kunjungan(**times)},
    )
    status, answer = refused(api, body)
    assert status == 422 and answer["error"] == "invalid"
    assert late in answer["fields"] and "lebih awal daripada" in answer["fields"][late][0]
    assert db.table("visits").count == 0


def test_times_in_order_and_equal_times_are_accepted(api, db):
    answers = gen_kunjungan(jam_tiket="08:00", jam_mulai="08:00", jam_selesai="08:00")
    body = gen_payload(
        db, instruments=[{"id": "kunjungan", "version": 2}], answers={"kunjungan": answers}
    )
    assert api.post("/api/v1/visits", json=body).status_code == 201


def gen_body(**overrides):
    body = {
        "uuid": str(uuid.uuid4()),
        "opd_id": 1,
        "service_id": 1,
        "visit_date": TODAY.isoformat(),
        "instruments": [{"id": "skm", "version": 1}],
        "answers": {},
    }
    return {**body, **overrides}


def test_a_visit_is_validated_without_a_request_as_the_api_does(app, db, world):
    evaluator = dict(db.execute("select * from users where username = 'evaluator1'").fetchone())
    known = store_sync.Known(db, evaluator, (14, 3))
    body = gen_payload(db)
    with app.app_context():  # the form's fields and messages; no request
        accepted = sync.validate_visit(body, known, check_answers, TODAY)
        assert accepted.visit.answers["skm"]["u1"] == 3 and accepted.visit.uuid == body["uuid"]
        assert [i.id for i in accepted.instruments] == ["skm"]
        del body["answers"]["skm"]["u2"]
        with pytest.raises(sync.Refused) as caught:
            sync.validate_visit(body, known, check_answers, TODAY)
    assert caught.value.status == 422 and set(caught.value.fields) == {"skm.u2"}
    assert db.table("visits").count == 0


def test_the_decision_on_a_stored_uuid():
    visit = sync.read_visit(gen_body(revision=2), TODAY)
    row = {
        "evaluator_id": 1,
        "content_hash": visit.content_hash,
        "status": "submitted",
        "revision": 1,
    }
    assert sync.decide(None, visit, 1) == sync.NEW
    assert sync.decide(row, visit, 1) == sync.REPEAT
    assert sync.decide(row, visit, 2) == "uuid_taken"
    other = {**row, "content_hash": "x"}
    assert sync.decide(other, visit, 1) == "stale_revision"
    assert sync.decide({**other, "status": "returned"}, visit, 1) == sync.REVISE
    assert sync.decide({**other, "revision": 2}, visit, 1) == "conflict"
    # A correction that changed only notes or photos is still the next revision.
    assert sync.decide({**row, "status": "returned"}, visit, 1) == sync.REVISE
    assert sync.decide({**row, "status": "returned", "revision": 2}, visit, 1) == sync.REPEAT


def test_a_stored_visit_reads_back_as_the_visit_that_was_sent(api, db):
    body = gen_payload(db, notes={"skm": {"u1": "antre"}})
    assert api.post("/api/v1/visits", json=body).status_code == 201
    sent = sync.read_visit(body, TODAY)
    stored = records.load_visit(db, body["uuid"])
    assert stored.instruments == sent.instruments == (("skm", 1),)
    assert stored.answers == sent.answers and stored.notes == sent.notes
    assert stored.content_hash == sent.fingerprint() and stored.status == "submitted"
