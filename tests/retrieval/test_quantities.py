"""Figures and their units, and where outlets give different ones."""

from __future__ import annotations

from retrieval.quantities import differing_values, figures


def quantities(text: str) -> dict[str, set[float]]:
    """The values a text gives per unit."""
    out: dict[str, set[float]] = {}
    for figure in figures(text):
        out.setdefault(figure.unit, set()).add(figure.value)
    return out


def test_numbers_pair_with_their_unit_and_years_are_not_figures():
    found = quantities("The attack left at least 139 dead and 182 injured in 2024; tariffs rose 25% and 10 percent.")
    assert found == {"dead": {139.0}, "injured": {182.0}, "%": {25.0, 10.0}}


def test_counts_of_people_are_one_unit_and_scales_multiply():
    assert quantities("forced about 2,300 residents from their homes") == {"people": {2300.0}}
    assert quantities("Some 2,500 people were evacuated") == {"people": {2500.0}}
    assert quantities("killing 63 Canadians") == quantities("whose country lost 63 citizens") == {"people": {63.0}}
    assert quantities("could cost 500,000 jobs") == quantities("could cost 0.5 million jobs") == {"job": {500000.0}}


def test_currency_percent_and_times_of_day():
    assert [(f.unit, f.value, f.shown) for f in figures("a $10.10 minimum wage, up 39%")] == \
        [("$", 10.1, "$10.10"), ("%", 39.0, "39%")]
    assert figures("He was 45 years old when he spoke at 10 a.m. on March 3, 2020") == []


def test_differing_values_names_each_outlet_as_it_writes_the_figure():
    assert differing_values({"a": ["forced about 2,300 residents from their homes"], "b": ["2,500 people evacuated"]}) \
        == ["2,300 residents (a) vs 2,500 people (b)"]
    assert differing_values({"004": ["which left at least 139 dead"], "005": ["killing 137 dead, officials said"]}) == \
        ["139 dead (004) vs 137 dead (005)"]
    assert differing_values({"a": ["139 dead"], "b": ["139 dead"]}) == []
    assert differing_values({"a": ["139 dead"]}) == []


def test_an_outlet_giving_more_figures_than_another_is_no_difference():
    old_and_new = "cut its range from 1.5% to 1.75% down to 1% to 1.25%"
    assert differing_values({"a": [old_and_new], "b": ["a range of 1% to 1.25%"]}) == []
    assert differing_values({"a": [old_and_new], "b": ["a range of 0.5% to 0.75%"]}) != []
