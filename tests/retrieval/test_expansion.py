"""Alias groups: everyday country names join countryinfo's names, capitals and demonyms."""

from retrieval.expansion import alternatives, longest_phrases, names_a_country
from retrieval.text_terms import terms


def _aliases(text):
    (phrase, known), = longest_phrases(text)
    assert known
    return alternatives(phrase)


def test_uk_britain_and_the_brits_are_one_group():
    for name in ("UK", "Britain", "the Brits", "U.K."):
        options = _aliases(name)
        assert {tuple(terms("United Kingdom")), tuple(terms("British")), tuple(terms("Britain"))} <= options, name


def test_america_and_us_join_the_united_states():
    assert tuple(terms("United States")) in _aliases("America")
    assert tuple(terms("America")) in _aliases("U.S.")


def test_everyday_country_names_count_as_country_names():
    assert names_a_country(terms("He flew to Britain on Monday"))
    assert not names_a_country(terms("The Brits won"))  # a people, not a place


def test_majesty_stands_for_the_monarch():
    assert tuple(terms("queen")) in _aliases("Her Majesty")
