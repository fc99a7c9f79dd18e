from survey_app.findings.charts import Bar, bar_chart, compare_chart


def test_bar_chart_escapes_labels_and_scales():
    svg = bar_chart([Bar("<script>x</script>", 50.0, "kuning"), Bar("Dukcapil", None)])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'fill="#f9a825"' in svg and "50.00" in svg and ">-<" in svg


def test_compare_chart_has_both_periods():
    svg = compare_chart(["Akses informasi"], [80.0], [70.0], ("Q3", "Q2"))
    assert svg.count("<rect") == 4 and "80.00" in svg and "70.00" in svg
