"""Ranking one outlet's sentences for a question: fused dense and lexical evidence, the quote span each
sentence would give, and the reader's re-ranking of the first candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from retrieval.answer_type import answer_type_matches
from retrieval.fusion import convex, max_normalize
from retrieval.lexical import QuestionTerms, StoryLexicon
from retrieval.models import Passage

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


@dataclass(frozen=True)
class Ranking:
    """The weights that order an outlet's sentences (Settings.ranking builds it)."""

    dense_weight: float
    type_weight: float
    headline_penalty: float
    antecedents: bool = True  # quote the sentence before an anaphoric one
    question_penalty: float = 0.0  # taken off a sentence in which the writer asks a question
    reader_weight: float = 0.0  # how much the reader's probability adds to a read candidate's relevance
    reader_depth: int = 6  # the reader reads this many of the first candidates by fused relevance…
    reader_extra: int = 3  # …and this many of the first by dense and by lexical evidence alone
    reader_budget: int = 15  # (question, sentence) pairs read per question, shared among the outlets


def rank_source(
    passages: list[Passage],
    dense: np.ndarray,
    lexicon: StoryLexicon,
    question: QuestionTerms,
    bm25_story: np.ndarray,
    ranking: Ranking,
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
        if ranking.antecedents and previous is not None and is_anaphoric(passage.text) and passage.end - previous.start <= MAX_QUOTE_CHARS:
            positions.insert(0, lexicon.position[previous.pid])
            span = (previous.start, passage.end)
        lexical = float(bm25_normalized[lexicon.position[pid]])
        coverage = lexicon.coverage(question, positions)
        following = _body_sentence(passages, k + 1)
        if (ranking.antecedents and len(positions) == 1 and following is not None and is_anaphoric(following.text)
                and following.end - passage.start <= MAX_QUOTE_CHARS
                and lexicon.coverage(question, positions + [lexicon.position[following.pid]]) > coverage):
            # The next sentence leans on this one ("The ministry denied this…") and adds what the question
            # asks about: the quote carries on into it. The score stays this sentence's own.
            span = (passage.start, following.end)
        predicate = lexicon.coverage(question.predicate, positions)
        typed = answer_type_matches(passage.text, kinds, question.question)
        relevance = float(convex(cosine, 0.5 * lexical + 0.5 * coverage, ranking.dense_weight))
        relevance += ranking.type_weight * typed
        if passage.kind == "headline":
            relevance -= ranking.headline_penalty  # an editor's summary, seldom the reported detail
        if asks_a_question(passage.text):
            relevance -= ranking.question_penalty  # "Who is Dave Brat?" echoes the question, never answers it
        candidates.append(Candidate(pid, float(cosine), lexical, coverage, predicate, typed, relevance, span,
                                    (passage.start, passage.end)))
    candidates.sort(key=lambda c: -c.relevance)
    return candidates


def to_read(candidates: list[Candidate], ranking: Ranking, cap: int | None = None) -> list[int]:
    """Which candidates the reader reads: the first by fused relevance, joined by the first by dense and
    by lexical evidence alone, so a paraphrase the lexicon misses or a rare name the embedding blurs is
    still read. With `cap`, at most that many, taken in turn from the three orders (the best of each
    first). Indexes into `candidates`, in their order."""
    orders = [list(range(min(ranking.reader_depth, len(candidates))))]
    for key in (lambda k: -candidates[k].dense, lambda k: -candidates[k].lexical):
        orders.append(sorted(range(len(candidates)), key=key)[: ranking.reader_extra])
    chosen: dict[int, None] = {}
    for rank in range(max(map(len, orders))):
        for order in orders:
            if rank < len(order) and (cap is None or len(chosen) < cap):
                chosen.setdefault(order[rank])
    return sorted(chosen)


def read_cap(ranking: Ranking, outlets: int) -> int:
    """How many candidates each outlet's reading may take: the question's budget shared among its outlets
    (never fewer than three), so a five-outlet story costs what a two-outlet one does."""
    return max(3, ranking.reader_budget // max(1, outlets))


def rerank(candidates: list[Candidate], read: list[int], probabilities: list[float], weight: float) -> list[Candidate]:
    """Add the reader's weighted probability to the read candidates' relevance and put them first, by it.

    The candidates the reader never saw keep their order behind the ones it judged. With weight 0 the
    probabilities are only recorded (for answerability) and the order stays the engine's.
    """
    judged = [candidates[k] for k in read]
    for candidate, probability in zip(judged, probabilities, strict=True):
        candidate.reader = float(probability)
        candidate.relevance += weight * float(probability)
    if not weight:
        return candidates
    judged.sort(key=lambda c: -c.relevance)
    taken = set(read)
    return judged + [c for k, c in enumerate(candidates) if k not in taken]


def _body_sentence(passages: list[Passage], j: int) -> Passage | None:
    """The source's j-th sentence when it is body text; a headline or a caption joins no quote."""
    if not 0 <= j < len(passages):
        return None
    passage = passages[j]
    return passage if passage.kind == "body" else None
