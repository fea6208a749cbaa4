"""Typed answers: quotes, one outlet's answer, the answer to a question (sources and passages are in index.models)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from retrieval.attribution import Attribution
from index.models import Passage, PassageKind, Source, SourceSummary, StorySummary  # noqa: F401  (re-exported)


class Quote(BaseModel):
    """A verbatim span of a source: `text == source.text[start:end]`, and who it is attributed to."""

    text: str
    start: int
    end: int
    score: float
    attribution: Attribution | None = None


class OutletAnswer(BaseModel):
    """What one source says about the question, or that it says nothing."""

    source_id: str
    outlet: str
    title: str
    url: str | None = None
    covered: bool
    quotes: list[Quote] = Field(default_factory=list, max_length=2)


class Answer(BaseModel):
    """The answer to a question: one entry per source of the story, covered or not."""

    question: str
    story: str
    outlets: list[OutletAnswer]
    differences: list[str] = Field(default_factory=list)  # "139 dead (004) vs 137 dead (005)"
