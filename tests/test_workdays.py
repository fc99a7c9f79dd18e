"""Working days across weekends, national holidays, cuti bersama and year ends; probe
response times in minutes and working days; "no answer" after the deadline."""

import datetime as dt

import pytest

from survey_app.core import checks, workdays

D = dt.date
T = dt.datetime
SHIPPED = workdays.holiday_dates(workdays.load_holidays())


def test_the_shipped_holidays_cover_2025_to_2027_with_cuti_bersama():
    found = workdays.load_holidays()
    assert {h.date.year for h in found} == {2025, 2026, 2027}
    kinds = {(h.date.year, h.kind) for h in found}
    assert (2025, "cuti_bersama") in kinds and (2026, "cuti_bersama") in kinds
    by_date = {h.date: h for h in found}
    assert by_date[D(2025, 8, 18)].kind == "cuti_bersama"  # HUT RI ke-80
    assert by_date[D(2026, 3, 21)].name.startswith("Idul Fitri")
    assert all(h.date.year == int(h.date.isoformat()[:4]) for h in found)


def test_a_year_end_skips_new_year_and_the_christmas_leave():
    assert workdays.add_working_days(D(2025, 12, 31), 1, SHIPPED) == D(2026, 1, 2)
    # 24 Dec 2026 cuti bersama, 25 Dec Natal, 26-27 weekend
    assert workdays.add_working_days(D(2026, 12, 23), 1, SHIPPED) == D(2026, 12, 28)
    # 31 Dec 2026 Thursday, 1 Jan 2027 Friday (New Year), then the weekend
    assert workdays.add_working_days(D(2026, 12, 31), 1, SHIPPED) == D(2027, 1, 4)
    assert workdays.working_days_between(D(2025, 12, 24), D(2026, 1, 2), SHIPPED) == 4


def test_idul_fitri_2026_and_its_cuti_bersama_are_skipped():
    # Tue 17 Mar 2026; 18 cuti Nyepi, 19 Nyepi, 20 cuti, 21-22 Idul Fitri, 23-24 cuti
    assert workdays.add_working_days(D(2026, 3, 17), 1, SHIPPED) == D(2026, 3, 25)
    assert workdays.working_days_between(D(2026, 3, 17), D(2026, 3, 25), SHIPPED) == 1
    assert not workdays.is_working_day(D(2026, 3, 23), SHIPPED)
    assert workdays.is_working_day(D(2026, 3, 23), frozenset())  # a Monday otherwise


def test_a_deadline_that_would_fall_on_a_weekend_moves_to_the_working_day():
    # Wednesday + 3 calendar days would be Saturday 5 Dec 2026; in working days Monday
    sent = T(2026, 12, 2, 14, 0)
    assert workdays.deadline(sent, 3, SHIPPED) == T(2026, 12, 7, 23, 59, 59)
    # Friday 27 Nov 2026 + 1: Monday 30 Nov, not Saturday
    assert workdays.add_working_days(D(2026, 11, 27), 1, SHIPPED) == D(2026, 11, 30)
    # With no holidays a weekend is still skipped
    assert workdays.add_working_days(D(2026, 11, 27), 1, frozenset()) == D(2026, 11, 30)


def test_working_minutes_leave_out_weekends_and_holidays():
    friday, monday = T(2026, 11, 27, 16, 0), T(2026, 11, 30, 9, 0)
    assert workdays.working_minutes(friday, monday, SHIPPED) == 8 * 60 + 9 * 60
    same_day = (T(2026, 12, 1, 9, 15), T(2026, 12, 1, 11, 40))
    assert workdays.working_minutes(*same_day, SHIPPED) == 145
    # over New Year 2026: Wed 31 Dec 2025 17:00 -> Fri 2 Jan 08:00 = 7 h + 8 h
    assert workdays.working_minutes(T(2025, 12, 31, 17), T(2026, 1, 2, 8), SHIPPED) == 900
    # sent on a holiday: nothing counts until the next working day starts
    assert workdays.working_minutes(T(2026, 12, 25, 10), T(2026, 12, 28, 1), SHIPPED) == 60


def test_working_days_between_is_zero_the_same_day_and_signed():
    assert workdays.working_days_between(D(2026, 12, 1), D(2026, 12, 1), SHIPPED) == 0
    assert workdays.working_days_between(T(2026, 11, 27, 16), T(2026, 11, 30, 9), SHIPPED) == 1
    assert workdays.working_days_between(D(2026, 11, 30), D(2026, 11, 27), SHIPPED) == -1
    with pytest.raises(ValueError):
        workdays.add_working_days(D(2026, 1, 1), -1, SHIPPED)


@pytest.mark.parametrize(
    "sent, answered, now, outcome, minutes, days",
    [
        ("2026-12-01T09:15", "2026-12-01T11:40", None, "answered", 145, 0),
        # Friday afternoon, answered Monday morning: 1 working day
        ("2026-11-27T16:00", "2026-11-30T09:00", None, "answered", 1020, 1),
        # deadline 3 working days after Wed 2 Dec 2026 = end of Mon 7 Dec
        ("2026-12-02T14:00", "2026-12-07T23:00", None, "answered", None, 3),
        ("2026-12-02T14:00", "2026-12-08T08:00", None, "late", None, 4),
        ("2026-12-02T14:00", None, T(2026, 12, 7, 12, 0), "waiting", None, None),
        ("2026-12-02T14:00", None, T(2026, 12, 8, 0, 0), "no_answer", None, None),
        # over the 2025 year end: 31 Dec + 3 working days = Tue 6 Jan 2026
        ("2025-12-31T10:00", None, T(2026, 1, 6, 20, 0), "waiting", None, None),
        ("2025-12-31T10:00", "2026-01-07T07:00", None, "late", None, 4),
    ],
)
def test_probe_timing_against_the_deadline(sent, answered, now, outcome, minutes, days):
    timing = checks.probe_timing(sent, answered, SHIPPED, 3, now)
    assert timing.outcome == outcome
    if minutes is not None:
        assert timing.minutes == minutes
    assert timing.working_days == days


def test_the_deadline_is_configurable():
    one = checks.probe_timing("2026-12-02T14:00", "2026-12-04T09:00", SHIPPED, 1)
    assert one.outcome == "late" and one.deadline == T(2026, 12, 3, 23, 59, 59)
    zero = checks.probe_timing("2026-12-02T14:00", "2026-12-02T16:00", SHIPPED, 0)
    assert zero.outcome == "answered"
