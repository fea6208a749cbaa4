"""Typed records of the story library: sources (articles), their sentence passages, listings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

PassageKind = Literal["body", "headline", "furniture"]


def source_label(outlet: str, source_id: str) -> str:
    """How an article is named to a reader: "DW (000_5ace…)", or the id alone when the outlet is unknown and
    was named after the file ("courier-fire", not "courier-fire (courier-fire)")."""
    return source_id if outlet in (source_id, "") or source_id in outlet else f"{outlet} ({source_id})"


class SourceInfo(BaseModel):
    """What names an outlet's article: its ids, outlet, headline, address and date."""

    source_id: str
    story_id: str
    outlet: str
    title: str
    url: str | None = None
    date: str | None = None


class Source(SourceInfo):
    """One outlet's article: its stored text and what is known about it."""

    text: str
    credit: str | None = None
    author: str | None = None
    language: str | None = None


class Passage(BaseModel):
    """A sentence of a source, located by character offsets into its stored text.

    Its stable key is `pid`, the catalog's passage id (never reused), or equally (source_id, ordinal);
    vector stores hold vectors under `pid`. Passages split but not yet stored have pid -1.
    """

    source_id: str
    start: int
    end: int
    text: str
    kind: PassageKind = "body"
    paragraph: int = 0
    ordinal: int = 0
    pid: int = -1


@dataclass
class Story:
    """A set of articles about one event, one per outlet."""

    story_id: str
    title: str
    sources: list[Source] = field(default_factory=list)


class SourceSummary(SourceInfo):
    """A source as listed by `sources`: no text, with its passage count."""

    passages: int


class StorySummary(BaseModel):
    """A story as listed by `stories`."""

    story_id: str
    title: str
    sources: list[str]
    default: bool = False  # the story `storybot story use` chose
