"""Shared by the retrieval tests: a small source, bare candidates, seed articles keyed as the library keys them."""

from __future__ import annotations

import dataclasses

import pytest

from index.sentences import split_passages
from retrieval.models import Passage, Source
from retrieval.ranking import Candidate
from tests.conftest import SEEDS

TEXT = "Alpha said one thing. Beta said another. Gamma said a third. Delta said a fourth."
#       0                    21                 40                 59                  81
A, B, C, D = (0, 21), (22, 40), (41, 60), (61, 81)


def make_source(text: str = TEXT) -> Source:
    return Source(source_id="s", story_id="story", outlet="The Outlet", title="A title", text=text, url="https://x.test/a")


def make_candidate(pid: int, relevance: float, span: tuple[int, int], **evidence) -> Candidate:
    """A candidate whose only evidence is its relevance (every other feature zero unless given)."""
    values: dict = {f.name: 0.0 for f in dataclasses.fields(Candidate)}
    values.update(pid=pid, relevance=relevance, span=span, typed=0, sentence=None)
    values.update(evidence)
    return Candidate(**values)


def seed_source(source_id: str) -> Source:
    text = (SEEDS / f"{source_id}.txt").read_text(encoding="utf-8")
    return Source(source_id=source_id, story_id="seeds", outlet="o", title="t", text=text)


def keyed(source: Source) -> list[Passage]:
    """The source's passages with catalog-like keys (pid = ordinal), as the library gives them."""
    return [p.model_copy(update={"pid": p.ordinal}) for p in split_passages(source)]


@pytest.fixture(scope="module")
def seed_000() -> Source:
    return seed_source("000_5ace3053a7754062")
