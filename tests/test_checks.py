"""Checks (probes): exactly once through POST /api/v1/checks, the own-OPD and lockout
rules, per-field reasons, scoring, and probe instruments kept out of visits."""

import datetime as dt
import hashlib
import uuid

import pytest

from survey_app.core import checks as core
from survey_app.core.instruments import load_file
from survey_app.core.sync import Refused
from survey_app.store import checks as store
from survey_app.store import records
from tests.test_api import gen_payload, jpeg

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
SALURAN = load_file(ROOT / "instruments" / "saluran.yaml")


def probe(db, slug="disdukcapil", **overrides):
    body = {
        "uuid": str(uuid.uuid4()),
        "kind": "probe",
        "opd_id": records.opd_by_slug(db, slug)["id"],
        "channel": "whatsapp",
        "instrument": {"id": "saluran", "version": 1},
        "sent_at": "2026-11-20T09:15",
        "answered_at": "2026-11-20T11:40",
        "answers": {
            "whatsapp_dijawab": "yes",
            "whatsapp_benar": "yes",
            "whatsapp_lengkap": "no",
            "whatsapp_sopan": "yes",
        },
        "notes": {"whatsapp_lengkap": "Biaya tidak disebut."},
        "photos": [],
    }
    body.update(overrides)
    return body


@pytest.fixture
def api(client, auth, world):
    auth.login("evaluator1")
    return client


def rows(db):
    return db.execute("select count(*) from checks").fetchone()[0]


def test_a_new_probe_is_stored_once_and_a_resend_answers_200(api, db):
    body = probe(db)
    first = api.post("/api/v1/checks", json=body)
    assert first.status_code == 201, first.get_json()
    again = api.post("/api/v1/checks", json=body)
    assert again.status_code == 200 and again.get_json()["repeat"] is True
    assert rows(db) == 1
    stored = store.get(db, body["uuid"])
    assert stored["kind"] == "probe" and stored["channel"] == "whatsapp"
    assert stored["check_date"] == "2026-11-20" and stored["self_assessed"] is False
    assert stored["answers"]["whatsapp_lengkap"] == "no"
    assert stored["notes"] == {"whatsapp_lengkap": "Biaya tidak disebut."}
    # weights: dijawab 2, benar 1, lengkap 1, sopan 1 -> 4 of 5
    assert stored["scores"]["score"] == 80.0
    assert stored["scores"]["items"]["whatsapp_lengkap"] is False
    assert stored["scores"]["dimensions"] == {"akses_informasi": 80.0}
    assert stored["scores"]["ombudsman"] == {"output": 50.0, "proses": 100.0}
    listed = api.get("/api/v1/checks").get_json()["checks"]
    assert [c["uuid"] for c in listed] == [body["uuid"]]


def test_other_content_under_the_same_uuid_is_a_conflict(api, db):
    body = probe(db)
    assert api.post("/api/v1/checks", json=body).status_code == 201
    changed = api.post("/api/v1/checks", json={**body, "answered_at": "2026-11-21T08:00"})
    assert changed.status_code == 409 and changed.get_json()["error"] == "conflict"
    assert rows(db) == 1


def test_another_users_uuid_is_taken(api, client, auth, db):
    body = probe(db)
    assert api.post("/api/v1/checks", json=body).status_code == 201
    auth.logout()
    auth.login("evaluator2")
    taken = client.post("/api/v1/checks", json=body)
    assert taken.status_code == 409 and taken.get_json()["error"] == "uuid_taken"


def test_shape_problems_answer_422_with_every_field_and_its_reason_in_indonesian(api, db):
    body = probe(
        db,
        uuid="not-a-uuid",
        channel="fax",
        sent_at="20/11/2026 09:15",
        answered_at="2026-11-20T08:00",
        photos=[{"sha256": "xyz"}],
    )
    response = api.post("/api/v1/checks", json=body)
    assert response.status_code == 422
    got = response.get_json()
    assert got["error"] == "malformed"
    assert set(got["fields"]) == {"uuid", "channel", "sent_at", "photos"}
    assert got["fields"]["sent_at"] == ["Bukan tanggal dan jam setempat YYYY-MM-DDTHH:MM."]
    assert "Beberapa isian perlu diperbaiki" in got["message"]
    assert api.post("/api/v1/checks", data="x", content_type="text/plain").status_code == 400
    assert rows(db) == 0


def test_an_answer_before_the_question_is_refused(api, db):
    response = api.post("/api/v1/checks", json=probe(db, answered_at="2026-11-19T10:00"))
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["answered_at"]


def test_an_unknown_instrument_version_or_a_visit_instrument_is_422(api, db):
    for inst in ({"id": "saluran", "version": 9}, {"id": "kepatuhan", "version": 1}):
        response = api.post("/api/v1/checks", json=probe(db, instrument=inst))
        assert response.status_code == 422
        assert response.get_json()["error"] == "unknown_instrument"


