"""The dashboard's figures, checked against the scoring module over approved visits only."""

import datetime as dt
import re
from collections import defaultdict

import pytest

from survey_app.core import formatting, scoring
from survey_app.findings.periods import default_period
from survey_app.store import records

from .supervisor_data import gen_visit, login

Q3 = ("2026-07-01", "2026-09-30")


@pytest.fixture
def supervisor(app, seeded, db):
    """The demo data (approved visits in Q2 and Q3 2026) plus bad visits that must not count."""
    for n, status in enumerate(("submitted", "returned", "rejected", "draft")):
        gen_visit(db, status, opd="disdukcapil", visit_date="2026-08-0" + str(n + 1), quality=0)
    return login(app, "supervisor")


def expected(db, date_from, date_to):
    """Per OPD slug and for the city: scoring.aggregate over freshly scored approved visits."""
    rows = db.execute(
        "select v.uuid, o.slug from visits v join opds o on o.id = v.opd_id "
        "where v.status = 'approved' and v.visit_date between ? and ?",
        [date_from, date_to],
    ).fetchall()
    by_opd = defaultdict(list)
    for row in rows:
        record = records.visit(db, row["uuid"])
        svc = records.service(db, record["service_id"])
        scores = scoring.visit_scores(
            records.visit_instruments(db, record),
            record["answers"],
            max_minutes=svc["max_minutes"],
            published_fee=svc["fee"],
        )
        by_opd[row["slug"]].append(scores)
    populations = records.opd_populations(db)
    opds = {
        slug: scoring.aggregate(s, population=populations[records.opd_by_slug(db, slug)["id"]])
        for slug, s in by_opd.items()
    }
    city = scoring.aggregate([s for group in by_opd.values() for s in group])
    return opds, city, [s for group in by_opd.values() for s in group]


def num(value, places=2):
    return formatting.number(scoring.round2(value), places, "id")


def cell(page, slug, col):
    row = re.search(rf'<tr data-opd="{slug}">(.*?)</tr>', page, re.S).group(1)
    return re.search(rf'data-col="{col}">([^<]*)<', row).group(1).strip()


def test_figures_match_the_scoring_module(supervisor, db):
    opds, city, _ = expected(db, *Q3)
    page = supervisor.get("/dashboard/?q=2026-Q3").get_data(as_text=True)
    assert set(re.findall(r'<tr data-opd="([a-z-]+)">', page)) == set(opds)
    for slug, agg in opds.items():
        assert cell(page, slug, "visits") == str(agg["visits"])
        assert cell(page, slug, "compliance") == num(agg["compliance"])
        assert cell(page, slug, "ikm") == num(agg["skm"]["ikm_converted"])
        for code in ("akses_informasi", "akses_layanan", "kesesuaian_harapan", "pengaduan"):
            assert cell(page, slug, code) == num(agg["dimensions"].get(code))
        assert cell(page, slug, "waiting") == num(agg["waiting_minutes"])
        assert cell(page, slug, "over_max") == f"{agg['over_max_time']}/{agg['visits']}"
    assert f'data-figure="visits">{city["visits"]}<' in page
    assert f'data-figure="compliance">{num(city["compliance"])}<' in page
    assert f'data-figure="ikm">{num(city["skm"]["ikm_converted"])}<' in page
    ranked = sorted(opds, key=lambda s: -scoring.round2(opds[s]["compliance"]))
    assert re.findall(r'<tr data-opd="([a-z-]+)">', page) == ranked


def test_unapproved_visits_are_not_counted_but_named(supervisor, db):
    page = supervisor.get("/dashboard/?q=2026-Q3").get_data(as_text=True)
    approved = db.execute(
        "select count(*) from visits where status = 'approved' and visit_date between ? and ?", Q3
    ).fetchone()[0]
    assert f'data-figure="visits">{approved}<' in page
    assert "1 menunggu pemeriksaan, 1 dikembalikan, 1 ditolak" in page
    slug_page = supervisor.get("/dashboard/opd/disdukcapil?q=2026-Q3").get_data(as_text=True)
    listed = set(re.findall(r'<tr data-uuid="([0-9a-f-]{36})">', slug_page))
    statuses = {records.visit(db, u)["status"] for u in listed}
    assert listed and statuses == {"approved"}


