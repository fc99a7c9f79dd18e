"""The OPD role: an OPD's own officer sees its approved findings and follow-ups, nothing else."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from survey_app.core.errors import DomainError
from survey_app.store import actions, demo, records
from survey_app.store import users as user_store

from .supervisor_data import gen_visit, login, user_id

EVALUATOR_NAMES = [name for _, name, _ in demo.EVALUATORS]


def opd_id(db, slug: str) -> int:
    return records.opd_by_slug(db, slug)["id"]


def test_login_lands_an_opd_user_on_their_own_opd_page(seeded, db):
    client = login(seeded, "opd1")
    landing = client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/opd/")
    page = client.get("/opd/?q=2026-Q3").get_data(as_text=True)
    assert "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi" in page
    assert 'href="/opd/"' in page  # the header's own link


def test_opd_user_without_an_opd_is_refused(app, world, db, runner):
    with pytest.raises(DomainError) as refused:
        records.create_user(db, "lonely", "long-password", "opd")
    assert refused.value.code == "opd_user_without_opd"
    result = runner.invoke(["create-user", "lonely", "--role", "opd", "--password", "x" * 10])
    assert result.exit_code == 1 and "OPD" in result.output
    made = runner.invoke(
        ["create-user", "mutu", "--role", "opd", "--opd", "dishub", "--password", "x" * 10]
    )
    assert made.exit_code == 0, made.output
    row = db.execute("select role, opd_id from users where username = 'mutu'").fetchone()
    assert tuple(row) == ("opd", opd_id(db, "dishub"))
    with pytest.raises(DomainError):
        user_store.update(db, user_id(db, "mutu"), {"opd_id": None}, 1, {})


def test_admin_creates_an_opd_user_bound_to_an_opd(app, world, db):
    records.create_user(db, "admin", demo.PASSWORD, "admin")
    admin = login(app, "admin")
    form = {"username": "mutu-dishub", "name": "Petugas Mutu", "role": "opd"}
    form["password"] = demo.PASSWORD
    refused = admin.post("/admin/users", data={**form, "opd": ""})
    assert refused.status_code == 400
    assert "Pengguna OPD memerlukan OPD tempatnya bertugas" in refused.get_data(as_text=True)
    assert db.execute("select 1 from users where username = 'mutu-dishub'").fetchone() is None
    added = admin.post("/admin/users", data={**form, "opd": opd_id(db, "dishub")})
    assert added.status_code == 302
    row = db.execute("select * from users where username = 'mutu-dishub'").fetchone()
    assert row["role"] == "opd" and row["opd_id"] == opd_id(db, "dishub")
    audit = db.execute(
        "select action from audit_log where entity = 'user' and entity_id = ?", [str(row["id"])]
    ).fetchone()
    assert audit["action"] == "create"
    assert "mutu-dishub" in admin.get("/admin/users").get_data(as_text=True)
    # the new user lands on Dishub's page
    mine = login(app, "mutu-dishub").get("/opd/").get_data(as_text=True)
    assert "Dinas Perhubungan Kota Jambi" in mine


def test_page_shows_approved_visits_only_and_never_an_evaluator(seeded, db):
    """The served HTML names no evaluator of the demo data and counts no unapproved visit."""
    approved = db.execute(
        "select count(*) from visits where status = 'approved' and opd_id = ? "
        "and visit_date between '2026-07-01' and '2026-09-30'",
        [opd_id(db, "disdukcapil")],
    ).fetchone()[0]
    assert approved > 0
    for status, day in (
        ("submitted", "2026-08-11"),
        ("returned", "2026-08-12"),
        ("rejected", "2026-08-13"),
        ("draft", "2026-08-14"),
    ):
        gen_visit(db, status, opd="disdukcapil", evaluator="evaluator2", visit_date=day)
    client = login(seeded, "opd1")
    html = client.get("/opd/?q=2026-Q3").get_data(as_text=True)
    for name in [*EVALUATOR_NAMES, "evaluator1", "evaluator2", "evaluator3", "Supervisor"]:
        assert name not in html, name
    figure = re.search(r'data-figure="visits">(\d+)<', html).group(1)
    assert int(figure) == approved
    for day in ("11 Agustus 2026", "12 Agustus 2026", "13 Agustus 2026", "14 Agustus 2026"):
        assert day not in html
    assert "/review/" not in html and "/visits/" not in html  # no door to working papers
    assert html.count("<tr><td>") >= approved  # one line per approved visit


def test_opd_user_sees_only_their_own_opd(seeded, db):
    """No URL names another OPD: the account decides. Another OPD's follow-up is not found."""
    other = actions_on(db, "dishub")
    client = login(seeded, "opd1")
    html = client.get("/opd/?q=2026-Q3").get_data(as_text=True)
    assert "Dinas Perhubungan Kota Jambi" not in html
    assert client.get(f"/opd/follow-ups/{other}/done").status_code == 404
    assert client.post(f"/opd/follow-ups/{other}/done").status_code == 404
    assert db.execute("select status from follow_ups where id = ?", [other]).fetchone()[0] == "open"


