"""Typed records that cross module boundaries: sources, passages, quotes and answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

PassageKind = Literal["body", "headline", "furniture"]


class Source(BaseModel):
    """One outlet's article: its stored text and what is known about it."""

    source_id: str
    story_id: str
    outlet: str
    title: str
    text: str
    url: str | None = None
    date: str | None = None
    credit: str | None = None


class Passage(BaseModel):
    """A sentence of a source, located by character offsets into its stored text."""

    source_id: str
    start: int
    end: int
    text: str
    kind: PassageKind = "body"
    paragraph: int = 0


class Quote(BaseModel):
    """A verbatim span of a source: `text == source.text[start:end]`."""

    text: str
    start: int
    end: int
    score: float


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


class SourceSummary(BaseModel):
    """A source as listed by `sources`: no text, with its passage count."""

    source_id: str
    story_id: str
    outlet: str
    title: str
    url: str | None = None
    date: str | None = None
    passages: int


class StorySummary(BaseModel):
    """A story as listed by `stories`."""

    story_id: str
    title: str
    sources: list[str]
