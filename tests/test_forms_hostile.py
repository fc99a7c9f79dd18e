"""Hostile values in every desk form: a form error (4xx or the form again), never a 500."""

import pytest

HUGE, SUPER = str(10**30), "²"


@pytest.fixture
def desk(app, world, db):
    from survey_app.store import records

    records.create_user(db, "admin", "demo-password", "admin")
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "demo-password"})
    return client


FORMS = [
    ("/admin/opds", {"slug": "x", "name": "X", "min_days_between_visits": HUGE}),
    ("/admin/opds", {"slug": "x", "name": "X", "max_visits_per_quarter": SUPER}),
    ("/admin/opds/disdukcapil/services", {"slug": "s", "name": "S", "fee": HUGE}),
    ("/admin/opds/disdukcapil/services", {"slug": "s", "name": "S", "yearly_volume": HUGE}),
    ("/admin/opds/disdukcapil/services", {"slug": "s", "name": "S", "max_minutes": SUPER}),
    ("/admin/services/1", {"slug": "s", "name": "S", "fee": HUGE}),
    ("/admin/users", {"username": "u1", "name": "U", "role": "evaluator", "opd": HUGE}),
    ("/admin/users", {"username": "u2", "name": "U", "role": "evaluator", "opd": SUPER}),
    ("/admin/users/1", {"username": "u3", "name": "U", "role": "nope", "opd": "-1"}),
    ("/assignments/", {"evaluator": HUGE, "opd": SUPER, "service": HUGE,
                       "window_start": "2026-13-45", "window_end": "0001-01-01"}),
    ("/assignments/", {"evaluator": "2", "opd": "1", "service": "1", "instruments": "skm",
                       "window_start": "9999-12-31", "window_end": "9999-12-31"}),
]  # fmt: skip


@pytest.mark.parametrize(("path", "data"), FORMS)
def test_hostile_form_values_are_refused_not_500(desk, path, data):
    response = desk.post(path, data=data)
    assert response.status_code < 500, response.data[:300]
