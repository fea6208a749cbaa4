"""What kind of thing a question asks for (a person, a time, a number) and whether a sentence has one."""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["person", "time", "number"]

_NUMBER_QUESTION = re.compile(
    r"^(how (many|much|long|old|big|large|far|badly|often))\b|\b(tally|vote count|final count|margin|percent(age)?|"
    r"share of|how many|how much|what (was|is|were) the (final |total )?(vote|tally|count|score|number|total|"
    r"margin|share|price|cost|amount|figure|toll))\b",
    re.IGNORECASE,
)
_TIME_QUESTION = re.compile(r"^(when|since when)\b|\b(what (day|date|time|year|month)|how long ago)\b", re.IGNORECASE)
_PERSON_QUESTION = re.compile(r"^(who|whom)\b|^which (senator|official|lawmaker|minister|leader|person|candidate)\b",
                              re.IGNORECASE)

_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|dozen|half)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|Jan\.|Feb\.|"
    r"Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday|"
    r"tomorrow|tonight|(?:19|20)\d\d)\b"
)
# Two or more capitalised words in a row, not at the very start of the sentence: a likely name.
_NAME = re.compile(r"(?<=\s)(?:[A-Z][\w'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][\w'’-]+|[A-Z]\.))+")


def expected_type(question: str) -> AnswerType | None:
    """The kind of answer a question asks for, when its wording makes that plain."""
    q = question.strip()
    if _NUMBER_QUESTION.search(q):
        return "number"
    if _TIME_QUESTION.search(q):
        return "time"
    if _PERSON_QUESTION.search(q):
        return "person"
    return None


def has_answer_type(sentence: str, kind: AnswerType | None, question: str) -> bool:
    """Tell whether the sentence holds an answer of that kind that the question does not already name."""
    if kind is None:
        return False
    if kind == "number":
        return bool(_NUMBER.search(_strip_question_words(sentence, question)))
    if kind == "time":
        return bool(_TIME.search(_strip_question_words(sentence, question)))
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    return any(not {w.lower() for w in name.split()} <= asked for name in _NAME.findall(sentence))


def _strip_question_words(sentence: str, question: str) -> str:
    asked = {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    return " ".join(w for w in sentence.split() if w.lower().strip(".,;:!?\"'“”") not in asked)
