"""Indonesian-first formatting: decimal comma, rupiah, day and month names (no Flask)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def signed(value, places: int = 2, locale: str = "id") -> str:
    """A difference with its sign: +20,57, −3,10, ±0,00; None -> '-'."""
    if value is None:
        return "-"
    text = number(abs(value), places, locale)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def number(value, places: int = 2, locale: str = "id") -> str:
    """85.225 -> '85,23' (id) or '85.23' (en); None -> '-'."""
    if value is None:
        return "-"
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(repr(value) if isinstance(value, float) else str(value)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )
    text = f"{rounded:,.{places}f}"
    if locale == "en":
        return text
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def rupiah(value, locale: str = "id") -> str:
    """50000 -> 'Rp 50.000' (thousands with dots in both locales, as on receipts)."""
    if value is None:
        return "-"
    return "Rp " + f"{int(value):,}".replace(",", ".")


SHORT_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
MINUTE_UNIT = {"id": "menit", "en": "min"}


def _as_date(value) -> dt.date | None:
    """A date from a date or an ISO text (a time stamp's date part); None when empty."""
    if value is None or value == "":
        return None
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def short_date(value, locale: str = "id") -> str:
    """'2026-12-02' -> '2 Des 2026' (or '2 Dec 2026'): dates in lists."""
    if (value := _as_date(value)) is None:
        return "-"
    lang = locale if locale in SHORT_MONTHS else "id"
    return f"{value.day} {SHORT_MONTHS[lang][value.month - 1]} {value.year}"


def minutes(value, locale: str = "id") -> str:
    """12 -> '12 menit' (or '12 min'); None -> '-'."""
    if value is None:
        return "-"
    lang = locale if locale in MINUTE_UNIT else "id"
    return f"{int(value):,}".replace(",", "." if lang == "id" else ",") + " " + MINUTE_UNIT[lang]


def long_date(value, locale: str = "id") -> str:
    """'2021-03-26' -> 'Jumat, 26 Maret 2021' (or 'Friday, 26 March 2021')."""
    if (value := _as_date(value)) is None:
        return "-"
    lang = locale if locale in DAYS else "id"
    return (
        f"{DAYS[lang][value.weekday()]}, {value.day} {MONTHS[lang][value.month - 1]} {value.year}"
    )
