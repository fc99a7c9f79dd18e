"""Working days: weekends and the year's holidays left out (pure: no Flask, no SQL).

Indonesian offices work Monday to Friday; national holidays and cuti
bersama (collective leave) are data per year, shipped in holidays.yaml and
kept editable in the `holidays` table. A probe's response time is counted
here, in minutes and in working days, and its deadline set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

HOLIDAYS_FILE = Path(__file__).with_name("holidays.yaml")
KINDS = ("libur", "cuti_bersama")
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str
    kind: str  # "libur" | "cuti_bersama"


def load_holidays(path: str | Path | None = None) -> list[Holiday]:
    """The holidays of holidays.yaml (or another file of its shape), in date order."""
    raw = yaml.safe_load(Path(path or HOLIDAYS_FILE).read_text(encoding="utf-8"))
    found = []
    for year, days in (raw.get("days") or {}).items():
        for entry in days:
            day = entry["date"]
            day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
            if day.year != int(year) or entry["kind"] not in KINDS:
                raise ValueError(f"holidays: {day} under {year} or unknown kind {entry['kind']!r}")
            found.append(Holiday(day, str(entry["name"]), entry["kind"]))
    return sorted(found, key=lambda h: h.date)


def holiday_dates(holidays: Iterable[Holiday | dt.date]) -> frozenset[dt.date]:
    """The dates of the holidays, as the functions below take them."""
    return frozenset(h.date if isinstance(h, Holiday) else h for h in holidays)


def is_working_day(day: dt.date, holidays: Collection[dt.date]) -> bool:
    """Monday to Friday and not a holiday or cuti bersama."""
    return day.weekday() < 5 and day not in holidays


def add_working_days(day: dt.date, n: int, holidays: Collection[dt.date]) -> dt.date:
    """The n-th working day after `day` (n >= 0; 0 gives `day` itself).

    31 Dec 2025 + 1 is 2 Jan 2026 (1 Jan is New Year); Wednesday + 3 is
    Monday, never the Saturday a count of calendar days would reach.
    """
    if n < 0:
        raise ValueError("n must be 0 or more")
    while n:
        day += DAY
        if is_working_day(day, holidays):
            n -= 1
    return day


def working_days_between(
    start: dt.date | dt.datetime, end: dt.date | dt.datetime, holidays: Collection[dt.date]
) -> int:
    """Working days after `start`'s day up to and including `end`'s day (0 the same day).

    An answer on the day the question went out took 0 working days; one on
    the next working day, 1, however many weekend or holiday days lie between.
    Negative when `end` is before `start`.
    """
    first, last = _day(start), _day(end)
    if last < first:
        return -working_days_between(last, first, holidays)
    count, day = 0, first
    while day < last:
        day += DAY
        count += is_working_day(day, holidays)
    return count


def working_minutes(start: dt.datetime, end: dt.datetime, holidays: Collection[dt.date]) -> int:
    """Minutes from start to end that fall on working days (whole days of weekends and
    holidays left out; the clock of a working day counts in full).

    A question on Friday 16:00 answered Monday 09:00 took 8 h + 9 h = 1,020
    minutes, not the 3,900 of the calendar. Negative when end is before start.
    """
    if end < start:
        return -working_minutes(end, start, holidays)
    total = dt.timedelta()
    moment = start
    while moment < end:
        midnight = dt.datetime.combine(moment.date() + DAY, dt.time(), moment.tzinfo)
        upto = min(end, midnight)
        if is_working_day(moment.date(), holidays):
            total += upto - moment
        moment = upto
    return int(total.total_seconds() // 60)


def deadline(sent: dt.datetime, n: int, holidays: Collection[dt.date]) -> dt.datetime:
    """The last moment an answer counts: the end of the n-th working day after `sent`'s day.

    With n = 0 it is the end of the sending day itself.
    """
    last = add_working_days(sent.date(), n, holidays)
    return dt.datetime.combine(last, dt.time(23, 59, 59), sent.tzinfo)


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value
