"""Per-outlet evidence selection: rank each source's sentences, decide answerability, compose quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from retrieval.answerability import answerability
from retrieval.attribution import attribute
from retrieval.answer_type import answer_type_matches
from retrieval.fusion import convex, max_normalize
from retrieval.lexical import QuestionTerms, StoryLexicon
from retrieval.models import OutletAnswer, Passage, Quote, Source
from index.sentences import looks_like_credit

# A sentence that opens with a pronoun or a connective, or uses a demonstrative as a pronoun ("denied this a little
# later"), leans on the sentence before it; the quote then includes that sentence too.
_TIME_NOUNS = (r"week|weekend|month|year|morning|afternoon|evening|night|time|day|spring|summer|fall|autumn|"
               r"winter|season|decade|century|quarter|term|session")
# A sentence that opens with a connective ("However, the talks were broken off", "Otherwise, France
# would…") continues the one before it just as a pronoun does.
_CONNECTIVES = (r"however|otherwise|instead|nevertheless|nonetheless|therefore|thus|hence|still|yet|but|"
                r"as a result|in response|in turn|by contrast|even so|afterwards?|in addition|moreover|"
                r"at the same time|despite this|because of this|for this reason")
_ANAPHORIC_OPENING = re.compile(
    rf"^[“\"‘']?(?:(?:he|she|it|they|such|his|her|its|their|him|them)\b|(?:{_CONNECTIVES})\b|"
    rf"(?:this|that|these|those)\b(?!\s+(?:{_TIME_NOUNS})s?\b))",
    re.IGNORECASE,
)
# "denied this a little later", "rejected that": a demonstrative standing for what came before. "that"
# after a verb is usually a conjunction ("said that the…"), so only this/these/those count mid-sentence.
_DEMONSTRATIVE_PRONOUN = re.compile(
    r"\b(this|these|those)\b(?=\s*(?:[,.;:!?”\"]|$|\s(?:a|an|the|to|in|on|at|as|is|was|were|are|and|but|or|"
    r"shortly|later|earlier|too|either|immediately|outright|strongly|firmly)\b))"
    r"|\bthat\b(?=\s*(?:[,.;:!?”\"]|$|\s(?:shortly|later|earlier|too|either|immediately|outright|strongly|"
    r"firmly)\b))",
    re.IGNORECASE,
)
_PHOTO = re.compile(r"\b(photo(graph|grapher)?s?|pictures?|images?|captions?)\b", re.IGNORECASE)
MAX_QUOTE_CHARS = 700


# "It looks like…", "It is unclear whether…", "It is also said from Russia that…": an expletive "it"
# points at nothing before it.
_EXPLETIVE_IT = re.compile(
    r"^[“\"‘']?it\s+(?:is|was|seems|seemed|appears|appeared|looks|looked|remains|remained|has\s+been|had\s+been)"
    r"\b(?:(?:\s+[\w’'-]+){0,3}?\s+(?:that|to|like|whether|if)\b|(?:\s+(?:also|now|widely|not|further))?\s+"
    r"(?:said|reported|claimed|believed|understood|thought|expected|known|alleged|rumou?red|feared|hoped)\b(?:\s+[\w’'-]+){0,4}?\s+(?:that|to)\b)",
    re.IGNORECASE,
)


_OWN_QUESTION = re.compile(r"""\?[)\]]*\s*$""")
_OPENING_QUOTE = re.compile(r"""^\s*[“"‘'«]""")


@lru_cache(maxsize=65536)
def asks_a_question(sentence: str) -> bool:
    """Tell whether the writer asks a question here ("So who is Dave Brat?"), not reports one in quotes."""
    return bool(_OWN_QUESTION.search(sentence)) and not _OPENING_QUOTE.match(sentence)


@lru_cache(maxsize=65536)
def is_anaphoric(sentence: str) -> bool:
    """Tell whether a sentence depends on the one before it to be understood."""
    text = sentence.strip()
    opening = bool(_ANAPHORIC_OPENING.match(text)) and not _EXPLETIVE_IT.match(text)
    return opening or bool(_DEMONSTRATIVE_PRONOUN.search(sentence))


@dataclass
class Candidate:
    """A sentence (by catalog passage id) with its evidence for one question."""

    pid: int  # the catalog passage id
    dense: float
    lexical: float
    coverage: float
    predicate: float  # coverage of the question's terms other than names
    typed: int  # how many of the kinds of answer the question asks for it holds (a person, a time, an age…)
    relevance: float
    span: tuple[int, int]  # offsets of the quote: the sentence, joined by its antecedent or by a sentence leaning on it
    sentence: tuple[int, int] | None = None  # offsets of the ranked sentence itself (its speaker comes first)
    reader: float = 0.0  # the reader's probability that the quote states what was asked (0 when not read)


@dataclass
class Calibration:
    """Weights and the bar for answerability; stored in Settings, fitted by `storybot calibrate`."""

    dense_weight: float
    type_weight: float
    headline_penalty: float
    weights: tuple[float, ...]
    bias: float
    threshold: float
    second_ratio: float
    antecedents: bool = True  # quote the sentence before an anaphoric one
    reader_weight: float = 0.0  # how much the reader's probability adds to a read candidate's relevance
    question_penalty: float = 0.0  # taken off a sentence in which the writer asks a question


