"""Evaluator lockout: days between visits and visits per quarter, on the server's clock."""

import datetime as dt

import pytest

from survey_app.core import rules
from survey_app.store import lockout, records

from .test_api import gen_payload

DEFAULTS = (14, 3)


def evaluator(db, username="evaluator1"):
    return dict(db.execute("select * from users where username = ?", [username]).fetchone())


def received(db, user, slug, when, status="approved"):
    """A visit the server received on `when` (its own stamp)."""
    body = gen_payload(db, slug=slug)
    records.save_visit(db, {**body, "evaluator_id": user["id"], "status": "draft"}, None)
    db.execute(
        "update visits set status = ?, created_at = ?, submitted_at = ? where uuid = ?",
        [status, f"{when}T08:00:00+00:00", f"{when}T08:00:00+00:00", body["uuid"]],
    )
    return body["uuid"]


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        ("2026-11-28", "2026-10-01", "2027-01-01"),
        ("2026-01-01", "2026-01-01", "2026-04-01"),
        ("2026-06-30", "2026-04-01", "2026-07-01"),
    ],
)
def test_quarter_bounds(day, start, end):
    bounds = rules.quarter_bounds(dt.date.fromisoformat(day))
    assert [b.isoformat() for b in bounds] == [start, end]


def test_own_opd(world, db):
    user = evaluator(db)
    refusal = lockout.may_visit(db, user, user["opd_id"], dt.date(2026, 11, 28), DEFAULTS)
    assert refusal.code == "own_opd"


def test_too_soon_then_allowed(world, db):
    user = evaluator(db)
    opd = records.opd_by_slug(db, "disdukcapil")["id"]
    received(db, user, "disdukcapil", "2026-11-20")
    refusal = lockout.may_visit(db, user, opd, dt.date(2026, 11, 28), DEFAULTS)
    assert refusal.code == "too_soon"
    assert refusal.last == dt.date(2026, 11, 20) and refusal.until == dt.date(2026, 12, 4)
    assert lockout.may_visit(db, user, opd, dt.date(2026, 12, 4), DEFAULTS) is None


def test_drafts_and_rejected_do_not_count(world, db):
    user = evaluator(db)
    opd = records.opd_by_slug(db, "disdukcapil")["id"]
    received(db, user, "disdukcapil", "2026-11-27", status="draft")
    received(db, user, "disdukcapil", "2026-11-27", status="rejected")
    assert lockout.may_visit(db, user, opd, dt.date(2026, 11, 28), DEFAULTS) is None


def test_quarter_cap(world, db):
    user = evaluator(db)
    opd = records.opd_by_slug(db, "dishub")["id"]
    for day in ("2026-10-01", "2026-10-20", "2026-11-05"):
        received(db, user, "dishub", day)
    refusal = lockout.may_visit(db, user, opd, dt.date(2026, 11, 28), DEFAULTS)
    assert refusal.code == "quarter_full" and refusal.until == dt.date(2027, 1, 1)
    assert lockout.may_visit(db, user, opd, dt.date(2027, 1, 1), DEFAULTS) is None


def test_per_opd_override(world, db):
    user = evaluator(db)
    opd = records.opd_by_slug(db, "dishub")["id"]
    db.table("opds").update(opd, {"min_days_between_visits": 0, "max_visits_per_quarter": 0})
    for day in ("2026-11-26", "2026-11-27"):
        received(db, user, "dishub", day)
    assert lockout.may_visit(db, user, opd, dt.date(2026, 11, 28), DEFAULTS) is None


def test_start_page_refuses_with_reason_and_date(client, auth, world, db):
    user = evaluator(db)
    received(db, user, "disdukcapil", dt.date.today().isoformat())
    auth.login("evaluator1")
    opd = records.opd_by_slug(db, "disdukcapil")["id"]
    svc = db.execute("select id from services where opd_id = ?", [opd]).fetchone()[0]
    response = client.post(
        "/visits/new",
        data={
            "opd": opd,
            "service": svc,
            "instruments": ["skm:1"],
            "visit_date": dt.date.today().isoformat(),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    until = dt.date.today() + dt.timedelta(days=14)
    assert "Anda mengunjungi OPD ini pada" in page and f" {until.year}" in page


def test_api_refuses_backdated_visit_inside_the_gap(client, auth, world, db):
    # The tablet claims an old visit date; the rule looks at what the server received.
    user = evaluator(db)
    received(db, user, "disdukcapil", dt.date.today().isoformat())
    auth.login("evaluator1")
    response = client.post("/api/v1/visits", json=gen_payload(db, visit_date="2026-01-02"))
    assert response.status_code == 403 and response.get_json()["error"] == "lockout"
    assert "Anda dapat berkunjung lagi mulai" in response.get_json()["message"]
