"""Who said it: the speaker a sentence attributes its content to, as written, with its offsets.

Rules over reporting verbs and "according to": "X said …", "…, X said.", "…, said X.", "X was quoted as
saying", "according to X", "it was said … from X". The speaker is the noun phrase the rule points at,
trimmed of conjunctions and adverbs; a candidate that reads like a clause rather than a name is refused,
so the rules prefer saying nothing to naming the wrong speaker.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

VERBS = (r"said|says|told|tells|added|adds|stated|states|stressed|stresses|insisted|insists|warned|warns|claimed|"
         r"claims|denied|denies|announced|announces|noted|notes|explained|explains|argued|argues|wrote|writes|"
         r"tweeted|tweets|emphasi[sz]ed|emphasi[sz]es|declared|declares|asserted|asserts|confirmed|confirms|"
         r"reported|reports|acknowledged|acknowledges|admitted|admits|alleged|alleges|charged|charges|"
         r"maintained|maintains|recalled|recalls|replied|replies|responded|responds|countered|counters|"
         r"predicted|predicts|suggested|suggests|conceded|concedes|cautioned|cautions|vowed|vows|promised|"
         r"promises|urged|urges|asked|asks|continued|mused|quipped|remarked|observed|testified|posted|indicated|"
         r"indicates|disclosed|discloses|repeated|repeats|described|describes")
_NOT_SPEAKER_START = {"it", "this", "that", "there", "which", "who", "what", "when", "where", "if", "as", "while"}
_LEADING = re.compile(r"^(?:(?:but|and|yet|so|also|then|meanwhile|however|still|now|later|instead)\b[,\s]*)+",
                      re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s+(?:then|also|later|again|reportedly|previously|once|had|has|have|has\s+long|"
                       r"flatly|publicly|privately|repeatedly|explicitly|firmly|quickly|recently|on\s+\w+day))+$",
                       re.IGNORECASE)
_CLAUSE_WORDS = re.compile(r"\b(?:is|are|was|were|be|been|being|would|will|could|should|can|do|does|did|not|"
                           r"that|which|who|whom|because|if|when|while|after|before|than)\b", re.IGNORECASE)
_QUOTES = "“”\"'‘’«»"

_RULES = [
    # according to Paris, … / according to reports from Moscow, …
    re.compile(r"\baccording to (?P<s>[^,.;:“”\"]{2,80}?)(?=[,.;:]|\s+(?:on|in|at|after)\s|$)", re.IGNORECASE),
    # Shoigu was quoted as saying
    re.compile(r"(?:^|[,;“”\"]\s*)(?P<s>[^,;“”\"]{2,80}?)\s+(?:was|were|is|are)\s+quoted\s+as\s+(?:saying|telling)\b",
               re.IGNORECASE),
    # it was said shortly afterwards from those directly close to the ministry / it is also said from Russia that
    re.compile(r"\bit\s+(?:was|is|has\s+been)\s+(?:also\s+)?said\b[^.]*?\bfrom\s+(?P<s>[^,.;:“”\"]{2,90}?)"
               r"(?=\s+that\b|[,.;:]|\s+in\s+the\b|$)", re.IGNORECASE),
    # …," said Lecornu. / …, said a spokesman for the ministry.
    re.compile(rf"[,“”\"]\s*(?:{VERBS})\s+(?P<s>(?:the\s+|a\s+|an\s+)?[A-Z][^,.;:“”\"]{{1,70}}?)(?=[,.;:]|\s+(?:in|on|at|after|to)\s|$)"),
    # …, the Russian Defense Ministry said. / …,” Shoigu then said to Lecornu.
    re.compile(rf"[,“”\"?!]\s*(?P<s>[^,;“”\"]{{2,80}}?)\s+(?:{VERBS})\b(?=[\s.,;:]|$)"),
    # The Russian Defense Ministry said after the phone call … / But Shoigu insisted that …
    re.compile(rf"^\W*(?P<s>[^,;“”\"]{{2,80}}?)\s+(?:{VERBS})\b(?=\s|[.,:]|$)"),
]


class Attribution(BaseModel):
    """The speaker as written in the source: `source_text[start:end] == speaker`."""

    speaker: str
    start: int
    end: int


def _speaker(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim a candidate span to the speaker's noun phrase, or None when it is no plausible speaker."""
    piece = text[start:end]
    lead = _LEADING.match(piece)
    if lead:
        start += lead.end()
    piece = text[start:end]
    trail = _TRAILING.search(piece)
    if trail:
        end = start + trail.start()
    piece = text[start:end].strip()
    if not piece:
        return None
    start = text.index(piece, start)
    end = start + len(piece)
    words = piece.split()
    if not 1 <= len(words) <= 10 or words[0].lower() in _NOT_SPEAKER_START or _CLAUSE_WORDS.search(piece):
        return None
    if not (words[0][0].isupper() or words[0].lower() in {"the", "a", "an", "those", "his", "her", "its", "their",
                                                           "officials", "sources", "media", "reports", "analysts",
                                                           "critics", "experts", "people", "one", "two", "several",
                                                           "he", "she", "they", "we", "i"}):
        return None
    if any(c in piece for c in _QUOTES):
        return None
    return start, end


def attribute_sentence(text: str, start: int, end: int) -> Attribution | None:
    """The speaker the sentence `text[start:end]` attributes its content to, or None."""
    sentence = text[start:end]
    for rule in _RULES:
        for match in rule.finditer(sentence):
            span = _speaker(text, start + match.start("s"), start + match.end("s"))
            if span is not None:
                return Attribution(speaker=text[span[0] : span[1]], start=span[0], end=span[1])
    return None


_LEANS = re.compile(r"^[“\"‘']?(?:otherwise|he|she|they|this|these|such)\b", re.IGNORECASE)


def attribute(text: str, span: tuple[int, int], sentences: list[tuple[int, int]],
              main: tuple[int, int] | None = None) -> Attribution | None:
    """Who a quote `text[span]` is attributed to: by its own sentences (`main`, the one the quote is about,
    first), else by the sentence before it when the quote opens with a quotation or leans on that sentence
    ("Otherwise, France would…").

    `sentences` are the (start, end) spans of the source's sentences in reading order.
    """
    inside = [s for s in sentences if span[0] <= s[0] and s[1] <= span[1]] or [span]
    if main in inside:
        inside.remove(main)
        inside.insert(0, main)
    for start, end in inside:
        found = attribute_sentence(text, start, end)
        if found is not None:
            return found
    before = [s for s in sentences if s[1] <= span[0]]
    opening = text[span[0] : span[1]].lstrip()
    if before and (opening[:1] in _QUOTES or _LEANS.match(opening)):
        previous = before[-1]
        if "\n" not in text[previous[1] : span[0]]:  # the same paragraph
            return attribute_sentence(text, *previous)
    return None