def actions_on(db, slug: str) -> int:
    """A follow-up action on an item that failed at this OPD in the demo's third quarter."""
    oid = opd_id(db, slug)
    failed = actions.failed_items(db, oid, "2026-07-01", "2026-09-30")
    assert failed, slug
    return actions.create(
        db,
        oid,
        failed[0]["item"],
        "Pasang papan informasi",
        "2026-12-31",
        user_id(db, "supervisor"),
        "2026-07-01",
        "2026-09-30",
    )


def test_mark_done_is_confirmed_audited_and_verified_by_the_next_visit(seeded, db):
    action = actions_on(db, "disdukcapil")
    item = db.execute(
        "select instrument_id || '.' || item_id from follow_ups where id = ?", [action]
    ).fetchone()[0]
    client = login(seeded, "opd1")
    page = client.get("/opd/?q=2026-Q3").get_data(as_text=True)
    assert f'href="/opd/follow-ups/{action}/done"' in page and "Tandai selesai" in page
    confirm = client.get(f"/opd/follow-ups/{action}/done")
    assert confirm.status_code == 200 and 'id="done-submit"' in confirm.get_data(as_text=True)
    assert status_of(db, action) == "open"  # the confirmation page changes nothing
    done = client.post(f"/opd/follow-ups/{action}/done")
    assert done.status_code == 302
    row = db.execute("select * from follow_ups where id = ?", [action]).fetchone()
    assert row["status"] == "done" and row["done_by"] == user_id(db, "opd1") and row["done_at"]
    audit = db.execute(
        "select user_id, detail from audit_log where action = 'follow_up_done' and entity_id = ?",
        [str(action)],
    ).fetchone()
    assert audit["user_id"] == user_id(db, "opd1") and '"to": "done"' in audit["detail"]
    after = client.get("/opd/?q=2026-Q3").get_data(as_text=True)
    assert "Selesai, menunggu verifikasi" in after
    assert client.post(f"/opd/follow-ups/{action}/done").status_code == 409  # only once
    # not overdue while it waits: it was marked done before its due date
    late = actions.overdue(db, dt.date(2027, 1, 5))
    assert late.get(opd_id(db, "disdukcapil"), 0) == 0
    # the next approved independent visit that passes the item verifies it
    inst, item_id = item.split(".", 1)
    kept = good_answers(db, 3)
    kept[inst][item_id] = "yes"
    gen_visit(
        db,
        "approved",
        opd="disdukcapil",
        evaluator="evaluator2",
        visit_date="2026-10-20",
        answers=kept,
    )
    assert status_of(db, action) == "verified"
    verified = client.get("/opd/?q=2026-Q4").get_data(as_text=True)
    assert "Terverifikasi" in verified and "20 Oktober 2026" in verified


def test_a_visit_that_fails_the_item_again_reopens_a_done_action(seeded, db):
    action = actions_on(db, "disdukcapil")
    inst, item_id = db.execute(
        "select instrument_id, item_id from follow_ups where id = ?", [action]
    ).fetchone()
    actions.mark_done(db, action, opd_id(db, "disdukcapil"), user_id(db, "opd1"))
    answers = good_answers(db, 4)
    answers[inst][item_id] = "no"
    gen_visit(
        db,
        "submitted",
        opd="disdukcapil",
        evaluator="evaluator2",
        visit_date="2026-10-20",
        answers=answers,
    )
    assert status_of(db, action) == "done"  # a visit not yet approved verifies nothing
    uuid = gen_visit(
        db,
        "approved",
        opd="disdukcapil",
        evaluator="evaluator2",
        visit_date="2026-10-21",
        answers=answers,
    )
    assert uuid and status_of(db, action) == "still_open"


def good_answers(db, seed: int) -> dict:
    """A visit's answers where every checkable item passes, to change one of them."""
    svc = {"fee": 0, "max_minutes": 60}
    wanted = ("kunjungan", "kepatuhan", "skm")
    return {
        i.id: demo.fake_answers(i, random.Random(seed), 1.0, svc)
        for i in records.current_instruments(db)
        if i.id in wanted
    }


def status_of(db, action: int) -> str:
    return db.execute("select status from follow_ups where id = ?", [action]).fetchone()[0]


def test_english_page(seeded, db):
    client = login(seeded, "opd1")
    client.post("/language", data={"lang": "en", "next": "/opd/"})
    html = client.get("/opd/?q=2026-Q3").get_data(as_text=True)
    assert "Follow-up actions" in html and "Approved visits" in html


def test_the_supervisor_sees_an_action_the_opd_marked_done(seeded, db):
    action = actions_on(db, "disdukcapil")
    actions.mark_done(db, action, opd_id(db, "disdukcapil"), user_id(db, "opd1"))
    listing = login(seeded, "supervisor").get("/follow-ups/?status=done").get_data(as_text=True)
    assert "Selesai, menunggu verifikasi" in listing and "Pasang papan informasi" in listing
