"""From finding to follow-up: raised on a failed item, verified by a later visit."""

import datetime as dt

import pytest

from survey_app.core.errors import DomainError
from survey_app.store import actions, records

from .supervisor_data import gen_visit

KEY = "kunjungan.kuitansi"


def visit_with_receipt(db, evaluator, day, receipt):
    """An approved Dishub visit paying the published Rp 75.000, with or without a receipt."""
    answers = {
        "jam_tiba": "08:00",
        "jam_mulai": "08:05",
        "jam_selesai": "08:20",
        "biaya_diminta": 75000,
        "kuitansi": receipt,
    }
    key = gen_visit(
        db,
        "approved",
        opd="dishub",
        evaluator=evaluator,
        instruments=("kunjungan",),
        visit_date=day,
        answers={"kunjungan": answers},
    )
    return key, records.opd_by_slug(db, "dishub")["id"]


@pytest.fixture
def people(world, db):
    ev = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
    sup = db.execute("select id from users where username = 'supervisor'").fetchone()[0]
    return ev, sup


def test_follow_up_cycle_to_verified(db, people):
    ev, sup = people
    _, opd = visit_with_receipt(db, ev, "2026-05-04", "no")
    [item] = [
        f for f in actions.failed_items(db, opd, "2026-04-01", "2026-06-30") if f["item"] == KEY
    ]
    assert item["failed"] == 1 and item["finding"]
    action = actions.create(
        db,
        opd,
        KEY,
        "Berikan kuitansi untuk setiap pembayaran",
        "2026-09-30",
        sup,
        "2026-04-01",
        "2026-06-30",
    )
    # a visit inside the report period does not count as a check
    visit_with_receipt(db, ev, "2026-06-10", "yes")
    assert db.table("follow_ups").get(action)["status"] == "open"
    # a later visit that fails again keeps it open
    again, _ = visit_with_receipt(db, ev, "2026-07-15", "no")
    row = db.table("follow_ups").get(action)
    assert row["status"] == "still_open" and row["checked_visit_uuid"] == again
    # a later visit that passes verifies it, naming the visit
    fixed, _ = visit_with_receipt(db, ev, "2026-08-20", "yes")
    row = db.table("follow_ups").get(action)
    assert row["status"] == "verified" and row["verified_visit_uuid"] == fixed
    assert [r["id"] for r in actions.listing(db, "dishub", "verified")] == [action]
    assert actions.listing(db, "dishub", "open") == []


def test_only_failed_items_become_actions(db, people):
    ev, sup = people
    _, opd = visit_with_receipt(db, ev, "2026-05-04", "yes")
    with pytest.raises(DomainError):
        actions.create(db, opd, KEY, "x", "2026-09-30", sup, "2026-04-01", "2026-06-30")
    assert db.table("follow_ups").count == 0


def test_overdue_per_opd(db, people):
    ev, sup = people
    _, opd = visit_with_receipt(db, ev, "2026-05-04", "no")
    actions.create(db, opd, KEY, "Kuitansi", "2026-07-01", sup, "2026-04-01", "2026-06-30")
    assert actions.overdue(db, dt.date(2026, 7, 2)) == {opd: 1}
    assert actions.overdue(db, dt.date(2026, 6, 30)) == {}
