"""Who said it: the speaker a sentence attributes its content to, as written, with its offsets.

Rules over reporting verbs and "according to": "X said …", "…, X said.", "…, said X.", "X, a spokeswoman
for Y, said", "X was quoted as saying", "according to X", "it was said … from X", "X defended …, saying".
The speaker is the noun phrase the rule points at, trimmed of conjunctions, adverbs and a dateline
("COLUMBUS, Ohio — "); a candidate that reads like a clause rather than a name is refused, so the rules
prefer saying nothing to naming the wrong speaker.

Only reported speech counts. A verb that also names an act ("declared martial law", "announced a state of
emergency", "called a meeting") reports speech only with content after it (a that-clause, a quotation, a
colon) or at the tail of the content ("…, the army declared."); otherwise the sentence is the reporter's own.
A reporting verb inside a quotation is the quoted person's wording, not an attribution.

A pronoun speaker ("…, he said.") is resolved by `attribute` to the speaker of the nearest earlier sentence
that names one, when that speaker is a named person and no other person is named in between; else the
quote gets no attribution.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel

VERBS = (r"said|says|told|tells|added|adds|stated|states|stressed|stresses|insisted|insists|warned|warns|claimed|"
         r"claims|denied|denies|announced|announces|noted|notes|explained|explains|argued|argues|wrote|writes|"
         r"tweeted|tweets|emphasi[sz]ed|emphasi[sz]es|declared|declares|asserted|asserts|confirmed|confirms|"
         r"reported|reports|acknowledged|acknowledges|admitted|admits|alleged|alleges|charged|charges|"
         r"maintained|maintains|recalled|recalls|replied|replies|responded|responds|countered|counters|"
         r"predicted|predicts|suggested|suggests|conceded|concedes|cautioned|cautions|vowed|vows|promised|"
         r"promises|urged|urges|asked|asks|continued|mused|quipped|remarked|observed|testified|posted|indicated|"
         r"indicates|disclosed|discloses|repeated|repeats|described|describes|called|calls|concluded|concludes")
# Verbs that also name an act: speech only with content after them, or at the tail of the content.
_ACT_VERBS = frozenset("declared declares announced announces confirmed confirms charged charges recalled recalls "
                       "continued posted maintained maintains observed called calls responded responds added adds "
                       "claimed claims concluded concludes alleged alleges countered counters".split())
_CONTENT_AFTER = re.compile(
    r"^(?:\s+(?:\w+ly|also|again|later|earlier|today|yesterday|tonight|Monday|Tuesday|Wednesday|Thursday|Friday|"
    r"Saturday|Sunday|(?:on|last|this)\s+\w+day|(?:morning|afternoon|evening|night)|in\s+an?\s+(?:[\w-]+\s+){0,2}"
    r"(?:statement|interview|post|tweet|letter|email|release|speech|video|address)|to\s+reporters))*"
    r"\s*(?:$|[,.;:!?“”\"‘']|(?:that|whether|if|how|why|what)\b"
    r"|(?:it|he|she|they|we|there)\s+(?:was|is|were|are|had|has|would|will|could|did)\b)")
_REPORTED_ACT = re.compile(r"^\s+(?:\w+ing|to|being)\b")  # "reported having a fever": what she did, not words
# Verbs that may come before their speaker ("…," said Lecornu); "…," told Reuters names the listener.
_INVERTED = (r"said|says|added|adds|asked|asks|wrote|writes|explained|noted|continued|recalled|replied|insisted|"
             r"argued|stated|declared|warned|cautioned|countered|responded|acknowledged|conceded|remarked|observed|"
             r"quipped|mused|tweeted|announced|confirmed")
_NOT_SPEAKER_START = {"it", "this", "that", "there", "which", "who", "what", "when", "where", "if", "as", "while",
                      "though", "although", "since", "because", "despite", "unless", "until", "once", "after", "before",
                      "on", "in", "at", "for", "from", "with", "by", "during", "over", "under", "without", "within",
                      "to", "of", "about", "among", "amid", "across", "through", "last", "earlier"}
_LEADING = re.compile(r"^(?:(?:but|and|yet|so|also|then|meanwhile|however|still|now|later|instead)\b[,\s]*)+",
                      re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s+(?:then|also|later|again|reportedly|previously|initially|originally|first|once|had|"
                       r"has|have|has\s+long|flatly|publicly|privately|repeatedly|explicitly|firmly|quickly|recently|"
                       r"on\s+\w+day))+$", re.IGNORECASE)
_CLAUSE_WORDS = re.compile(r"\b(?:is|are|was|were|be|been|being|would|will|could|should|can|do|does|did|not|"
                           r"that|which|who|whom|because|if|when|while|after|before|than|but|\w+n['’]t|"
                           r"(?:here|there|it|that|what|who|where|how)['’]s)\b", re.IGNORECASE)
_QUOTES = "“”\"'‘’«»"
_DASH = r"(?:—|–|--|-)"
# "DALLAS — ", "ANNAPOLIS, Md. (Reuters) - ", "SAINT-LOUIS, France -- ", "(CNN) — ", "April 29 (UPI) — "
_DATELINE = re.compile(
    rf"\W*(?:(?:[A-Z][A-Z.'’/-]+(?:\s+[A-Z][A-Z.'’/-]+)*"
    rf"|[A-Z][\w.'’/-]*(?:\s+[A-Z][\w.'’/-]*)*,\s*[A-Z][\w.'’]*(?:\s+[A-Z][\w.'’]*)*)(?:\s*\([A-Za-z. ]{{1,30}}\))?"
    rf"|(?:[A-Z][a-z]+\.?\s+\d{{1,2}}\s+)?\([A-Za-z. ]{{1,30}}\))"
    rf"\s+{_DASH}\s+")
_DATELINE_IN_SPEAKER = re.compile(rf"(?:[A-Z][\w.'’]*\s+){{0,2}}[A-Z][\w.'’]*\s+{_DASH}\s+")
_DETERMINERS = {"the", "a", "an", "those", "his", "her", "its", "their", "officials", "sources", "media", "reports",
                "analysts", "critics", "experts", "people", "one", "two", "several", "he", "she", "they", "we", "i",
                "another", "that", "authorities", "police", "investigators", "prosecutors", "witnesses", "residents",
                "aides", "doctors", "scientists", "researchers", "economists", "lawmakers", "diplomats", "activists"}
# Lower-case words that may lead a speaker when a name follows: "press secretary Chip Unruh".
_TITLES = frozenset("""spokesman spokeswoman spokesperson secretary press chief executive director minister president
    officer official commissioner lawyer attorney prosecutor judge senator governor mayor chairman chairwoman chair
    ceo leader deputy assistant adviser advisor analyst economist professor researcher correspondent reporter editor
    broadcaster agency counsel manager founder captain commander general colonel sergeant lieutenant ambassador
    envoy aide representative rep sen gov gen col lt capt sgt dr mr mrs ms pres prime coach""".split())
_BARE_DETERMINERS = {"the", "a", "an", "his", "her", "its", "their", "another", "that", "those"}
_PRONOUNS = {"he", "she"}
_DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "yesterday"}

_AFTER_START = r"(?:^\W*|[,;“”\"]\s*)"
_RULES = [
    # according to Paris, … / according to reports from Moscow, … / according to the U.S. Fire Administration.
    re.compile(r"\baccording to (?P<s>(?:[^,.;:“”\"]|(?<=\b[A-Z])\.){2,80}?)"
               r"(?=[,;:]|(?<!\b[A-Z])\.|\s+(?:on|in|at|after|who|that|which)\s|$)", re.IGNORECASE),
    # Shoigu was quoted as saying
    re.compile(r"(?:^|[,;“”\"]\s*)(?P<s>[^,;“”\"]{2,80}?)\s+(?:was|were|is|are)\s+quoted\s+as\s+(?:saying|telling)\b",
               re.IGNORECASE),
    # it was said shortly afterwards from those directly close to the ministry / it is also said from Russia that
    re.compile(r"\bit\s+(?:was|is|has\s+been)\s+(?:also\s+)?said\b[^.]*?\bfrom\s+(?P<s>[^,.;:“”\"]{2,90}?)"
               r"(?=\s+that\b|[,.;:]|\s+in\s+the\b|$)", re.IGNORECASE),
    # Mary Rasmussen, spokeswoman for the team, said … / …," Sen. John McCain, R-Ariz., said in a statement.
    re.compile(rf"{_AFTER_START}(?P<s>(?:[A-Z][\w.'’-]*\s+(?:and\s+)?){{0,5}}[A-Z][\w'’-]*[\w'’])"
               rf"(?P<of>\s+(?:of|for|from|at)\s+[^,;:“”\"]{{2,60}}?)?"
               rf"(?P<app>(?:,\s+[^,;:“”\"]{{2,110}}?){{0,3}}),\s+(?P<v>{VERBS})\b(?=[\s.,;:]|$)"),
    # …," said Lecornu. / …, said a spokesman for the ministry.
    re.compile(rf"[,“”\"]\s*(?P<tv>{_INVERTED})\s+"
               rf"(?P<s>(?:the\s+|a\s+|an\s+)?(?:[a-z]+\s+){{0,3}}[A-Z][^,.;:“”\"]{{1,70}}?)"
               rf"(?=[,.;:]|\s+(?:in|on|at|after|to)\s|$)"),
    # …, the Russian Defense Ministry said. / …,” Shoigu then said to Lecornu.
    re.compile(rf"[,“”\"?!]\s*(?P<s>[^,;“”\"]{{2,80}}?)\s+(?P<v>{VERBS})\b(?=[\s.,;:]|$)"),
    # The Russian Defense Ministry said after the phone call … / But Shoigu insisted that …
    re.compile(rf"^\W*(?P<s>[^,;“”\"]{{2,80}}?)\s+(?P<v>{VERBS})\b(?=\s|[.,:]|$)"),
    # Last week, the hospital defended the quality of care, saying … / The White House issued a statement saying …
    re.compile(r"(?:^[^,;“”\"]{2,60},\s+|^\W*)(?P<s>(?:the\s+|a\s+|an\s+)?[A-Za-z][^,;“”\"]{1,60}?)"
               r"\s+(?:also\s+|again\s+)?(?:[a-z]+ed|began|made|took|gave|spoke|held|sent|went|came)\b"
               r"[^;“”\"]{0,120}?(?:,\s*|\bby\s+|\bstatement\s+)saying\b"),
]


class Attribution(BaseModel):
    """The speaker as written in the source: `source_text[start:end] == speaker`."""

    speaker: str
    start: int
    end: int


def _speaker(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim a candidate span to the speaker's noun phrase, or None when it is no plausible speaker."""
    dateline = _DATELINE_IN_SPEAKER.match(text, start, end)
    if dateline:
        start = dateline.end()
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
    if not 1 <= len(words) <= 12 or words[0].lower() in _NOT_SPEAKER_START or _CLAUSE_WORDS.search(piece):
        return None
    if len(words) == 1 and words[0].lower() in _BARE_DETERMINERS:
        return None
    first = re.sub(r"['’]\w*$", "", words[0]).lower()
    contracted_or_led = len(words) > 1 or first != words[0].lower()  # "They detail the…", "They’ve"
    if first in _DAYS or first in _PRONOUNS | {"i", "we", "they", "you"} and contracted_or_led:
        return None
    if not (words[0][0].isupper() or words[0].lower() in _DETERMINERS or _title_led(words)):
        return None
    if any(c in piece for c in _QUOTES if c not in "'’") or any(w[:1] in "'’" for w in words):
        return None
    return start, end


