"""The admin's holidays page and the supervisor's probe plans, seen by the evaluator."""

import datetime as dt

import pytest

from survey_app.core import checks as core
from survey_app.store import checks as store
from survey_app.store import records


@pytest.fixture
def admin(client, auth, world, db):
    records.create_user(db, "admin", "demo-password", "admin")
    auth.login("admin")
    return client


def test_holidays_are_seeded_and_listed_per_year(admin, db):
    assert len(store.holidays(db, 2026)) == 25
    page = admin.get("/admin/holidays/?year=2026").get_data(as_text=True)
    assert "Idul Fitri 1447 Hijriah" in page and "Cuti bersama" in page
    assert "Hari libur dan cuti bersama 2026" in page
    assert "Sabtu, 21 Maret 2026" in page


def test_the_admin_adds_a_day_off_and_it_counts_in_working_days(admin, db):
    day = dt.date(2026, 12, 31)
    response = admin.post(
        "/admin/holidays/?year=2026",
        data={"date": "2026-12-31", "name": "Cuti bersama <Tahun Baru>", "kind": "cuti_bersama"},
    )
    assert response.status_code == 302
    assert day in store.holiday_dates(db)
    page = admin.get("/admin/holidays/?year=2026").get_data(as_text=True)
    assert "Cuti bersama &lt;Tahun Baru&gt;" in page  # escaped
    row = db.execute("select action from audit_log where entity = 'holiday'").fetchone()
    assert row[0] == "save"


def test_removing_a_day_off_asks_first_and_needs_csrf(app, admin, db):
    ask = admin.get("/admin/holidays/2026-12-24/remove")
    assert ask.status_code == 200 and "Hapus hari libur ini?" in ask.get_data(as_text=True)
    assert dt.date(2026, 12, 24) in store.holiday_dates(db)  # asking removes nothing
    app.config["WTF_CSRF_ENABLED"] = True
    assert admin.post("/admin/holidays/2026-12-24/remove").status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    assert admin.post("/admin/holidays/2026-12-24/remove").status_code == 302
    assert dt.date(2026, 12, 24) not in store.holiday_dates(db)
    assert admin.get("/admin/holidays/2026-12-24/remove").status_code == 404


def test_only_the_admin_keeps_holidays(client, auth, world):
    auth.login("supervisor")
    assert client.get("/admin/holidays/").status_code == 403


@pytest.fixture
def supervisor(client, auth, world):
    auth.login("supervisor")
    return client


def plan_form(db, evaluator="evaluator1", slug="disdukcapil", **changes):
    today = dt.date.today()
    data = {
        "opd": records.opd_by_slug(db, slug)["id"],
        "channel": "whatsapp",
        "evaluator": db.execute("select id from users where username = ?", [evaluator]).fetchone()[
            0
        ],
        "window_start": today.isoformat(),
        "window_end": (today + dt.timedelta(days=7)).isoformat(),
        "question": "Apa syarat membuat KTP elektronik?",
    }
    return {**data, **changes}


def test_a_supervisor_plans_a_probe_and_the_evaluator_gets_it(supervisor, client, auth, db):
    response = supervisor.post("/probes/", data=plan_form(db))
    assert response.status_code == 302, response.get_data(as_text=True)
    page = supervisor.get("/probes/").get_data(as_text=True)
    assert "Apa syarat membuat KTP elektronik?" in page and "WhatsApp" in page
    auth.logout()
    auth.login("evaluator1")
    boot = client.get("/api/v1/bootstrap").get_json()["probes"]
    assert [p["question"] for p in boot["plans"]] == ["Apa syarat membuat KTP elektronik?"]
    assert boot["deadline_days"] == 3 and "2026-12-25" in boot["holidays"]
    assert [i["id"] for i in boot["instruments"]] == ["saluran"]
    assert set(boot["instruments"][0]["channels"]) == set(core.CHANNELS)
    home = records.opd_by_slug(db, "kec-telanaipura")["id"]
    assert "bekerja" in boot["refusals"][str(home)]
    auth.logout()
    auth.login("evaluator2")
    assert client.get("/api/v1/bootstrap").get_json()["probes"]["plans"] == []


def test_a_probe_is_never_planned_for_an_evaluator_of_that_opd(supervisor, db):
    response = supervisor.post("/probes/", data=plan_form(db, slug="kec-telanaipura"))
    assert response.status_code == 400
    assert "akan dikenali" in response.get_data(as_text=True)
    late = supervisor.post("/probes/", data=plan_form(db, window_end="2020-01-01"))
    assert late.status_code == 400
    assert store.plans(db) == []


def test_a_plan_carried_out_is_linked_and_stays(supervisor, client, auth, db):
    supervisor.post("/probes/", data=plan_form(db))
    plan_id = store.plans(db)[0]["id"]
    auth.logout()
    auth.login("evaluator1")
    body = {
        "uuid": "7b0e3c5e-5b1a-4f7e-9d55-0c5e0d3f4a11",
        "kind": "probe",
        "opd_id": records.opd_by_slug(db, "disdukcapil")["id"],
        "channel": "whatsapp",
        "plan_id": plan_id,
        "instrument": {"id": "saluran", "version": 1},
        "sent_at": f"{dt.date.today().isoformat()}T08:00",
        "answers": {"whatsapp_dijawab": "no"},
    }
    wrong = client.post("/api/v1/checks", json={**body, "channel": "email"})
    assert wrong.status_code == 422 and wrong.get_json()["error"] == "unknown_plan"
    assert client.post("/api/v1/checks", json=body).status_code == 201
    assert client.get("/api/v1/bootstrap").get_json()["probes"]["plans"] == []
    auth.logout()
    auth.login("supervisor")
    assert client.post(f"/probes/{plan_id}/delete").status_code == 409
    page = client.get("/probes/").get_data(as_text=True)
    assert 'data-outcome="waiting"' in page or 'data-outcome="no_answer"' in page


def test_a_supervisor_opens_a_probe_with_its_checklist_and_evidence(supervisor, client, auth, db):
    from tests.test_api import jpeg

    auth.logout()
    auth.login("evaluator1")
    picture = jpeg()
    digest = __import__("hashlib").sha256(picture).hexdigest()
    assert client.put(f"/api/v1/photos/{digest}", data=picture).status_code == 201
    body = {
        "uuid": "5a0e3c5e-5b1a-4f7e-9d55-0c5e0d3f4a12",
        "kind": "probe",
        "opd_id": records.opd_by_slug(db, "dishub")["id"],
        "channel": "email",
        "instrument": {"id": "saluran", "version": 1},
        "sent_at": "2026-11-23T09:00",
        "answered_at": "2026-11-24T10:00",
        "answers": {
            "email_dijawab": "yes",
            "email_benar": "yes",
            "email_lengkap": "no",
            "email_sopan": "yes",
        },
        "notes": {"email_lengkap": "Biaya <tidak> disebut."},
        "photos": [{"sha256": digest, "item_id": ""}],
    }
    assert client.post("/api/v1/checks", json=body).status_code == 201
    auth.logout()
    auth.login("supervisor")
    page = client.get(f"/probes/check/{body['uuid']}").get_data(as_text=True)
    assert "Evaluator Satu" in page and 'data-outcome="answered"' in page
    assert "Biaya &lt;tidak&gt; disebut." in page
    assert f"/visits/photo/{digest}" in page
    with client.get(f"/visits/photo/{digest}") as shown:
        assert shown.status_code == 200
    assert client.get("/probes/check/5a0e3c5e-0000-4f7e-9d55-0c5e0d3f4a12").status_code == 404
