"""Alternative names for a question's terms: countries ↔ capitals ↔ demonyms, metonyms, synonyms.

Country names, capitals, demonyms and alternate spellings come from the countryinfo package, everyday
short names it lacks ("UK", "Britain", "America") from `data/aliases.json`; seats
of power ("the Kremlin", "the White House") and general news-verb synonyms come from the two JSON
tables in `retrieval/data/`. Nothing here is tuned to particular articles.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from retrieval.text_terms import terms, words

Phrase = tuple[str, ...]  # a stemmed term sequence


def _data(name: str) -> dict:
    return json.loads(resources.files("retrieval").joinpath("data", name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _countries() -> tuple[dict, ...]:
    """countryinfo's record of every country; none when the package is missing (expansion then
    degrades to the JSON tables alone)."""
    try:
        from countryinfo import all_countries
    except ImportError:
        return ()
    return tuple(country.info() for country in all_countries())


def _capitals(info: dict) -> list[str]:
    capitals = info.get("capital") or []
    return [capitals] if isinstance(capitals, str) else list(capitals)


def _country_groups() -> list[list[str]]:
    """One group per country; a name several countries share goes to the most populous one only.

    ("French" is the demonym of France and of several French territories.)
    """
    owner: dict[tuple[str, ...], tuple[int, int]] = {}
    groups = []
    for info in _countries():
        names = [info.get("name") or "", info.get("demonym") or ""]
        for capital in _capitals(info):
            names += [capital, capital.replace(" D.C.", "")]
        # Two- and three-letter codes ("US", "IN") collide with ordinary words; keep real names only.
        names += [alt for alt in info.get("altSpellings") or [] if len(alt) > 3 and alt.isascii()]
        extra = _short_names().get(info.get("name") or "", {})
        names += extra.get("names", []) + extra.get("people", [])
        group = [n for n in names if n]
        population = int(info.get("population") or 0)
        for name in group:
            key = tuple(terms(name))
            if key not in owner or owner[key][0] < population:
                owner[key] = (population, len(groups))
        groups.append(group)
    return [[n for n in group if owner[tuple(terms(n))][1] == i] for i, group in enumerate(groups)]


@lru_cache(maxsize=1)
def _short_names() -> dict[str, dict[str, list[str]]]:
    """Everyday names countryinfo lacks ("UK", "Britain", "America"), by countryinfo's country name."""
    return _data("aliases.json")["countries"]


@lru_cache(maxsize=1)
def country_names() -> dict[str, tuple[Phrase, ...]]:
    """Every country's name and capital as stemmed phrases, keyed by their first term.

    Demonyms are left out: "French" names no place.
    """
    by_first: dict[str, set[Phrase]] = {}
    for info in _countries():
        for name in [info.get("name") or "", *_capitals(info), *_short_names().get(info.get("name") or "", {}).get("names", [])]:
            phrase = tuple(terms(name))
            if phrase:
                by_first.setdefault(phrase[0], set()).add(phrase)
    return {first: tuple(sorted(phrases)) for first, phrases in by_first.items()}


def names_a_country(sequence: list[str], unless: set[str] = frozenset()) -> bool:
    """Tell whether a stemmed term sequence holds a country or capital name whose first term is not in `unless`."""
    table = country_names()
    return any(
        tuple(sequence[i : i + len(phrase)]) == phrase
        for i, term in enumerate(sequence)
        if term not in unless
        for phrase in table.get(term, ())
    )


@lru_cache(maxsize=1)
def _alias_table() -> dict[Phrase, frozenset[Phrase]]:
    """Map each stemmed phrase to every phrase that shares a group with it."""
    table: dict[Phrase, set[Phrase]] = {}
    for group in _country_groups() + _data("synonyms.json")["groups"]:
        phrases = {tuple(terms(name)) for name in group} - {()}
        for phrase in phrases:
            table.setdefault(phrase, set()).update(phrases)
    for key, referents in _data("metonyms.json")["stands_for"].items():
        head = tuple(terms(key))
        for referent in {tuple(terms(r)) for r in referents} - {()}:
            table.setdefault(head, {head}).add(referent)
            table.setdefault(referent, {referent}).add(head)
    return {k: frozenset(v) for k, v in table.items()}


def warm_up() -> None:
    """Build the alias tables now (countryinfo's data and stemming take tens of milliseconds)."""
    _alias_table()
    country_names()


def longest_phrases(question: str, max_len: int = 4) -> list[tuple[Phrase, bool]]:
    """Segment a question's terms greedily into known alias phrases (True) and single terms (False)."""
    seq = terms(question)
    table = _alias_table()
    out: list[tuple[Phrase, bool]] = []
    i = 0
    while i < len(seq):
        for n in range(min(max_len, len(seq) - i), 0, -1):
            phrase = tuple(seq[i : i + n])
            if phrase in table:
                out.append((phrase, True))
                i += n
                break
        else:
            out.append(((seq[i],), False))
            i += 1
    return out


def alternatives(phrase: Phrase) -> frozenset[Phrase]:
    """The phrase itself and every alias or synonym of it."""
    return _alias_table().get(phrase, frozenset()) | {phrase}


def capitalised_words(question: str) -> set[str]:
    """Folded words the question capitalises after its first word: likely names of people and places."""
    raw = question.split()
    found = set()
    for token in raw[1:]:
        stripped = token.strip("\"'“”‘’?!.,:;()")
        if stripped[:1].isupper():
            found.update(words(stripped))
    return found