_FUNCTION_WORDS = frozenset("as even though although since until unless whether so and or but nor for of in on at "
                            "to by with from into than then".split())


def _title_led(words: list[str]) -> bool:
    """Tell whether lower-case words lead a name through a title: "press secretary Chip Unruh"."""
    lower = [w.lower().strip(".") for w in words if not w[0].isupper()]
    return (any(w[0].isupper() for w in words) and any(w.lower().strip(".") in _TITLES for w in words)
            and all(w in _TITLES or w.isalpha() and w not in _FUNCTION_WORDS for w in lower))


def _quotations(sentence: str) -> list[tuple[int, int]]:
    """The (open, close) offsets of the quotations that close within the sentence; none when its straight quotes
    are unbalanced, as inside and outside cannot be told apart."""
    if sentence.count('"') % 2:
        return []
    spans, opened = [], None
    for match in re.finditer(r"[“”\"]", sentence):
        mark, at = match.group(0), match.start()
        if opened is None and mark != "”":
            opened = at
        elif opened is not None and mark != "“":
            spans.append((opened, at))
            opened = None
    return spans


def _reports_speech(sentence: str, match: re.Match, quotations: list[tuple[int, int]]) -> bool:
    """Tell whether the rule's verb reports speech: outside a quotation, and with content when it can name an act
    (`tv`, a verb before its speaker, follows its content)."""
    group = next((g for g in ("v", "tv") if match.groupdict().get(g)), None)
    if group is None:
        return True
    at, after = match.start(group), match.end(group)
    if any(open_ < at < close for open_, close in quotations):
        return False
    if group == "tv":
        return True
    verb = match.group("v").lower()
    rest = sentence[after:]
    if verb in ("reported", "reports") and _REPORTED_ACT.match(rest):
        return False
    if verb in _ACT_VERBS:
        return bool(_CONTENT_AFTER.match(rest)) or any(open_ >= after for open_, _ in quotations)
    return True


