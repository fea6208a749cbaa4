"""The naive baseline a generic RAG framework gives: paragraph chunks, MiniLM, FAISS flat, top-4.

Kept only for `storybot eval --baseline naive`, so our pipeline is compared with it side by side.
It never abstains: each outlet is "covered" by whichever of its chunks land in the story's top 4.
"""

from __future__ import annotations

import faiss
import numpy as np

from index.models import Story
from index.embedding import Embedder
from retrieval.models import Answer, OutletAnswer, Quote
from index.sentences import paragraphs

TOP_K = 4


class NaiveRetriever:
    """Top-4 paragraphs over a whole story, grouped by outlet afterwards."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._stories: dict[str, tuple[faiss.Index, list[tuple[str, int, int, str]]]] = {}

    def _story_index(self, story: Story):
        if story.story_id not in self._stories:
            chunks = [(s.source_id, m.start(), m.end(), m.group(0)) for s in story.sources
                      for _, m in paragraphs(s.text)]
            vectors = self.embedder.embed([c[3] for c in chunks])
            index = faiss.IndexFlatIP(vectors.shape[1])
            index.add(vectors)
            self._stories[story.story_id] = (index, chunks)
        return self._stories[story.story_id]

    def ask(self, question: str, story: Story) -> Answer:
        index, chunks = self._story_index(story)
        vector = self.embedder.embed([question]).astype(np.float32)
        scores, ids = index.search(vector, min(TOP_K, len(chunks)))
        outlets = []
        for source in story.sources:
            hits = [(float(s), chunks[i]) for s, i in zip(scores[0], ids[0]) if i >= 0 and chunks[i][0] == source.source_id]
            quotes = [Quote(text=c[3], start=c[1], end=c[2], score=round(s, 4)) for s, c in hits[:2]]
            outlets.append(OutletAnswer(source_id=source.source_id, outlet=source.outlet, title=source.title,
                                        url=source.url, covered=bool(quotes), quotes=quotes))
        return Answer(question=question, story=story.story_id, outlets=outlets)
