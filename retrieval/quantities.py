"""Figures in text and where outlets give different ones: "2,300 residents" (a) vs "2,500 people" (b).

A figure is a number with the word that says what it counts (its unit): "139 dead", "25%", "$7.25",
"2.3 million jobs". Units are compared by meaning where it is plain: counts of people ("residents",
"people", "citizens", "Canadians") are one unit, plurals are their singular, and "million" / "thousand"
scale the number ("0.5 million jobs" is "500,000 jobs"). Years are not figures.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

_NUMBER = re.compile(r"(?<![\w.,])(\$|£|€)?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w,]*\d)"
                     r"(\s*(?:%|percent\b|per cent\b))?(\s+(?:million|billion|trillion|thousand)\b)?"
                     r"((?:\s+[A-Za-z][A-Za-z-]*){0,3})")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
_SKIP = {"more", "fewer", "other", "additional", "of", "the", "them", "some", "about", "new"}
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NOT_UNITS = {"and", "or", "in", "on", "at", "to", "the", "a", "an", "of", "for", "with", "by", "from", "as", "after",
              "before", "than", "per", "each", "a.m", "p.m", "am", "pm", "is", "was", "were", "are", "had", "have",
              "has", "that", "who", "which", "times", "years", "year", "days", "day", "months", "month", "weeks",
              "week", "hours", "hour", "minutes", "minute", "old", "over", "out"}
# Words that count people: every such count is one quantity ("2,300 residents" and "2,500 people").
_PEOPLE = {"people", "person", "persons", "resident", "residents", "citizen", "citizens", "civilian", "civilians",
           "individual", "individuals", "victim", "victims", "passenger", "passengers", "worker", "workers",
           "employee", "employees", "soldier", "soldiers", "troops", "student", "students", "children", "adults",
           "migrant", "migrants", "refugee", "refugees", "national", "nationals", "inhabitants", "evacuees",
           "americans", "men", "women"}
_DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ians|ans|ese|is)$")  # Canadians, Americans, Ukrainians, Chinese, Israelis


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str  # the unit's meaning: "people", "dead", "%", "$", "job"
    shown: str  # as the text writes it: "2,300 residents"


def _unit(words: list[str], currency: str | None, percent: str | None) -> tuple[str | None, int]:
    """What a number counts, from the words after it, and how many of those words say so ("2,500 Millbrook
    residents": people, 2 words; a proper name before the noun is skipped)."""
    if percent:
        return "%", 0
    for at, word in enumerate(words):
        lower = word.lower()
        if lower in _PEOPLE or _DEMONYM.match(word):
            return "people", at + 1
        if lower in _SKIP or (word[0].isupper() and at < len(words) - 1):
            continue
        if lower in _NOT_UNITS or word[0].isupper() or currency:
            break
        return (lower[:-1] if len(lower) > 3 and lower.endswith("s") and not lower.endswith("ss") else lower), at + 1
    return currency, 0


def figures(text: str) -> list[Figure]:
    """The figures a text gives, in order."""
    found = []
    for match in _NUMBER.finditer(text):
        currency, number, percent, scale, after = match.groups()
        value = float(number.replace(",", ""))
        spans = list(_WORD.finditer(after))
        unit, used = _unit([w.group() for w in spans], currency, percent)
        if unit is None or (not currency and not percent and not scale and 1900 <= value <= 2100 and "," not in number):
            continue
        value *= _SCALE.get((scale or "").strip(), 1.0)
        end = match.start(5) + spans[used - 1].end() if used else max(
            e for e in (match.end(2), match.end(3), match.end(4)) if e != -1)
        found.append(Figure(value=value, unit=unit, shown=text[match.start():end].strip()))
    return found


def differing_values(quotes_by_outlet: dict[str, list[str]]) -> list[str]:
    """For each unit two outlets give different figures for: "2,300 residents (a) vs 2,500 people (b)" (neither
    outlet's figures for it hold the other's)."""
    by_unit: dict[str, dict[str, list[Figure]]] = defaultdict(dict)
    for outlet, texts in quotes_by_outlet.items():
        for figure in figures(" ".join(texts)):
            by_unit[figure.unit].setdefault(outlet, []).append(figure)
    notes = []
    for per_outlet in by_unit.values():
        values = [frozenset(f.value for f in found) for found in per_outlet.values()]
        # one outlet giving more figures than another (the old rate and the new) is not a difference
        if any(not (a <= b or b <= a) for i, a in enumerate(values) for b in values[i + 1 :]):
            shown = []
            for outlet, found in per_outlet.items():
                words = list(dict.fromkeys(f.shown for f in found))
                shown.append(f"{' / '.join(words)} ({outlet})")
            notes.append(" vs ".join(shown))
    return notes