def rank_source(
    passages: list[Passage],
    dense: np.ndarray,
    lexicon: StoryLexicon,
    question: QuestionTerms,
    bm25_story: np.ndarray,
    calibration: Calibration,
) -> list[Candidate]:
    """Rank one source's body sentences (`passages` in reading order, `dense` their cosines).

    Furniture never competes as evidence. Neighbours are the sentences before and after in the same
    source, by ordinal.
    """
    bm25_normalized = max_normalize(bm25_story)  # over the whole story, so outlets are comparable
    kinds = question.kinds
    candidates = []
    for k, (passage, cosine) in enumerate(zip(passages, dense.tolist())):
        if passage.kind == "furniture":
            continue
        pid = passage.pid
        positions = [lexicon.position[pid]]
        span = (passage.start, passage.end)
        previous = _body_sentence(passages, k - 1)
        if calibration.antecedents and previous is not None and is_anaphoric(passage.text) and passage.end - previous.start <= MAX_QUOTE_CHARS:
            positions.insert(0, lexicon.position[previous.pid])
            span = (previous.start, passage.end)
        lexical = float(bm25_normalized[lexicon.position[pid]])
        coverage = lexicon.coverage(question, positions)
        following = _body_sentence(passages, k + 1)
        if (calibration.antecedents and len(positions) == 1 and following is not None and is_anaphoric(following.text)
                and following.end - passage.start <= MAX_QUOTE_CHARS
                and lexicon.coverage(question, positions + [lexicon.position[following.pid]]) > coverage):
            # The next sentence leans on this one ("The ministry denied this…") and adds what the question
            # asks about: the quote carries on into it. The score stays this sentence's own.
            span = (passage.start, following.end)
        predicate = lexicon.coverage(question.predicate, positions)
        typed = answer_type_matches(passage.text, kinds, question.text)
        relevance = float(convex(cosine, 0.5 * lexical + 0.5 * coverage, calibration.dense_weight))
        relevance += calibration.type_weight * typed
        if passage.kind == "headline":
            relevance -= calibration.headline_penalty  # an editor's summary, seldom the reported detail
        if asks_a_question(passage.text):
            relevance -= calibration.question_penalty  # "Who is Dave Brat?" echoes the question, never answers it
        candidates.append(Candidate(pid, float(cosine), lexical, coverage, predicate, typed, relevance, span,
                                    (passage.start, passage.end)))
    candidates.sort(key=lambda c: -c.relevance)
    return candidates


def rerank(candidates: list[Candidate], probabilities: list[float], weight: float) -> list[Candidate]:
    """Add the reader's weighted probability to the first candidates' relevance and re-sort those.

    Only the candidates the reader read (the first `len(probabilities)`) move; the rest keep their
    places behind them, so a sentence the reader never saw cannot overtake one it judged.
    """
    read = candidates[: len(probabilities)]
    for candidate, probability in zip(read, probabilities):
        candidate.reader = float(probability)
        candidate.relevance += weight * float(probability)
    read.sort(key=lambda c: -c.relevance)
    return read + candidates[len(read):]


def _body_sentence(passages: list[Passage], j: int) -> Passage | None:
    """The source's j-th sentence when it is body text; a headline or a caption joins no quote."""
    if not 0 <= j < len(passages):
        return None
    passage = passages[j]
    return passage if passage.kind == "body" else None


def credit_quotes(source: Source, passages: list[Passage], question: str) -> list[Quote]:
    """For a question about credits, the source's credit lines: photo credits or the report's sign-off."""
    credits = [p for p in passages if p.kind == "furniture" and looks_like_credit(p.text)]
    if not credits:
        return []
    wants_photo = bool(_PHOTO.search(question))
    # The last credit of an article is its sign-off; earlier ones sit with photos.
    signoff, photo = credits[-1:], credits[:-1]
    ordered = (photo + signoff) if wants_photo else (signoff + photo)
    return [Quote(text=p.text, start=p.start, end=p.end, score=1.0) for p in ordered[:2]]


def compose_outlet(source: Source, candidates: list[Candidate], calibration: Calibration,
                   features: list[float], sentences: list[tuple[int, int]] | None = None) -> OutletAnswer:
    """One outlet's entry: up to two quotes when it likely answers the question, else not covered."""
    entry = OutletAnswer(source_id=source.source_id, outlet=source.outlet, title=source.title, url=source.url, covered=False)
    if not candidates:
        return entry
    best = candidates[0]
    if answerability(features, calibration) < calibration.threshold:
        return entry
    chosen = [best]
    for other in candidates[1:]:
        overlaps = any(other.span[0] < c.span[1] and c.span[0] < other.span[1] for c in chosen)
        if not overlaps and other.relevance >= calibration.second_ratio * best.relevance:
            chosen.append(other)
            break
    quotes = [
        Quote(text=source.text[c.span[0] : c.span[1]], start=c.span[0], end=c.span[1], score=round(c.relevance, 4),
              attribution=attribute(source.text, c.span, sentences, c.sentence) if sentences is not None else None)
        for c in chosen
    ]
    return entry.model_copy(update={"covered": True, "quotes": quotes})
