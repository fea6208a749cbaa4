"""Split article text into sentence passages with exact character offsets.

Paragraphs are separated by line breaks; within a paragraph a sentence ends at `.`, `!`, `?` or `…`,
optionally followed by closing quotes or brackets, when whitespace and an opening quote, capital letter
or digit come next, unless the word before the stop is a known abbreviation or an initial.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from index.models import Passage, PassageKind, Source

SEGMENTER_VERSION = 4
MAX_PASSAGE_CHARS = 1000  # longer runs (no sentence break) are cut at spaces: bounded quotes and embeddings

ABBREVIATIONS = frozenset(
    """mr mrs ms messrs mmes dr prof sen sens rep reps gov govs gen gens lt col sgt capt adm cmdr maj pvt cpl
    st jr sr inc corp co ltd atty supt ret
    vs fig jan feb mar apr jun jul aug sep sept oct nov dec mt ft ave blvd rev hon pres
    supt det insp sec dept est approx min max vol etc al""".split()
)

_BOUNDARY = re.compile(r"""[.!?…]+[”"’'»)\]]*(?=\s+[“"‘'«(\[]*[A-Z0-9À-ÖØ-Þ])""")
_PARAGRAPH = re.compile(r"[^\n]+")
_QUOTE_MARK = re.compile(r'[“”"]')
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def _is_abbreviation(paragraph: str, stop: int) -> bool:
    """Tell whether the full stop at `stop` closes an abbreviation or initial, not a sentence."""
    if paragraph[stop] != ".":
        return False
    match = _WORD_BEFORE.search(paragraph, max(0, stop - 64), stop)  # a bounded look-back keeps this linear
    if not match:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():
        return True  # an initial: "George W. Bush"
    if "." in word:
        return True  # dotted acronym: "U.S.", "a.m."
    if word.lower() in ("no", "nos"):
        return paragraph[stop + 1 : stop + 3].strip()[:1].isdigit()  # "No. 5", not "said no."
    return word.lower() in ABBREVIATIONS


def _closed_quotations(body: str) -> list[tuple[int, int]]:
    """The (opening, closing) offsets of each quotation that closes within the paragraph.

    A quotation that spans sentence ends stays one passage, so a quote keeps its attribution
    ("…curators. We trust…," Shoigu was quoted as saying). An unclosed quotation does not merge.
    Computed once per paragraph: asking per full stop would make long paragraphs quadratic.
    """
    spans = []
    opened_at = None
    for match in _QUOTE_MARK.finditer(body):
        mark, at = match.group(0), match.start()
        is_open = mark == "“" or (mark == '"' and opened_at is None)
        if opened_at is None and is_open:
            opened_at = at
        elif opened_at is not None and not (mark == "“"):
            spans.append((opened_at, at))
            opened_at = None
    return spans


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    """Tell whether `position` lies inside one of the (open, close] quotation spans (sorted, disjoint)."""
    at = bisect.bisect_left(spans, (position, -1)) - 1
    return at >= 0 and spans[at][0] < position <= spans[at][1]


# A short tail that only attributes the quotation before it: `“Why now?” Walsh asked.`
_ATTRIBUTION_TAIL = re.compile(
    r"^(?:[\w.'’-]+\s){0,3}(?:said|says|asked|asks|added|adds|wrote|writes|continued|recalled|explained|noted|"
    r"replied|insisted|argued|tweeted|told\s[\w.'’-]+)\.$"
)


def sentence_spans(text: str) -> Iterator[tuple[int, int, int]]:
    """Yield (start, end, paragraph number) for each sentence; `text[start:end]` is the sentence."""
    for number, para in enumerate(_PARAGRAPH.finditer(text)):
        base = para.start()
        body = para.group(0)
        spans: list[tuple[int, int, int]] = []
        cursor = 0
        quotations = _closed_quotations(body)
        for stop in _BOUNDARY.finditer(body):
            if _is_abbreviation(body, stop.start()) or _inside(quotations, stop.end()):
                continue
            spans += _trimmed(body, base, cursor, stop.end(), number)
            cursor = stop.end()
        spans += _trimmed(body, base, cursor, len(body), number)
        yield from _attach_attributions(text, spans)


def _attach_attributions(text: str, spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Join an attribution tail ("Walsh asked.") to the quoted sentence it attributes."""
    out: list[tuple[int, int, int]] = []
    for start, end, number in spans:
        if out and _ATTRIBUTION_TAIL.match(text[start:end]) and text[out[-1][1] - 1] in "”\"’'?!":
            out[-1] = (out[-1][0], end, number)
        else:
            out.append((start, end, number))
    return out


def _trimmed(body: str, base: int, start: int, end: int, number: int) -> list[tuple[int, int, int]]:
    piece = body[start:end]
    stripped = piece.strip()
    if not stripped:
        return []
    lead = len(piece) - len(piece.lstrip())
    return _capped(body, base, start + lead, start + lead + len(stripped), number)


def _capped(body: str, base: int, start: int, end: int, number: int) -> list[tuple[int, int, int]]:
    """Cut a run-on "sentence" longer than MAX_PASSAGE_CHARS at spaces, so no passage (or quote) is huge."""
    out = []
    while end - start > MAX_PASSAGE_CHARS:
        cut = body.rfind(" ", start + MAX_PASSAGE_CHARS // 2, start + MAX_PASSAGE_CHARS)
        cut = cut if cut > start else start + MAX_PASSAGE_CHARS
        piece_end = cut
        while piece_end > start and body[piece_end - 1].isspace():
            piece_end -= 1
        out.append((base + start, base + piece_end, number))
        start = cut
        while start < end and body[start].isspace():
            start += 1
    if end > start:
        out.append((base + start, base + end, number))
    return out


# --- page furniture -------------------------------------------------------------------------------

_FURNITURE_LINE = re.compile(
    r"""^(enlarge\s+(image|photo|picture)|photo(graph)?s?:?|image:?|picture:?|video:?|caption:?|
    credit:?|advertisement|read\s+more.*|click\s+here.*|share\s+this.*|related:.*|see\s+also:.*|
    (photo|image)\s*(credit)?:.*|©.*|copyright.*|all\s+rights\s+reserved.*|site\s+(mobile\s+)?navigation|
    supported\s+by|continue\s+reading(\s+the\s+main\s+story)?|skip\s+to\s+(main\s+)?content)$""",
    re.IGNORECASE | re.VERBOSE,
)
# A credit ("Uncredited / dpa", "John Doe/AP") or a wire sign-off ("vet/AFP/AP", "dpa/reuters").
_CREDIT_LINE = re.compile(r"^[\w .'’-]{0,40}\s?/\s?[\w .'’/-]{1,40}$")
_TERMINAL = re.compile(r"""[.!?…]["”’'»)\]]*$""")


def looks_like_credit(line: str) -> bool:
    """Tell whether a line is a photo credit or a wire sign-off ("Uncredited / dpa", "vet/AFP/AP")."""
    return bool(_CREDIT_LINE.match(line)) and len(line.split()) <= 6 and not _TERMINAL.search(line)


def _is_caption_marker(line: str) -> bool:
    return bool(_FURNITURE_LINE.match(line)) or looks_like_credit(line)


# A dateline opens a report's body: "WASHINGTON — ", "WEST PALM BEACH, Fla. — ", "TEL AVIV (Reuters) - ",
# or a wire's name with the date or alone: "April 29 (UPI) — ", "(CNN) — ".
_DATELINE = re.compile(r"^(?:(?=[A-Z.'’ ]*[A-Z]{3})[A-Z][A-Z.'’]+(?: [A-Z.'’]+){0,3}"
                       r"(?:, [A-Z][\w.'’]*(?: [A-Z\d][\w.'’]*){0,2})?(?: \([A-Za-z .]+\))?"
                       r"|(?:[A-Z][a-z]{2,8}\.? \d{1,2}(?:, \d{4})? )?\([A-Z][A-Za-z .]{1,30}\)) ?[—–―-]{1,2} ")
DATELINE_WITHIN = 5  # paragraphs from the top where a dateline marks what came before it as headline matter
HEADLINE_MATTER_WORDS = 50  # …when each is this short (standfirsts and captions are; report paragraphs may not be)


def dateline_at(paragraphs: list[str]) -> int | None:
    """The index of the first paragraph among the top ones that opens with a dateline, if any."""
    for i, line in enumerate(paragraphs[:DATELINE_WITHIN]):
        if _DATELINE.match(line.strip()):
            return i
    return None


def classify_paragraphs(paragraphs: list[str]) -> list[PassageKind]:
    """Label each paragraph body, headline or furniture (photo markers, captions, credits, sign-offs).

    What stands above a dateline — a headline, a standfirst, a caption, a video blurb — is the editors'
    matter, not the report: it is labelled headline, whatever its punctuation."""
    kinds: list[PassageKind] = []
    body_starts = dateline_at(paragraphs) or 0
    if any(len(p.split()) > HEADLINE_MATTER_WORDS for p in paragraphs[:body_starts]):
        body_starts = 0  # report text stands above it: that "dateline" opens a later section
    for i, line in enumerate(paragraphs):
        line = line.strip()
        unpunctuated_short = not _TERMINAL.search(line) and len(line.split()) <= 14
        neighbours = paragraphs[max(0, i - 1) : i] + paragraphs[i + 1 : i + 2]
        if _is_caption_marker(line):
            kinds.append("furniture")
        elif unpunctuated_short and any(_is_caption_marker(n.strip()) for n in neighbours):
            kinds.append("furniture")  # a photo caption sits between photo markers
        elif i < body_starts or (i == 0 and unpunctuated_short):
            kinds.append("headline")
        else:
            kinds.append("body")
    return kinds


def paragraphs(text: str) -> list[tuple[int, re.Match]]:
    """The text's non-blank paragraphs (lines), each with the number `sentence_spans` gives it."""
    return [(n, m) for n, m in enumerate(_PARAGRAPH.finditer(text)) if m.group(0).strip()]


def split_passages(source: Source) -> list[Passage]:
    """Split a source's stored text into passages labelled body, headline or furniture."""
    text = source.text
    found = paragraphs(text)
    kind_of = dict(zip([n for n, _ in found], classify_paragraphs([m.group(0) for _, m in found])))
    return [
        Passage(
            source_id=source.source_id,
            start=start,
            end=end,
            text=text[start:end],
            kind=kind_of.get(number, "body"),
            paragraph=number,
            ordinal=ordinal,
        )
        for ordinal, (start, end, number) in enumerate(sentence_spans(text))
    ]
