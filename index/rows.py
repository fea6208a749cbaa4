"""The typed rows the catalog hands out (named tuples: read by name, still unpacked like a tuple)."""

from __future__ import annotations

from typing import NamedTuple


class StoryRow(NamedTuple):
    """A story as the catalog keeps it: its id, title and source ids in the order they were added."""

    story_id: str
    title: str
    source_ids: list[str]


class StoredSourceRef(NamedTuple):
    """Where a stored source lives: its id and its story's id."""

    source_id: str
    story_id: str


class OriginRecord(NamedTuple):
    """A source read from a file or URL: its id and the sha256 of the raw input it was read from."""

    source_id: str
    raw_sha256: str | None


class PassageKey(NamedTuple):
    """A passage's stable id and the sha256 of its text (the embedding cache's key)."""

    pid: int
    sha256: str


class CacheCounts(NamedTuple):
    """Vectors in the embedding cache, and how many of them no passage uses any more."""

    cached: int
    unused: int


class StoredAnswer(NamedTuple):
    """An answer the bot sent, as the catalog keeps it for its buttons."""

    story_id: str
    question: str
    answer_json: str


class Vote(NamedTuple):
    """A user's 👍 (1) or 👎 (-1) on an answer, with its own copy of what was voted on."""

    answer_id: str
    vote: int
    question: str
    story_id: str
    answer_json: str
    voted_at: str
