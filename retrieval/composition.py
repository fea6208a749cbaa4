"""One outlet's answer, built in one place: its quotes with attribution, its credit lines, or "not covered"."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.sentences import looks_like_credit
from retrieval.attribution import attribute
from retrieval.models import OutletAnswer, Passage, Quote, Source
from retrieval.questions import Question
from retrieval.ranking import Candidate


@dataclass
class OutletEvidence:
    """One source's ranked sentences for a question, and what the answerability model weighs."""

    source: Source
    passages: list[Passage] = field(default_factory=list)
    ranked: list[Candidate] = field(default_factory=list)
    entity_coverage: float = 1.0
    credits: list[Passage] = field(default_factory=list)
    features: list[float] = field(default_factory=list)


def credit_lines(passages: list[Passage], question: Question) -> list[Passage]:
    """For a question about credits, the source's credit lines: photo credits or the report's sign-off."""
    if not question.provenance:
        return []
    credits = [p for p in passages if p.kind == "furniture" and looks_like_credit(p.text)]
    # The last credit of an article is its sign-off; earlier ones sit with photos.
    signoff, photo = credits[-1:], credits[:-1]
    ordered = (photo + signoff) if question.wants_photo else (signoff + photo)
    return ordered[:2]


def choose_quotes(candidates: list[Candidate], second_ratio: float) -> list[Candidate]:
    """The best candidate and, when it scores close enough and does not overlap it, the next one."""
    chosen = candidates[:1]
    for other in candidates[1:]:
        overlaps = any(other.span[0] < c.span[1] and c.span[0] < other.span[1] for c in chosen)
        if not overlaps and other.relevance >= second_ratio * chosen[0].relevance:
            chosen.append(other)
            break
    return chosen


def outlet_answer(evidence: OutletEvidence, covered: bool, second_ratio: float) -> OutletAnswer:
    """The outlet's entry: its credit lines, up to two quotes when `covered`, else not covered."""
    source = evidence.source
    entry = OutletAnswer(source_id=source.source_id, outlet=source.outlet, title=source.title, url=source.url,
                         covered=False)
    if evidence.credits:
        quotes = [Quote(text=p.text, start=p.start, end=p.end, score=1.0) for p in evidence.credits]
        return entry.model_copy(update={"covered": True, "quotes": quotes})
    if not covered or not evidence.ranked:
        return entry
    sentences = [(p.start, p.end) for p in evidence.passages]
    quotes = [Quote(text=source.text[c.span[0] : c.span[1]], start=c.span[0], end=c.span[1],
                    score=round(c.relevance, 4), attribution=attribute(source.text, c.span, sentences, c.sentence))
              for c in choose_quotes(evidence.ranked, second_ratio)]
    return entry.model_copy(update={"covered": True, "quotes": quotes})
