"""Issue 8 in the documents: follow-ups and the data-quality appendix in the PDFs,
overdue actions on the dashboard, the lockout when planning."""

import datetime as dt
import subprocess

from survey_app.findings import render
from survey_app.store import actions, records
from survey_app.store import quality as quality_reads

from .test_actions import KEY, visit_with_receipt
from .test_findings import flat, user_names

Q2, Q3 = ("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30")


def pdf_text(pdf: bytes, tmp_path) -> str:
    """Text in reading order (not -layout), so a wrapped table cell stays one phrase."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return out.stdout


def ids(db):
    ev = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
    sup = db.execute("select id from users where username = 'supervisor'").fetchone()[0]
    return ev, sup


def test_opd_report_lists_follow_ups_and_carries_the_quality_appendix(world, db, app, tmp_path):
    ev, sup = ids(db)
    _, opd = visit_with_receipt(db, ev, "2026-05-04", "no")
    actions.create(db, opd, KEY, "Kuitansi", "2026-08-31", sup, *Q2)
    visit_with_receipt(db, ev, "2026-07-15", "no")  # fails again: still open
    photo_dir = app.config["PHOTOS_DIR"]
    text = flat(pdf_text(render.opd_pdf(db, "dishub", *Q3, photo_dir).pdf, tmp_path))
    assert "Tindak lanjut" in text and "Kuitansi" in text
    assert "Masih terbuka: gagal lagi" in text
    visit_with_receipt(db, ev, "2026-08-20", "yes")  # passes: verified
    rendered = render.opd_pdf(db, "dishub", *Q3, photo_dir)
    text = flat(pdf_text(rendered.pdf, tmp_path))
    assert "Terbukti oleh kunjungan" in text and "Masih terbuka" not in text
    # the appendix holds the quality module's own figures for this OPD and period
    report = quality_reads.report(db, *Q3, opd)
    assert report["visits"] == 2 and report["counted"] == 2
    assert "Lampiran: kualitas data" in text
    assert f"Kunjungan dalam pilihan (semua status) {report['visits']}" in text
    assert f"Dihitung dalam angka (disetujui) {report['counted']}" in text
    assert "Laporan dikirim lebih dari 24 jam setelah kunjungan" in text
    for name in user_names(db):
        assert name not in text
    assert rendered.refused == []


def test_city_report_carries_the_quality_appendix(world, db, app, tmp_path):
    ev, sup = ids(db)
    visit_with_receipt(db, ev, "2026-05-04", "no")
    visit_with_receipt(db, ev, "2026-05-20", "yes")
    rendered = render.city_pdf(db, *Q2, app.config["PHOTOS_DIR"])
    text = flat(pdf_text(rendered.pdf, tmp_path))
    assert "Lampiran: kualitas data" in text
    assert "Kunjungan dalam pilihan (semua status) 2" in text
    assert "Porsi kunjungan terkirim yang telah diperiksa (%) 100,0" in text


def test_dashboard_shows_overdue_actions_per_opd(client, auth, world, db):
    ev, sup = ids(db)
    _, opd = visit_with_receipt(db, ev, "2026-05-04", "no")
    due = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    actions.create(db, opd, KEY, "Sediakan kuitansi resmi", due, sup, *Q2)
    auth.login("supervisor")
    page = client.get("/dashboard/?from=2026-04-01&to=2026-06-30").get_data(as_text=True)
    row = page.split('data-opd="dishub"', 1)[1].split("</tr>", 1)[0]
    assert 'data-col="overdue"><a class="flag" href="/follow-ups/?opd=dishub">1</a>' in row
    db.execute("update follow_ups set due_date = ?", [dt.date.today().isoformat()])
    page = client.get("/dashboard/?from=2026-04-01&to=2026-06-30").get_data(as_text=True)
    row = page.split('data-opd="dishub"', 1)[1].split("</tr>", 1)[0]
    assert 'data-col="overdue">0</td>' in row
    opd_page = client.get("/dashboard/opd/dishub?from=2026-04-01&to=2026-06-30")
    link = 'href="/follow-ups/new/dishub?from=2026-04-01&amp;to=2026-06-30"'
    assert link in opd_page.get_data(as_text=True)


def test_planning_refuses_a_window_the_lockout_blocks(client, auth, world, db):
    """Visited today: with 14 days between visits, a window within them is refused."""
    ev, sup = ids(db)
    _, opd = visit_with_receipt(db, ev, dt.date.today().isoformat(), "yes")
    svc = db.execute("select id from services where opd_id = ?", [opd]).fetchone()[0]
    auth.login("supervisor")
    today = dt.date.today()

    def plan(start, end):
        return client.post(
            "/assignments/",
            data={
                "evaluator": ev,
                "opd": opd,
                "service": svc,
                "instruments": ["skm"],
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
            },
        )

    refused = plan(today, today + dt.timedelta(days=7))
    assert refused.status_code == 400
    body = flat(refused.get_data(as_text=True))
    assert "tidak boleh berkunjung lagi sebelum" in body
    assert db.table("assignments").count == 0
    allowed = plan(today + dt.timedelta(days=15), today + dt.timedelta(days=20))
    assert allowed.status_code == 302 and db.table("assignments").count == 1
    assert records.opd_by_slug(db, "dishub")["id"] == opd