def _fits(sentence: str, match: re.Match) -> bool:
    """Tell whether a name-and-title match names the subject: "Chairman of X, Tom Perez, said" names Tom Perez,
    and in "…, standing beside his wife, Samantha, said" the name belongs to "his wife", not to the speaker."""
    groups = match.groupdict()
    if "app" not in groups:
        return True
    if groups["of"] and len(groups["s"].split()) < 2:
        return False
    if groups["app"] or groups["of"]:
        return True
    before = sentence[: match.start("s")].rstrip()
    if not before.endswith(","):
        return True
    boundary = max(before[:-1].rfind(c) for c in ',;“”"')
    return boundary < 0 or before[boundary] in '“”"'


def _overlapping(rule: re.Pattern, sentence: str) -> Iterator[re.Match]:
    """Each match of `rule`, each one starting after the previous one's start: a refused match must not hide
    the one inside it ("Chairman of the board, Ana Ruiz, said")."""
    at = 0
    while (match := rule.search(sentence, at)) is not None:
        yield match
        at = match.start() + 1


def attribute_sentence(text: str, start: int, end: int) -> Attribution | None:
    """The speaker the sentence `text[start:end]` names, as written (a pronoun stays a pronoun), or None."""
    text = text.replace("''", '" ')  # a closing quotation typed as two apostrophes; offsets unchanged
    dateline = _DATELINE.match(text, start, end)
    if dateline:
        start = dateline.end()
    sentence = text[start:end]
    quotations = _quotations(sentence)
    for rule in _RULES:
        for match in _overlapping(rule, sentence):
            if not (_reports_speech(sentence, match, quotations) and _fits(sentence, match)):
                continue
            span = _speaker(text, start + match.start("s"), start + match.end("s"))
            if span is not None and not any(o <= span[0] - start < c for o, c in quotations):
                return Attribution(speaker=text[span[0] : span[1]], start=span[0], end=span[1])
    return None


