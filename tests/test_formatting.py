import datetime as dt

from survey_app.core import formatting


def test_decimal_comma_and_half_up():
    assert formatting.number(85.22) == "85,22"
    assert formatting.number(85.225) == "85,23"
    assert formatting.number(1234.5) == "1.234,50"
    assert formatting.number(1234.5, locale="en") == "1,234.50"
    assert formatting.number(None) == "-"


def test_rupiah():
    assert formatting.rupiah(50000) == "Rp 50.000"
    assert formatting.rupiah(0) == "Rp 0"
    assert formatting.rupiah(1250000) == "Rp 1.250.000"


def test_indonesian_long_date():
    assert formatting.long_date("2021-03-26") == "Jumat, 26 Maret 2021"
    assert formatting.long_date(dt.date(2021, 3, 26), "en") == "Friday, 26 March 2021"
