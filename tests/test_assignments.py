"""Planning visits: the rules, the evaluator's list, starting from one, done / late / open."""

import datetime as dt
import json
import re

import pytest

from survey_app.store import assignments, records

from .supervisor_data import audit_rows, first_service, login, user_id

TODAY = dt.date.today()


@pytest.fixture
def supervisor(app, world):
    return login(app, "supervisor")


def plan_data(db, evaluator="evaluator1", opd="disdukcapil", service_of=None, **dates):
    svc = first_service(db, service_of or opd)
    return {
        "evaluator": user_id(db, evaluator),
        "opd": records.opd_by_slug(db, opd)["id"],
        "service": svc["id"],
        "instruments": ["skm"],
        "window_start": dates.get("start", TODAY.isoformat()),
        "window_end": dates.get("end", (TODAY + dt.timedelta(days=7)).isoformat()),
    }


def gen_assignment(client, db, **kwargs) -> int:
    response = client.post("/assignments/", data=plan_data(db, **kwargs))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"#a(\d+)$", response.headers["Location"]).group(1))


def states(client) -> dict[int, str]:
    page = client.get("/assignments/").get_data(as_text=True)
    return {int(i): s for i, s in re.findall(r'<tr id="a(\d+)" data-state="(\w+)">', page)}


def test_plan_an_assignment_and_its_audit(supervisor, db):
    new_id = gen_assignment(supervisor, db)
    row = db.table("assignments").get(new_id)
    assert row["evaluator_id"] == user_id(db, "evaluator1") and row["status"] == "open"
    assert json.loads(row["instruments"]) == ["skm"] and row["created_by"] == user_id(
        db, "supervisor"
    )
    [entry] = audit_rows(db, "assignment", new_id)
    assert entry["action"] == "create" and entry["user_id"] == user_id(db, "supervisor")
    assert json.loads(entry["detail"])["changes"]["opd_id"] == [None, row["opd_id"]]
    assert states(supervisor) == {new_id: "open"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"opd": "kec-telanaipura"}, "Evaluator ini bekerja di OPD tersebut dan akan dikenali."),
        ({"service_of": "dishub"}, "Layanan ini bukan milik OPD yang dipilih."),
        ({"start": "2026-12-10", "end": "2026-12-01"}, "Akhir rentang waktu tidak boleh"),
        ({"start": "2020-01-01", "end": "2020-01-31"}, "Rentang waktu ini sudah berakhir."),
        ({"evaluator": "supervisor"}, "field-error"),  # not an evaluator: not offered
    ],
)
def test_refused_assignments(supervisor, db, kwargs, message):
    response = supervisor.post("/assignments/", data=plan_data(db, **kwargs))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.table("assignments").count == 0


def test_no_instrument_is_refused(supervisor, db):
    response = supervisor.post("/assignments/", data={**plan_data(db), "instruments": []})
    assert response.status_code == 400 and db.table("assignments").count == 0


def test_evaluator_starts_a_visit_from_an_assignment(app, supervisor, db):
    new_id = gen_assignment(supervisor, db, opd="dishub")
    evaluator = login(app, "evaluator1")
    listing = evaluator.get("/visits/").get_data(as_text=True)
    assert "Tugas kunjungan" in listing and f'href="/visits/new?assignment={new_id}"' in listing
    form = evaluator.get(f"/visits/new?assignment={new_id}").get_data(as_text=True)
    dishub = records.opd_by_slug(db, "dishub")["id"]
    assert re.search(rf'<option selected value="{dishub}">', form)
    assert 'checked id="instruments-' in form and form.count("checked") == 1  # skm only
    response = evaluator.post(
        f"/visits/new?assignment={new_id}",
        data={
            "opd": dishub,
            "service": first_service(db, "dishub")["id"],
            "instruments": ["skm:1"],
            "visit_date": TODAY.isoformat(),
        },
    )
    visit = re.search(r"/visits/([0-9a-f-]{36})/", response.headers["Location"]).group(1)
    assert records.visit(db, visit)["assignment_id"] == new_id
    assert db.table("assignments").get(new_id)["visit_uuid"] == visit
    assert states(supervisor)[new_id] == "started"
    assert f'href="/visits/{visit}/s/0"' in evaluator.get("/visits/").get_data(as_text=True)
    records.set_status(db, visit, "submitted", user_id(db, "evaluator1"))
    assert states(supervisor)[new_id] == "done"
    assert "Tugas kunjungan" not in evaluator.get("/visits/").get_data(as_text=True)


