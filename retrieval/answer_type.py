"""What kind of thing a question asks for, and whether a sentence holds one.

A question may ask for several kinds at once: "How old is X?" wants a number and, more precisely, an
age; "Where and when…" wants a place and a time. The broad kinds (person, time, number) come first;
the narrow ones (age, tally, money, length, place, country, name, and times of a grain: date, month,
year; a news outlet; a language) are answer types in the sense of classic question answering and their
sentence patterns are precise, so a sentence earns a bonus for each kind it holds ("By what date…?"
asks for a time and a date: "May 12" earns two, "last month" one). The patterns describe English
wording in general, never a particular story.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from retrieval.expansion import names_a_country
from retrieval.text_terms import terms

if TYPE_CHECKING:
    from retrieval.questions import Question

AnswerType = Literal["person", "time", "number", "age", "tally", "money", "length", "place", "country", "name", "date",
                     "month", "year", "outlet", "language"]

_NUMBER_QUESTION = re.compile(
    r"^(how (many|much|long|old|big|large|far|badly|often))\b|\b(tally|vote count|final count|margin|percent(age)?|"
    r"share of|how many|how much|what (was|is|were) the (final |total )?(vote|tally|count|score|number|total|"
    r"margin|share|price|cost|amount|figure|toll))\b",
    re.IGNORECASE,
)
_TIME_QUESTION = re.compile(
    r"^(when|since when)\b|\b(and|or) when\b|\b((what|which) (day|date|time|year|month|hour|night|morning|week)|how long ago|"
    r"(exact|precise) (day|date|time)|what (is|was) the date|"
    r"how soon|at what (time|hour|point)|how (many|much) (minutes|hours|days|weeks|months|years|time)\b.{0,40}"
    r"\b(before|after|earlier|later|ago|prior|since|passed|elapsed)|how long (before|after))\b",
    re.IGNORECASE,
)
# "Who…", "Which senator…", "Which foreign leader…", "Which of the president's attorneys…": a person.
_ROLES = (r"senators?|officials?|lawmakers?|ministers?|leaders?|persons?|people|candidates?|attorneys?|lawyers?|"
          r"advis[eo]rs?|aides?|spokes(?:man|woman|person)|officers?|judges?|governors?|presidents?|ambassadors?|"
          r"diplomats?|directors?|chiefs?|secretar(?:y|ies)|chair(?:man|woman)?|congress(?:man|woman)|"
          r"representatives?|reporters?|journalists?|executives?|politicians?|members?|prosecutors?|envoys?")
# The words between "which" and the role describe the role ("which foreign leader"); a verb ends them
# ("by what date must the president…" asks for a date).
_VERBS = r"(?:is|was|are|were|do|does|did|must|will|would|can|could|has|have|had|should|shall|may|might)"
_PERSON_QUESTION = re.compile(
    rf"^(who|whom)\b|^(?:\w+ )?(which|what) (?:of [\w’'.-]+(?: [\w’'.-]+)? )?(?:(?!{_VERBS}\b)[\w’'.-]+ ){{0,3}}?"
    rf"(?:{_ROLES})\b",
    re.IGNORECASE)

# Narrow kinds: the question wording that asks for them.
_NARROW_QUESTIONS: dict[AnswerType, re.Pattern[str]] = {
    "age": re.compile(r"\bhow old\b|\bwhat age\b|\bage of\b", re.IGNORECASE),
    "tally": re.compile(
        r"\b(final|vote) (count|tally)\b|\bwhat (was|is|were) the (final )?(vote|tally|count|score|margin)\b|"
        r"\bby (what|how much of a) margin\b|\bhow many votes\b|\bwhat was the .{0,20}\bvote\b",
        re.IGNORECASE,
    ),
    "money": re.compile(
        r"\bhow much (money|cash|funding|funds)\b|"
        r"\bhow much\b.*\b(spend|spent|raise|raised|cost|costs|pay|paid|misus\w*|worth|fund\w*|cash|money|owe|owed)\b|"
        r"\bout(spent|spend|raised|raise)\b",
        re.IGNORECASE,
    ),
    "length": re.compile(r"\bhow long (is|was|were|are)\b(?!.*\bago\b)", re.IGNORECASE),
    # "Where does X stand on…" asks for a position and "where would the money come from" for a source, not a place.
    "place": re.compile(r"^where\b(?!.*\bstand\b)(?!.*\bcome from\b)|\b(which|what) (?:[\w’'-]+ ){0,2}?"
                        r"(city|cities|town|state|province|region|village|port|park|venue|building|court|site|base|"
                        r"airport|border crossing|neighbou?rhood|district|county|hotel|resort)\b", re.IGNORECASE),
    "country": re.compile(r"\b(which|what) (countr(y|ies)|nations?)\b", re.IGNORECASE),
    # Times of a particular grain: "By what date…" wants "May 12", "In what month…" wants "March", not "last month".
    "date": re.compile(r"\b(what|which) (exact |precise )?(day|date)\b|\b(exact|precise) date\b|\bwhat (is|was) the date\b",
                       re.IGNORECASE),
    "month": re.compile(r"\b(what|which) month\b", re.IGNORECASE),
    "year": re.compile(r"\b(what|which) year\b", re.IGNORECASE),
    "outlet": re.compile(r"\b(which|what) (?:[\w’'-]+ ){0,2}?(newspapers?|papers?|news ?(?:outlets?|organi[sz]ations?|"
                         r"agenc(?:y|ies)|sites?|networks?|channels?)|outlets?|publications?|networks?|broadcasters?|"
                         r"magazines?|wire services?)\b", re.IGNORECASE),
    "language": re.compile(r"\b(which|what) language\b", re.IGNORECASE),
    # "What was the gunman's name?", "Who is the new minister?": a proper name, not "what name does X use for Y".
    "name": re.compile(
        r"\bwhat(?:'s| is| was| are| were)\s+(?:the\s+)?(?:[\w’']+\s+){0,3}names?\b(?!\s+(?:does|do|did)\b)|"
        r"\bwhat is (?:he|she|it|they) called\b|\bwho (?:is|was) (?:the|a|an)\b|"
        # "Which group is behind…", "What company…": an organisation, which has a proper name.
        r"\b(?:which|what) (?:[\w’'-]+ ){0,2}?(?:group|organi[sz]ation|company|firm|charity|party|agency|"
        r"committee|union|coalition|movement|militia|network|non-?profit)s?\b",
        re.IGNORECASE,
    ),
}

_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|dozen|half)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December|Jan\.|Feb\.|"
    r"Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday|"
    r"tomorrow|tonight|(?:19|20)\d\d)\b"
    # Relative times: "a year and a half ago", "last week", "for the first time in two years", "since 2002".
    # Clock times and parts of the day: "1:28 a.m.", "at 9 pm", "noon", "early Tuesday morning", "overnight".
    r"|(?i:\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.?|p\.m\.?|am|pm)(?![\w])|\bo['’]clock\b|\b(?:noon|midnight|overnight|dawn|dusk)\b|"
    r"\b(?:in the|early|late|that|this|on \w+) (?:morning|afternoon|evening|night)\b)"
    # Times relative to an event: "just days before", "hours after", "shortly after", "earlier that day", "in recent weeks".
    r"|(?i:\b(?:minutes?|hours?|days?|weeks?|months?|years?) (?:before|after|later|earlier|prior)\b|"
    r"\bshortly (?:before|after)\b|\b(?:earlier|later) (?:that|in the|on)\b|\bin recent (?:days|weeks|months|years)\b|"
    r"\b(?:over|during|on) the weekend\b|\b(?:Easter|Christmas|Thanksgiving|New Year['’]s|Memorial Day|Labor Day)\b)"
    r"|(?i:\b(?:ago|earlier this|later this)\b|\b(?:last|next|this|past) (?:week|weekend|month|year|spring|summer|fall|"
    r"autumn|winter|night|morning)\b|\b(?:in|for|after|within) (?:(?:around|about|nearly|almost|more than|over) )?"
    r"(?:a|an|one|two|three|four|five|six|\d+)(?: and a half)? (?:years?|months?|weeks?|days?|hours?|decades?)\b)"
)
# Two or more capitalised words in a row, not at the very start of the sentence: a likely name.
_NAME = re.compile(r"(?<=\s)(?:[A-Z][\w'’-]+|[A-Z]\.)(?:\s+(?:[A-Z][\w'’-]+|[A-Z]\.))+")
_SMALL_NUMBER = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|\w+ty)"
_MONTHS = r"January|February|March|April|June|July|August|September|October|November|December"
_MONTH_ABBREVIATIONS = r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec"
# "May" is a month only beside a day or a year, or after "in"/"since"/"by" ("in May", "May 12", "May 2018").
_MONTH = rf"\b(?:{_MONTHS})\b|\b(?:{_MONTH_ABBREVIATIONS})\.|\bMay\b(?=\s+\d)|(?<=\b(?:in|by) )May\b|(?<=since )May\b"
_WEEKDAY = r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
_NEWS_OUTLET = re.compile(
    r"\b(?:[A-Z][\w.&’'-]+\s+){1,3}(?:Times|Post|Journal|Herald|Tribune|Telegraph|Guardian|Gazette|Chronicle|Globe|"
    r"Inquirer|Examiner|Observer|Independent|Courier|Sun|Mirror|Express|Star|Bulletin|Register|Dispatch|Review)\b|"
    r"(?<=\bthe )(?:Times|Post|Journal|Guardian|Telegraph)\b|\b(?:Reuters|Associated Press|AP|AFP|Agence France-Presse|"
    r"Bloomberg|CNN|MSNBC|NBC|ABC|CBS|BBC|NPR|PBS|Fox News|Politico|Axios|Al Jazeera|Yonhap|Xinhua|TASS|Interfax|"
    r"RIA Novosti|dpa|UPI|Breitbart|HuffPost|Huffington Post|USA Today|BuzzFeed|Vox|Newsweek|Time magazine)\b"
)
_LANGUAGE = re.compile(
    r"\b(?:English|Hebrew|Arabic|French|Spanish|German|Russian|Chinese|Mandarin|Cantonese|Japanese|Korean|Persian|Farsi|"
    r"Italian|Portuguese|Turkish|Ukrainian|Polish|Dutch|Greek|Hindi|Urdu|Swahili|Latin|Yiddish|Kurdish)\b"
)
_NARROW_SENTENCES: dict[AnswerType, re.Pattern[str]] = {
    "age": re.compile(r"\b\d{1,3}-year-old\b|\b\d{1,3} years old\b|\b(?:aged?|age of) \d{1,3}\b|,\s\d{2},|"
                      r"\bin (?:his|her|their) (?:\d0s|(?:twen|thir|for|fif|six|seven|eigh|nine)ties)\b", re.IGNORECASE),
    "tally": re.compile(r"\b\d{1,4}\s?(?:-|–|—|to)\s?\d{1,4}\b(?!\s*(?:percent|%))", re.IGNORECASE),
    "money": re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:dollars|euros|pounds)\b", re.IGNORECASE),
    "length": re.compile(rf"\b(?:\d[\d,]*|{_SMALL_NUMBER})[- ](?:page|minute|hour|day|week|month|year|mile|word)s?\b",
                         re.IGNORECASE),
    # "in Helsinki", "near Moscow", "in north-west Moscow", "in the Moscow suburb of Krasnogorsk".
    "place": re.compile(r"\b(?:in|at|near|outside) (?:the )?(?:[a-z]+(?:-[a-z]+)? )?[A-Z][a-z]+\b"),
    "date": re.compile(rf"(?:{_MONTH})\s+\d{{1,2}}\b|\b\d{{1,2}}\s+(?:{_MONTHS}|May)\b|\b\d{{1,2}}/\d{{1,2}}\b|{_WEEKDAY}"),
    "month": re.compile(_MONTH),
    "year": re.compile(r"\b(?:1[89]|20)\d\d\b"),
    "outlet": _NEWS_OUTLET,
    "language": _LANGUAGE,
}


_PROVENANCE = re.compile(
    r"\b(credit(s|ed)?|byline|sign-?off|wire (service|report|copy)|news agenc(y|ies)|photo(graph|grapher)?s?|"
    r"pictures?|images?|captions?|copyright|who wrote|written by|authors?|"
    r"agenc(y|ies)\b.*\b(report|article|story|piece)|(report|article|story|piece)\b.*\bagenc(y|ies))\b",
    re.IGNORECASE,
)

def is_provenance_question(question: str) -> bool:
    """Tell whether the question asks who produced the report or its pictures, not what it says."""
    return bool(_PROVENANCE.search(question))


def expected_types(question: str) -> tuple[AnswerType, ...]:
    """The kinds of answer a question asks for, broad then narrow, when its wording makes them plain."""
    q = question.strip()
    kinds: list[AnswerType] = []
    if _NUMBER_QUESTION.search(q):
        kinds.append("number")
    if _TIME_QUESTION.search(q):
        kinds.append("time")
    if _PERSON_QUESTION.search(q):
        kinds.append("person")
    kinds.extend(kind for kind, pattern in _NARROW_QUESTIONS.items() if pattern.search(q))
    return tuple(kinds)


def answer_type_matches(sentence: str, kinds: tuple[AnswerType, ...], question: Question) -> int:
    """How many of the asked-for kinds the sentence holds."""
    return sum(has_answer_type(sentence, kind, question) for kind in kinds)


def has_answer_type(sentence: str, kind: AnswerType, question: Question) -> bool:
    """Tell whether the sentence holds an answer of that kind.

    For the broad kinds, what the question itself names does not count ("Who is Dave Brat?" is not
    answered by a sentence whose only name is Dave Brat); the narrow patterns are specific enough to
    read the sentence as it is.
    """
    if kind == "number":
        return bool(_NUMBER.search(_strip_question_words(sentence, question)))
    if kind == "time":
        return bool(_TIME.search(_strip_question_words(sentence, question)))
    if kind == "country":
        return names_a_country(terms(sentence), unless=set(question.terms))
    if kind in ("person", "name"):
        return any(not {w.lower() for w in name.split()} <= question.words for name in _NAME.findall(sentence))
    return bool(_NARROW_SENTENCES[kind].search(sentence))


def _strip_question_words(sentence: str, question: Question) -> str:
    return " ".join(w for w in sentence.split() if w.lower().strip(".,;:!?\"'“”") not in question.words)
