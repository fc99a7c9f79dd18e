"""Self-assessed beside independent: the figures of each side and the gap, by hand."""

from survey_app.core.instruments import Item, Label
from survey_app.core.selfassess import compare, gap, side


def item(item_id: str, weight: float = 1) -> Item:
    return Item(item_id, "yesno", Label(item_id, item_id), "s", weight=weight)


ITEMS = [item("a"), item("b"), item("c", 2), item("d")]
GROUP = {"a": "akses_informasi", "b": "akses_informasi", "c": "pengaduan"}


def test_a_side_averages_each_assessments_weighted_share():
    one = {"a": True, "b": False, "c": True, "d": None}  # (1 + 2) / 4 = 75
    two = {"a": True, "b": True, "c": False, "d": True}  # (1 + 1 + 1) / 5 = 60
    figures = side([one, two], ITEMS, GROUP)
    assert figures["assessments"] == 2
    assert figures["score"] == 67.5
    assert figures["groups"] == {"akses_informasi": 75.0, "pengaduan": 50.0}
    assert figures["items"]["b"] == {"share": 50.0, "passed": 1, "of": 2}
    assert figures["items"]["d"] == {"share": 100.0, "passed": 1, "of": 1}


def test_nothing_applicable_is_no_figure_not_zero():
    figures = side([{"a": None}], ITEMS, GROUP)
    assert figures["score"] is None and figures["items"]["a"]["share"] is None
    assert side([], ITEMS, GROUP)["score"] is None


def test_the_issues_example_and_the_gap_per_item_and_dimension():
    seven = [item(f"i{n}") for n in range(7)]
    group = {i.id: "akses_layanan" for i in seven}
    independent = side([{f"i{n}": n < 5 for n in range(7)}], seven, group)  # 5 of 7
    own = side([{f"i{n}": True for n in range(7)}] * 23 + [{"i0": False}] * 2, seven, group)
    assert independent["score"] == 71.43  # 71.428...
    assert own["score"] == 92.0  # 23 of 25 assessments fully passed
    both = compare(own, independent, seven, ["akses_informasi", "akses_layanan"])
    assert both["gap"] == 20.57
    assert [d["code"] for d in both["dimensions"]] == ["akses_layanan"]
    assert both["dimensions"][0]["gap"] == 20.57
    row = {r["item"]: r for r in both["items"]}["i6"]
    assert row["self"]["share"] == 100.0 and row["independent"]["share"] == 0.0
    assert row["gap"] == 100.0
    assert gap(None, 50.0) is None