def test_answers_are_checked_by_the_forms_rules_for_the_channel_only(api, db):
    missing = api.post("/api/v1/checks", json=probe(db, answers={"whatsapp_dijawab": "no"}))
    assert missing.status_code == 201, missing.get_json()  # the rest hide when unanswered
    other = probe(
        db, slug="dishub", answers={"whatsapp_dijawab": "yes", "telepon_tersambung": "yes"}
    )
    response = api.post("/api/v1/checks", json=other)
    assert response.status_code == 422 and response.get_json()["error"] == "invalid"
    assert "whatsapp_benar" in response.get_json()["fields"]


def test_own_opd_is_refused_with_the_visits_message(api, db):
    response = api.post("/api/v1/checks", json=probe(db, slug="kec-telanaipura"))
    assert response.status_code == 403 and response.get_json()["error"] == "own_opd"
    assert "OPD tempat Anda bekerja" in response.get_json()["message"]
    assert rows(db) == 0


def test_the_lockout_applies_to_probes_on_the_servers_dates(api, db):
    assert api.post("/api/v1/checks", json=probe(db)).status_code == 201
    again = api.post("/api/v1/checks", json=probe(db, channel="web", answers={}))
    assert again.status_code == 403 and again.get_json()["error"] == "lockout"
    # a visit to the same OPD is judged on visits, not probes
    assert api.post("/api/v1/visits", json=gen_payload(db)).status_code == 201


def test_missing_photos_are_409_until_sent_then_the_probe_holds_them(api, db):
    photo = jpeg()
    digest = hashlib.sha256(photo).hexdigest()
    body = probe(db, photos=[{"sha256": digest, "item_id": "", "captured_at": None}])
    refused = api.post("/api/v1/checks", json=body)
    assert refused.status_code == 409 and refused.get_json()["missing"] == [digest]
    assert rows(db) == 0
    assert api.put(f"/api/v1/photos/{digest}", data=photo).status_code == 201
    assert api.post("/api/v1/checks", json=body).status_code == 201
    assert store.get(db, body["uuid"])["photos"][0]["sha256"] == digest


def test_a_supervisor_may_not_post_checks_and_anonymous_gets_401(client, auth, world, db):
    assert client.post("/api/v1/checks", json=probe(db)).status_code == 401
    auth.login("supervisor")
    assert client.post("/api/v1/checks", json=probe(db)).status_code == 403


def test_probe_instruments_stay_out_of_visits(api, db):
    assert [i.id for i in records.current_instruments(db)] == ["kunjungan", "kepatuhan", "skm"]
    assert "saluran" in [i.id for i in records.current_instruments(db, kind=None)]
    boot = api.get("/api/v1/bootstrap").get_json()
    assert "saluran" not in [i["id"] for i in boot["instruments"]]
    body = gen_payload(db, instruments=[{"id": "saluran", "version": 1}], answers={})
    response = api.post("/api/v1/visits", json=body)
    assert response.status_code == 422 and response.get_json()["error"] == "unknown_instrument"


def test_read_check_derives_the_date_and_hashes_content_not_photos():
    today = dt.date(2026, 12, 1)
    body = {**probe_shape(), "photos": []}
    one = core.read_check(body, today, 7)
    two = core.read_check({**body, "photos": [{"sha256": "a" * 64}], "plan_id": 3}, today, 7)
    assert one.check_date == "2026-11-30" and one.content_hash == two.content_hash
    assert core.decide(None, one, 7) == core.NEW
    row = {"assessor_id": 7, "content_hash": one.content_hash}
    assert core.decide(row, one, 7) == core.REPEAT
    assert core.decide(row, one, 8) == "uuid_taken"
    other = core.read_check({**body, "answers": {"web_dapat_diakses": "no"}}, today, 7)
    assert core.decide(row, other, 7) == "conflict"
    with pytest.raises(Refused) as late:
        core.read_check({**body, "sent_at": "2026-12-05T08:00"}, today, 7)
    assert late.value.status == 422 and list(late.value.fields) == ["sent_at"]


def probe_shape():
    return {
        "uuid": str(uuid.uuid4()),
        "kind": "probe",
        "opd_id": 1,
        "channel": "web",
        "instrument": {"id": "saluran", "version": 1},
        "sent_at": "2026-11-30T10:00",
        "answers": {"web_dapat_diakses": "yes"},
    }