def test_someone_elses_assignment_is_not_used(app, supervisor, db):
    new_id = gen_assignment(supervisor, db, evaluator="evaluator2", opd="dishub")
    evaluator = login(app, "evaluator1")
    assert "Tugas kunjungan" not in evaluator.get("/visits/").get_data(as_text=True)
    response = evaluator.post(
        f"/visits/new?assignment={new_id}",
        data={
            "opd": records.opd_by_slug(db, "dishub")["id"],
            "service": first_service(db, "dishub")["id"],
            "instruments": ["skm:1"],
            "visit_date": TODAY.isoformat(),
        },
    )
    visit = re.search(r"/visits/([0-9a-f-]{36})/", response.headers["Location"]).group(1)
    assert records.visit(db, visit)["assignment_id"] is None
    assert states(supervisor)[new_id] == "open"


def test_late_on_the_server_date(app, supervisor, db):
    new_id = gen_assignment(supervisor, db)
    past = (TODAY - dt.timedelta(days=1)).isoformat()
    db.execute(
        "update assignments set window_start = ?, window_end = ? where id = ?", [past, past, new_id]
    )
    assert states(supervisor)[new_id] == "late"
    listing = login(app, "evaluator1").get("/visits/").get_data(as_text=True)
    assert "Terlambat" in listing  # still offered, marked late


def test_state_rules():
    day = dt.date(2026, 9, 1)
    row = {"status": "open", "window_end": "2026-08-31", "visit_statuses": None}
    assert assignments.state(row, day) == "late"
    assert assignments.state({**row, "window_end": "2026-09-01"}, day) == "open"
    assert assignments.state({**row, "visit_statuses": "draft"}, day) == "late"
    assert assignments.state({**row, "visit_statuses": "rejected,submitted"}, day) == "done"
    assert assignments.state({**row, "visit_statuses": "approved"}, day) == "done"
    assert (
        assignments.state({**row, "window_end": "2026-09-30", "visit_statuses": "returned"}, day)
        == "started"
    )
    assert assignments.state({**row, "status": "cancelled"}, day) == "cancelled"


def test_cancel_is_audited_and_only_once(supervisor, db):
    new_id = gen_assignment(supervisor, db)
    assert supervisor.post(f"/assignments/{new_id}/cancel").status_code == 302
    assert states(supervisor)[new_id] == "cancelled"
    entry = audit_rows(db, "assignment", new_id)[-1]
    assert entry["action"] == "cancel"
    assert json.loads(entry["detail"]) == {"changes": {"state": ["open", "cancelled"]}}
    assert supervisor.post(f"/assignments/{new_id}/cancel").status_code == 409
    assert supervisor.post("/assignments/999/cancel").status_code == 404
    page = supervisor.get(f"/assignments/{new_id}").get_data(as_text=True)
    assert "Dibatalkan" in page and 'data-action="cancel"' in page


def test_filter_the_plan(supervisor, db):
    first = gen_assignment(supervisor, db, evaluator="evaluator1", opd="dishub")
    second = gen_assignment(supervisor, db, evaluator="evaluator2", opd="disdukcapil")
    page = supervisor.get(f"/assignments/?evaluator={user_id(db, 'evaluator2')}")
    shown = re.findall(r'<tr id="a(\d+)"', page.get_data(as_text=True))
    assert shown == [str(second)]
    page = supervisor.get(
        "/assignments/?state=open&opd=" + str(records.opd_by_slug(db, "dishub")["id"])
    )
    assert re.findall(r'<tr id="a(\d+)"', page.get_data(as_text=True)) == [str(first)]


def test_plan_form_prompts_instead_of_defaults(supervisor, db):
    page = supervisor.get("/assignments/").get_data(as_text=True)
    form = page[page.index('id="new-assignment"') :]
    for name, prompt in (("evaluator", "Pilih evaluator"), ("opd", "Pilih OPD")):
        select = re.search(rf'<select[^>]*id="{name}".*?</select>', form, re.S).group(0)
        assert f'<option selected value="">{prompt}</option>' in select
    service = re.search(r'<select[^>]*id="service".*?</select>', form, re.S).group(0)
    assert '<option selected value="">Pilih OPD terlebih dahulu</option>' in service
    assert 'data-opd="' in service  # what static/js/assignments.js filters on
    response = supervisor.post("/assignments/", data={**plan_data(db), "opd": "", "service": ""})
    assert response.status_code == 400 and "Pilih OPD." in response.get_data(as_text=True)