# --- pronouns ---------------------------------------------------------------------------------------

_ORG_WORDS = frozenset("""house ministry department news post times agency office council committee court army police
    party senate congress government administration commission center centers centre hospital university institute
    service bureau association union organization network journal press reuters watch group company corp inc board
    authority force forces navy guard patrol embassy kremlin pentagon vatican reserve bank exchange foundation
    campaign movement church monitor magazine channel radio tv television division department's airlines airline
    airport station county city state states street school team regime""".split())
_CALENDAR = frozenset("""monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december""".split())
_GROUPS = frozenset("officials sources authorities experts analysts people residents police officers aides members "
                    "leaders reports media".split())
_NAME_RUN = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|bin|al|la|le|da|du))*")
_PLACE_BEFORE = re.compile(r"\b(?:in|at|from|near|across|into|throughout|on|outside|of)\s+$")
_ARTICLE_BEFORE = re.compile(r"\b(?:the|a|an|his|her|its|their|our)\s+$", re.IGNORECASE)
_DEMONYM = re.compile(r"(?:ish|ese|ian|ican|ean|ench|ern|ic)$")
_PERSON_TITLES = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Gov|Sen|Rep|Gen|Lt|Col|Capt|Sgt|Adm|President|Secretary|Minister|"
                            r"Chancellor|Mayor|Judge|Justice|Pope|King|Queen|Prince|Chief|spokes(?:wo)?man|"
                            r"spokesperson|secretary|minister|chief|director|officer|mayor|governor|senator|president)\b\.?")


def _name_tokens(run: str) -> list[str]:
    """The tokens of a capitalized run that can be part of a person's name (not org, calendar or acronym words)."""
    tokens = [t.rstrip(".").removesuffix("'s").removesuffix("’s") for t in run.split()]
    if any(t.lower() in _ORG_WORDS for t in tokens):
        return []
    return [t for t in tokens if t[:1].isupper() and t.lower() not in _CALENDAR and not t.isupper()
            and "." not in t and not re.match(r"^[RDI]-", t)]


def _named_person(text: str, speaker: str) -> bool:
    """Tell whether a speaker names a person (not an institution, a place or "the official")."""
    runs = list(_NAME_RUN.finditer(speaker))
    if not runs or runs[-1].end() != len(speaker.rstrip()) or _GROUPS.intersection(speaker.lower().split()):
        return False  # the head is lower case ("A White House official") or a group ("French officials")
    capitalized = [t for t in _name_tokens(runs[-1].group(0)) if t.lower() not in ("the", "a", "an", "another")]
    if not capitalized:
        return False
    if len(capitalized) >= 2 or _PERSON_TITLES.search(speaker):
        return True
    # A surname alone is a person when the source also gives it a first name: "Rawlings" and "Mike Rawlings".
    surname = re.escape(capitalized[-1])
    return any(m.group(1).lower() not in _ORG_WORDS
               for m in re.finditer(rf"\b([A-Z][a-z]+)\.?\s+{surname}\b(?!\s+[A-Z0-9])", text))