def test_a_desk_check_has_no_channel_and_needs_its_date():
    today = dt.date(2026, 12, 1)
    body = {"uuid": str(uuid.uuid4()), "kind": "desk", "opd_id": 1, "channel": "web"}
    body["instrument"] = {"id": "tinjauan", "version": 1}
    with pytest.raises(Refused) as refused:
        core.read_check(body, today)
    assert set(refused.value.fields) == {"channel", "check_date"}
    ok = core.read_check({**body, "channel": None, "check_date": "2026-11-28"}, today)
    assert ok.kind == "desk" and ok.check_date == "2026-11-28"


def test_check_scores_take_the_channel_part_only():
    scores = core.check_scores(
        {"channel": "lapor", "answers": {"lapor_tercatat": "yes", "lapor_dijawab": "no"}}, SALURAN
    )
    # tercatat 1 of 1, dijawab 0 of 2; the rest hidden (no answer)
    assert scores["score"] == pytest.approx(100 / 3)
    assert scores["dimensions"] == {"pengaduan": pytest.approx(100 / 3)}
    assert set(scores["items"]) == {
        f"lapor_{k}" for k in ("tercatat", "dijawab", "tepat_waktu", "tuntas", "sopan")
    }
    assert scores["items"]["lapor_tuntas"] is None


def test_every_scored_probe_item_is_tagged_dimension_and_ombudsman():
    assert SALURAN.kind == "probe"
    assert {s.channel for s in SALURAN.sections} == set(core.CHANNELS)
    for item in SALURAN.items:
        assert item.tags["dimension"] in ("akses_informasi", "pengaduan"), item.id
        assert item.tags["ombudsman"] in ("input", "proses", "output", "pengaduan"), item.id


def test_judge_an_opd_user_only_their_own_opd_and_self_assessed():
    check = core.Check(uuid="u", kind="probe", opd_id=5, instrument=("saluran", 1), check_date="")
    opd_user = {"id": 1, "role": "opd", "opd_id": 5}
    assert (
        core.judge(opd_user, check, dt.date(2026, 12, 1), (14, 3), [dt.date(2026, 11, 30)]) is None
    )
    other = core.Check(uuid="u", kind="probe", opd_id=6, instrument=("saluran", 1), check_date="")
    assert core.judge(opd_user, other, dt.date(2026, 12, 1), (14, 3), []).code == "not_own_opd"
    assert core.is_self_assessed(opd_user) and not core.is_self_assessed({"role": "evaluator"})
    evaluator = {"id": 2, "role": "evaluator", "opd_id": 9}
    desk = core.Check(uuid="u", kind="desk", opd_id=5, instrument=("tinjauan", 1), check_date="")
    assert (
        core.judge(evaluator, desk, dt.date(2026, 12, 1), (14, 3), [dt.date(2026, 11, 30)]) is None
    )
    assert (
        core.judge(evaluator, check, dt.date(2026, 12, 1), (14, 3), [dt.date(2026, 11, 30)]).code
        == "too_soon"
    )


def test_for_period_keeps_independent_and_self_assessed_apart(api, db):
    body = probe(db)
    assert api.post("/api/v1/checks", json=body).status_code == 201
    independent = store.for_period(db, "2026-11-01", "2026-11-30", self_assessed=False)
    assert [c["uuid"] for c in independent] == [body["uuid"]]
    assert store.for_period(db, "2026-11-01", "2026-11-30", self_assessed=True) == []
    assert store.for_period(db, "2026-12-01", None, self_assessed=False, kind="probe") == []


def test_the_demo_has_every_kind_of_check_by_the_rules(app, db):
    """make run shows probes, desk reviews and a self-assessment, made as the rules allow."""
    from survey_app.store import demo

    demo.seed(db, app.config["PHOTOS_DIR"])
    kinds = {
        (r[0], r[1]): r[2]
        for r in db.execute("select kind, self_assessed, count(*) from checks group by 1, 2")
    }
    two_each = 2 * db.table("opds").count
    assert kinds == {
        ("probe", 0): two_each,
        ("desk", 0): 2,
        ("checklist", 1): 1,
        ("desk", 1): 1,
        ("probe", 1): 1,
    }
    mixed = db.execute(
        "select count(*) from checks c join users u on u.id = c.assessor_id "
        "where (c.self_assessed = 1) != (u.role = 'opd') "
        "or (u.role = 'evaluator' and u.opd_id = c.opd_id) "
        "or (u.role = 'opd' and u.opd_id != c.opd_id)"
    ).fetchone()[0]
    assert mixed == 0  # no evaluator probes its own OPD; an OPD assesses only itself
    probes = "select sent_at, answered_at, check_date from checks where kind = 'probe'"
    for row in db.execute(probes):
        assert row["check_date"] == row["sent_at"][:10]
        assert row["answered_at"] is None or row["answered_at"] >= row["sent_at"]
        assert dt.date.fromisoformat(row["check_date"]).weekday() < 5
