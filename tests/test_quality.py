"""The data-quality report against hand-counted test data."""

import uuid

from survey_app.store import quality as quality_reads
from survey_app.store import records

from . import supervisor_data


def gen_visit(
    db,
    evaluator,
    slug="disdukcapil",
    day="2026-05-04",
    times=("08:00", "08:10", "08:25"),
    status="approved",
    submitted_at=None,
):
    arrival, start, end = times
    answers = {"jam_tiba": arrival, "jam_mulai": start, "jam_selesai": end, "biaya_diminta": 0}
    key = supervisor_data.gen_visit(
        db,
        status,
        opd=slug,
        evaluator=evaluator,
        instruments=("kunjungan",),
        visit_date=day,
        answers={"kunjungan": answers},
    )
    db.execute(
        "update visits set submitted_at = ? where uuid = ?",
        [submitted_at or f"{day}T02:00:00+00:00", key],
    )  # 09:00 WIB the same day
    return key


def test_quality_figures_hand_counted(world, db):
    ev = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
    # five approved visits at Dukcapil: service 15, 15, 15, 15 and 90 minutes
    normal = [gen_visit(db, ev) for _ in range(4)]
    slow = gen_visit(db, ev, times=("08:00", "08:10", "09:40"))
    # one reported two days later (service ended 08:25 WIB on 4 May, received 6 May 10:00 UTC)
    late = gen_visit(db, ev, submitted_at="2026-05-06T10:00:00+00:00")
    # one returned then corrected (revision 2), one rejected, one still submitted, one draft
    corrected = gen_visit(db, ev, status="returned")
    db.execute("update visits set revision = 2, status = 'approved' where uuid = ?", [corrected])
    gen_visit(db, ev, status="rejected")
    # still submitted, so scored when read, and reported late as well
    late_unreviewed = gen_visit(
        db, ev, status="submitted", submitted_at="2026-05-05T10:00:00+00:00"
    )
    draft = str(uuid.uuid4())
    records.save_visit(
        db,
        {
            "uuid": draft,
            "opd_id": 1,
            "service_id": 1,
            "evaluator_id": ev,
            "visit_date": "2026-05-04",
            "instruments": [],
            "answers": {},
        },
        ev,
    )
    # photos: one inside the visit window, one three hours later
    for sha, when in (("a" * 64, "2026-05-04T01:15:00Z"), ("b" * 64, "2026-05-04T04:30:00Z")):
        db.table("photos").insert({"sha256": sha, "mime": "image/jpeg", "size": 1})
        records.attach_photo(db, normal[0], sha, captured_at=when)

    report = quality_reads.report(db, "2026-05-01", "2026-05-31")
    assert report["visits"] == 10
    assert report["by_status"] == {"approved": 7, "draft": 1, "rejected": 1, "submitted": 1}
    assert report["counted"] == 7 and report["excluded"] == 3
    assert report["reviewed_share"] == 88.9  # 8 of 9 submitted reviewed
    assert report["returned"] == 1 and report["corrected"] == 1
    assert sorted(report["late_reports"]) == sorted([late, late_unreviewed])
    assert [o["uuid"] for o in report["duration_outliers"]] == [slow]
    assert [p["sha256"] for p in report["photos_outside_visit"]] == ["b" * 64]
    [sample] = report["sample"]
    assert sample["visits"] == 7 and sample["population"] == 24000 + 18000
    assert sample["required"] == 381 and sample["below"] is True


def test_empty_period(world, db):
    report = quality_reads.report(db, "2030-01-01", "2030-03-31")
    assert report["visits"] == 0 and report["reviewed_share"] is None
    assert report["sample"] == []


def test_shares_round_half_up_as_printed(world, db):
    """13 of 16 submitted visits reviewed is 81.25 %: printed 81,3, not Python's 81,2."""
    ev = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
    for n in range(16):
        gen_visit(db, ev, status="approved" if n < 13 else "submitted")
    assert quality_reads.report(db, "2026-05-01", "2026-05-31")["reviewed_share"] == 81.3


def test_a_visit_without_times_is_still_checked_for_lateness(world, db):
    """No time items: the visit ended by the end of its day, so three days later is late."""
    ev = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
    skm_only = supervisor_data.gen_visit(
        db, "approved", evaluator=ev, instruments=("skm",), visit_date="2026-05-04"
    )
    on_time = supervisor_data.gen_visit(
        db, "approved", evaluator=ev, instruments=("skm",), visit_date="2026-05-04", seed=2
    )
    db.execute(
        "update visits set submitted_at = ? where uuid = ?", ["2026-05-07T10:00:00+00:00", skm_only]
    )
    db.execute(
        "update visits set submitted_at = ? where uuid = ?", ["2026-05-04T20:00:00+00:00", on_time]
    )
    assert quality_reads.report(db, "2026-05-01", "2026-05-31")["late_reports"] == [skm_only]