def _only_opens(text: str, word: str, alone: bool) -> bool:
    """Tell whether a sentence's first word is a common word: written in lower case elsewhere, or, alone, never
    capitalized after a lower-case word ("Recovery operations…" but not "Duncan initially…", "with Duncan")."""
    word = re.escape(word)
    return bool(re.search(rf"\b{word.lower()}\b", text)) or alone and not re.search(rf"[a-z,]\s+{word}\b", text)


def _names_someone(text: str, start: int, end: int) -> bool:
    """Tell whether `text[start:end]`, outside its quotations, mentions someone who could be a pronoun's antecedent."""
    piece = text[start:end]
    quoted = _quotations(piece)
    sentence_start = len(piece) - len(piece.lstrip(" \"“'‘("))
    for run in _NAME_RUN.finditer(piece):
        if any(o < run.start() < c for o, c in quoted):
            continue
        words = run.group(0).split()
        if run.start() == sentence_start and _only_opens(text, words[0], alone=len(words) == 1):
            words = words[1:]  # a capital that only opens the sentence: "People are…", "Recovery operations…"
        if not words or _PLACE_BEFORE.search(piece[: run.start()]) or _ARTICLE_BEFORE.search(piece[: run.start()]):
            continue
        follows = piece[run.end() : run.end() + 2]
        if len(words) == 1 and _DEMONYM.search(words[0]) and follows[:1] == " " and follows[1:2].islower():
            continue  # "Spanish officials", "Russian minister"
        if _name_tokens(" ".join(words)):
            return True
    return False


def _resolve(text: str, found: Attribution, at: tuple[int, int],
             sentences: list[tuple[int, int]]) -> Attribution | None:
    """The named person a pronoun speaker stands for, from the nearest earlier sentence naming a speaker, or None."""
    if found.speaker.lower() not in _PRONOUNS:
        return None
    if _names_someone(text, at[0], found.start):
        return None
    earlier = [s for s in sentences if s[1] <= at[0]][::-1][:4]
    for start, end in earlier:
        candidate = attribute_sentence(text, start, end)
        if candidate is None:
            if _names_someone(text, start, end):
                return None
            continue
        if candidate.speaker.lower() in _PRONOUNS:
            if candidate.speaker.lower() != found.speaker.lower():
                return None
            continue  # the same pronoun again: its antecedent is ours
        return candidate if _named_person(text, candidate.speaker) else None
    return None


def _named(text: str, found: Attribution | None, at: tuple[int, int],
           sentences: list[tuple[int, int]]) -> Attribution | None:
    """The attribution with a pronoun resolved; a pronoun that resolves to no named person gives None."""
    if found is None or found.speaker.lower() not in _PRONOUNS | {"i", "we", "they", "it"}:
        return found
    return _resolve(text, found, at, sentences)


_LEANS = re.compile(r"^[“\"‘']?(?:otherwise|this|these|such)\b", re.IGNORECASE)


def attribute(text: str, span: tuple[int, int], sentences: list[tuple[int, int]],
              main: tuple[int, int] | None = None) -> Attribution | None:
    """Who a quote `text[span]` is attributed to: by its own sentences (`main`, the one the quote is about,
    first), else by the sentence before it when the quote opens with a quotation or leans on that sentence
    ("Otherwise, France would…"). A pronoun speaker becomes the named person it stands for, or None.

    `sentences` are the (start, end) spans of the source's sentences in reading order.
    """
    inside = [s for s in sentences if span[0] <= s[0] and s[1] <= span[1]] or [span]
    if main in inside:
        inside.remove(main)
        inside.insert(0, main)
    for start, end in inside:
        found = attribute_sentence(text, start, end)
        if found is not None:
            return _named(text, found, (start, end), sentences)
    before = [s for s in sentences if s[1] <= span[0]]
    opening = text[span[0] : span[1]].lstrip()
    if before and (opening[:1] in _QUOTES or _LEANS.match(opening)):
        previous = before[-1]
        if "\n" not in text[previous[1] : span[0]]:  # the same paragraph
            return _named(text, attribute_sentence(text, *previous), previous, sentences)
    return None