def test_change_against_the_previous_period(supervisor, db):
    _, now, _ = expected(db, *Q3)
    _, before, _ = expected(db, "2026-03-31", "2026-06-30")  # same length, right before
    page = supervisor.get("/dashboard/?q=2026-Q3").get_data(as_text=True)
    assert "Selasa, 31 Maret 2026 – Selasa, 30 Juni 2026" in page
    change = scoring.round2(now["compliance"]) - scoring.round2(before["compliance"])
    sign = "+" if change > 0 else "−"
    assert f"{sign}{num(abs(change))}" in page


def test_most_frequent_failed_items(supervisor, db):
    _, _, scores = expected(db, *Q3)
    top = scoring.failed_counts(scores)[0]
    page = supervisor.get("/dashboard/?q=2026-Q3").get_data(as_text=True)
    first = re.search(r'<tr data-item="([^"]+)">.*?data-col="failed">([^<]+)<', page, re.S)
    assert first.group(1) == top["item"]
    assert first.group(2) == f"{top['failed']} dari {top['of']}"


def test_charts_are_inline_svg(supervisor):
    page = supervisor.get("/dashboard/?q=2026-Q3").get_data(as_text=True)
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert "<script" not in page


def test_drill_down_from_city_to_opd_to_visit(supervisor, db):
    opds, _, _ = expected(db, *Q3)
    city = supervisor.get("/dashboard/?q=2026-Q3").get_data(as_text=True)
    assert 'href="/dashboard/opd/dpmptsp?q=2026-Q3"' in city
    page = supervisor.get("/dashboard/opd/dpmptsp?q=2026-Q3").get_data(as_text=True)
    assert f'data-figure="compliance">{num(opds["dpmptsp"]["compliance"])}<' in page
    visit = re.search(r'href="/review/([0-9a-f-]{36})"', page).group(1)
    detail = supervisor.get(f"/review/{visit}")
    assert detail.status_code == 200 and "Dinas Penanaman Modal" in detail.get_data(as_text=True)
    detail.close()


def test_custom_period_and_bad_periods(supervisor):
    page = supervisor.get("/dashboard/?from=2026-04-01&to=2026-09-30").get_data(as_text=True)
    assert "Rabu, 1 April 2026 – Rabu, 30 September 2026" in page
    for query in ("q=2026-Q9", "q=x", "from=2026-09-30&to=2026-04-01", "from=2026-02-30&to=x"):
        response = supervisor.get(f"/dashboard/?{query}")
        assert response.status_code == 400, query
        response.close()
    response = supervisor.get("/dashboard/?q=2026-Q3&sort=name;drop table visits")
    assert response.status_code == 200
    response.close()


def test_an_empty_period(supervisor):
    page = supervisor.get("/dashboard/?q=2025-Q1").get_data(as_text=True)
    assert "Tidak ada kunjungan yang disetujui pada periode ini." in page
    opd = supervisor.get("/dashboard/opd/dishub?q=2025-Q1").get_data(as_text=True)
    assert "Tidak ada kunjungan yang disetujui pada periode ini." in opd
    assert supervisor.get("/dashboard/opd/nowhere").status_code == 404


def test_default_period_is_the_current_quarter_to_date(seeded, db):
    def default(today):
        return tuple(d.isoformat() for d in default_period(db, today))

    assert default(dt.date(2026, 11, 28)) == ("2026-10-01", "2026-11-28")
    assert default(dt.date(2026, 8, 15)) == ("2026-07-01", "2026-08-15")
    assert default(dt.date(2026, 10, 1)) == ("2026-10-01", "2026-10-01")  # today included
