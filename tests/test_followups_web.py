"""The follow-up screens: raise an action from a finding, see it listed."""

from .test_actions import KEY, visit_with_receipt


def test_raise_and_list_follow_up(client, auth, world, db):
    visit_with_receipt(db, "evaluator1", "2026-05-04", "no")
    auth.login("supervisor")
    page = client.get("/follow-ups/new/dishub?from=2026-04-01&to=2026-06-30")
    assert page.status_code == 200 and "1 dari 1 kunjungan" in page.get_data(as_text=True)
    response = client.post(
        "/follow-ups/new/dishub?from=2026-04-01&to=2026-06-30",
        data={"item": KEY, "action": "Sediakan kuitansi resmi", "due_date": "2026-07-01"},
    )
    assert response.status_code == 302
    listing = client.get("/follow-ups/?opd=dishub").get_data(as_text=True)
    assert "Sediakan kuitansi resmi" in listing and "terlambat" in listing
    assert db.table("follow_ups").count == 1


def test_follow_ups_are_for_supervisors(client, auth, world):
    auth.login("evaluator1")
    assert client.get("/follow-ups/").status_code == 403
    assert client.get("/follow-ups/new/dishub").status_code == 403


def test_bad_period_is_400(client, auth, world):
    auth.login("supervisor")
    assert client.get("/follow-ups/new/dishub?from=kemarin").status_code == 400


def test_an_item_that_did_not_fail_is_refused_with_400(client, auth, world, db):
    visit_with_receipt(db, "evaluator1", "2026-05-04", "yes")  # the receipt item passed
    auth.login("supervisor")
    response = client.post(
        "/follow-ups/new/dishub?from=2026-04-01&to=2026-06-30",
        data={"item": KEY, "action": "Sediakan kuitansi resmi", "due_date": "2026-07-01"},
    )
    assert response.status_code == 400 and db.table("follow_ups").count == 0
    assert "Butir ini tidak gagal pada periode tersebut" in response.get_data(as_text=True)


def test_a_rejected_action_keeps_what_was_typed(client, auth, world, db):
    visit_with_receipt(db, "evaluator1", "2026-05-04", "no")
    auth.login("supervisor")
    response = client.post(
        "/follow-ups/new/dishub?from=2026-04-01&to=2026-06-30",
        data={"item": KEY, "action": "Kuitansi bernomor untuk setiap bayar", "due_date": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and db.table("follow_ups").count == 0
    assert "Kuitansi bernomor untuk setiap bayar</textarea>" in page
