"""The one entry point the front ends use: open the library once, then answer questions."""

from __future__ import annotations

import logging
from functools import cached_property

import numpy as np

from index.embedding import Embedder, make_embedder
from index.library import Library, StoryPassages, open_library
from index.models import Source, SourceSummary, StorySummary
from retrieval import expansion
from retrieval.answerability import Answerability, answer_features, story_evidence
from retrieval.comparison import Comparison, compare_story
from retrieval.quantities import differing_values
from retrieval.composition import OutletEvidence, credit_lines, outlet_answer
from retrieval.lexical import StoryLexicon
from retrieval.models import Answer
from retrieval.questions import Question, analyse_question, clean_question
from retrieval.ranking import Ranking, rank_source, read_cap, rerank, to_read
from retrieval.settings import Settings

log = logging.getLogger(__name__)


class Engine:
    """Answers questions about the stories of a library. Create it, call `load()`, then `ask()`."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, progress: bool = False,
                 library: Library | None = None):
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.model, settings.batch_size, settings.export_root())
        self.progress = progress
        self._library = library
        self._loaded = False
        self._lexicons: dict[str, tuple[StoryPassages, StoryLexicon]] = {}

    @property
    def library(self) -> Library:
        """The library, opened (and seeded or mirrored from --corpus) on first use, without loading the model."""
        if self._library is None:
            s = self.settings
            self._library = open_library(s.home, s.corpus, self.embedder, s.vector_store, progress=self.progress,
                                         limits=s.ingest_limits())
        return self._library

    def load(self) -> Library:
        """Bring the vector store in step with the catalog and warm the model; a no-op the second time."""
        if not self._loaded:
            self.library.sync()
            if hasattr(self.embedder, "warm_up"):
                self.embedder.warm_up()
            if hasattr(self.reader, "warm_up"):
                self.reader.warm_up()
            expansion.warm_up()
            self._loaded = True
        return self.library

    def rebuild(self) -> int:
        """Drop the vector store and refill it from the catalog (embedding only what the cache lacks)."""
        return self.library.rebuild()

    @cached_property
    def ranking(self) -> Ranking:
        return self.settings.ranking()

    @cached_property
    def answerability(self) -> Answerability:
        return self.settings.answerability()

    @cached_property
    def reader(self):
        """The trained reader, or None when it is switched off (`STORYBOT_READER=false`, `--disable reader`)."""
        if not self.settings.reader or "reader" in self.settings.disable:
            return None
        from retrieval.reader import make_reader

        return make_reader(self.settings.reader_model, self.settings.export_root())

    def story_id(self, story_id: str | None = None) -> str:
        return self.library.story_id(story_id or self.settings.story)

    def view(self, story_id: str | None = None) -> tuple[StoryPassages, StoryLexicon]:
        """The story's passages and its lexicon (BM25, term statistics), rebuilt when the story changes."""
        view = self.library.story_passages(self.story_id(story_id))
        cached = self._lexicons.get(view.story.story_id)
        if cached is None or cached[0] is not view:
            cached = (view, StoryLexicon([p.pid for p in view.passages], view.passages))
            self._lexicons[view.story.story_id] = cached
        return cached

    def ask(self, question: str, story_id: str | None = None) -> Answer:
        """Answer a question about one story: every source listed, quoted or marked not covered."""
        asked = analyse_question(question, self.settings.max_question_chars)
        self.load()
        story = self.story_id(story_id)
        evidence = self.evidence(asked, story)
        ratio = self.settings.second_quote_ratio
        outlets = [outlet_answer(item, self.answerability.covers(item.features), ratio) for item in evidence]
        quoted = {o.source_id: [q.text for q in o.quotes] for o in outlets if o.covered and o.quotes}
        return Answer(question=asked.text, story=story, outlets=outlets, differences=differing_values(quoted))

    def evidence(self, question: Question | str, story_id: str | None = None) -> list[OutletEvidence]:
        """Rank every source's sentences, let the reader read the first ones, and gather the answerability features."""
        if isinstance(question, str):
            question = analyse_question(question, self.settings.max_question_chars)
        library = self.load()
        view, lexicon = self.view(story_id)
        vector = self.embedder.embed([question.text])[0]
        terms = lexicon.analyse(question, expand="expansion" not in self.settings.disable)
        bm25 = lexicon.bm25(terms.query)
        found = []
        for source in view.story.sources:
            passages = view.of_source.get(source.source_id, [])
            item = OutletEvidence(source, passages)
            found.append(item)
            if not passages:
                continue
            keys, scores = library.store.search(vector, np.asarray([p.pid for p in passages], dtype=np.int64),
                                                len(passages))
            by_key = dict(zip(keys.tolist(), scores.tolist()))
            dense = np.asarray([by_key.get(p.pid, 0.0) for p in passages], dtype=np.float64)
            item.credits = credit_lines(passages, question)
            item.ranked = rank_source(passages, dense, lexicon, terms, bm25, self.ranking)
            item.entity_coverage = lexicon.entity_coverage(terms, [lexicon.position[p.pid] for p in passages])
        if self.reader is not None:
            self._read(question, found)
        story = story_evidence([item.ranked for item in found])
        for item in found:
            if item.ranked:
                item.features = answer_features(item.ranked, item.entity_coverage, story)
        return found

    def _read(self, question: Question, found: list[OutletEvidence]) -> None:
        """Let the reader read every outlet's first candidates in one batch and record its probabilities (with a
        reader weight, they also re-rank what it read)."""
        cap = read_cap(self.ranking, sum(1 for item in found if item.ranked))
        chosen = [to_read(item.ranked, self.ranking, cap) for item in found]
        texts = [item.source.text[item.ranked[k].span[0] : item.ranked[k].span[1]]
                 for item, read in zip(found, chosen) for k in read]
        if not texts:
            return
        probabilities = self.reader.score(question.text, texts).tolist()
        for item, read in zip(found, chosen):
            item.ranked = rerank(item.ranked, read, probabilities[: len(read)], self.ranking.reader_weight)
            del probabilities[: len(read)]

    def compare(self, story_id: str | None = None, topic: str | None = None) -> Comparison:
        """The story's content aligned across outlets: shared, only-in-one, and conflicting groups."""
        library = self.load()
        view, _ = self.view(story_id)
        pids = np.asarray([p.pid for p in view.passages], dtype=np.int64)
        vectors = dict(zip(pids.tolist(), library.store.get(pids))) if len(pids) else {}
        topic_vector = about = None
        if topic is not None:
            topic = clean_question(topic, self.settings.max_question_chars)
            topic_vector = self.embedder.embed([topic])[0]
            if self.reader is not None:
                def about(passages):
                    return self.reader.score(topic, [p.text for p in passages])
        return compare_story(view, vectors, topic_vector, about)

    def stories(self) -> list[StorySummary]:
        return self.library.stories()

    def sources(self, story_id: str | None = None) -> list[SourceSummary]:
        """The story's sources with their passage counts (no model needed)."""
        return self.library.source_summaries(self.story_id(story_id))

    def source(self, source_id: str) -> Source:
        return self.library.source(source_id)
