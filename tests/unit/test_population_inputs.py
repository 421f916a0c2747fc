"""The iceberg's data file: every province has its children aged 12-17 (or is counted in its 2020 province), each
figure is three fifths of the published 10-14 and 15-19 groups, and the provinces add up to Indonesia."""

from safe4c.kernel import regions
from safe4c.statistics import population


def test_every_province_has_a_figure_or_is_counted_in_its_2020_province():
    data = population.inputs()
    assert {p.code for p in regions.provinces()} | {population.NATIONAL} == set(data)
    for code, row in data.items():
        if row.within:
            assert row.children_12_17 is None and data[row.within].children_12_17 is not None
        else:
            assert row.children_12_17 and row.children_source.startswith("sp2020"), code
    assert population.parts() == {"91": ("93", "94", "95"), "92": ("96",)}


def test_twelve_to_seventeen_is_three_fifths_of_the_two_groups():
    text = population.resources.files("safe4c.statistics").joinpath("data", "iceberg_inputs.csv").read_text()
    rows = [line.split(",") for line in text.splitlines()[1:]]
    for code, _name, a, b, kids, *_ in rows:
        if kids:
            assert int(kids) == round(0.6 * (int(a) + int(b))), code


def test_provinces_add_up_to_indonesia():
    data = population.inputs()
    national = data[population.NATIONAL].children_12_17
    provinces = sum(r.children_12_17 or 0 for c, r in data.items() if c != population.NATIONAL)
    assert abs(provinces - national) <= national * 0.0001


def test_papua_rows_count_the_reports_of_the_provinces_split_from_them():
    from safe4c.statistics import queries

    rows, national = queries.iceberg_rows({"91": 10, "93": 5, "94": 0, "95": 20, "96": 12, "92": 30, "all": 77}, 0.02)
    by = {r.code: r for r in rows}
    assert by["91"].reported == 35 and by["92"].reported == 42
    assert by["93"].reported == 5 and by["93"].ratio is None and by["93"].children is None
    assert by["91"].ratio == by["91"].expected / 35
    # a suppressed part hides the sum (else the sum minus the visible parts would give it away)
    rows, _ = queries.iceberg_rows({"91": 10, "93": None, "95": 20}, 0.02)
    assert {r.code: r for r in rows}["91"].reported is None
