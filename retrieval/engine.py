"""The one entry point the front ends use: load corpus and index once, then answer questions."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from retrieval.answering import (
    Calibration,
    Candidate,
    answer_features,
    compose_outlet,
    credit_quotes,
    is_provenance_question,
    rank_source,
)
from retrieval import expansion
from retrieval.corpus import Corpus, Story, load_corpus
from index.embedding import Embedder, make_embedder
from retrieval.index_store import PassageIndex, build_index, index_path, load_index, read_manifest, staleness
from retrieval.lexical import StoryLexicon
from retrieval.models import Answer, OutletAnswer, Quote, Source, SourceSummary, StorySummary
from retrieval.questions import clean_question
from index.sentences import split_passages
from retrieval.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class OutletEvidence:
    """One source's ranked sentences for a question, and what the answerability model weighs."""

    source: Source
    ranked: list[Candidate] = field(default_factory=list)
    entity_coverage: float = 1.0
    credits: list[Quote] = field(default_factory=list)
    features: list[float] = field(default_factory=list)


class Engine:
    """Answers questions about the stories of one corpus. Create it, call `load()`, then `ask()`."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, progress: bool = False):
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.model, settings.batch_size)
        self.progress = progress
        self._index: PassageIndex | None = None
        self._lexicons: dict[str, StoryLexicon] = {}

    @cached_property
    def corpus(self) -> Corpus:
        return load_corpus(self.settings.corpus)

    @property
    def index_dir(self):
        return index_path(self.settings.index_dir, self.corpus)

    def build(self) -> dict:
        """Rebuild the index from scratch, whatever is on disk."""
        manifest = build_index(self.corpus, self.embedder, self.index_dir, progress=self.progress)
        self._index = load_index(self.index_dir, manifest)
        self._lexicons.clear()
        return manifest

    def load(self) -> PassageIndex:
        """Load the index, building it first when it is missing or stale; a no-op the second time."""
        if self._index is not None:
            return self._index
        manifest = read_manifest(self.index_dir)
        reason = "there is none yet" if manifest is None else staleness(manifest, self.corpus, self.embedder)
        if reason:
            log.info("building the index at %s: %s", self.index_dir, reason)
            self.build()
        else:
            self._index = load_index(self.index_dir, manifest)
        if hasattr(self.embedder, "warm_up"):
            self.embedder.warm_up()
        expansion.warm_up()
        return self._index  # type: ignore[return-value]

    @cached_property
    def calibration(self) -> Calibration:
        s, off = self.settings, self.settings.disable
        return Calibration(
            dense_weight=1.0 if "lexical" in off else s.dense_weight,
            type_weight=0.0 if "answer_type" in off else s.answer_type_weight,
            headline_penalty=s.headline_penalty,
            weights=tuple(s.answer_weights),
            bias=s.answer_bias,
            threshold=0.0 if "answerability" in off else s.answer_threshold,
            second_ratio=s.second_quote_ratio,
            antecedents="antecedent" not in off,
        )

    def lexicon(self, story: Story) -> StoryLexicon:
        if story.story_id not in self._lexicons:
            index = self.load()
            ids = [pid for s in story.sources for pid in range(*index.ranges.get(s.source_id, (0, 0)))]
            self._lexicons[story.story_id] = StoryLexicon(ids, [index.passages[i] for i in ids])
        return self._lexicons[story.story_id]

    def ask(self, question: str, story_id: str | None = None) -> Answer:
        """Answer a question about one story: every source listed, quoted or marked not covered."""
        question = clean_question(question, self.settings.max_question_chars)
        story = self.corpus.story(story_id or self.settings.story)
        outlets = []
        for item in self.evidence(question, story):
            source = item.source
            if item.credits:
                outlets.append(OutletAnswer(source_id=source.source_id, outlet=source.outlet, title=source.title,
                                            url=source.url, covered=True, quotes=item.credits))
            else:
                outlets.append(compose_outlet(source, item.ranked, self.calibration, item.features))
        return Answer(question=question, story=story.story_id, outlets=outlets)

    def evidence(self, question: str, story: Story) -> list[OutletEvidence]:
        """Rank every source's sentences for the question and gather its answerability features."""
        index = self.load()
        vector = self.embedder.embed([question])[0]
        lexicon = self.lexicon(story)
        terms = lexicon.analyse(question, expand="expansion" not in self.settings.disable)
        bm25 = lexicon.bm25(terms.query)
        provenance = is_provenance_question(question)
        found = []
        for source in story.sources:
            if source.source_id not in index.ranges:
                found.append(OutletEvidence(source))
                continue
            ids, dense = index.source_scores(vector, source.source_id)
            credits = credit_quotes(source, index.passages, ids, question) if provenance else []
            ranked = rank_source(ids, dense, index.passages, lexicon, terms, bm25, self.calibration)
            entity_coverage = lexicon.entity_coverage(terms, [lexicon.position[int(i)] for i in ids])
            found.append(OutletEvidence(source, ranked, entity_coverage, credits))
        story_best = max((f.ranked[0].relevance for f in found if f.ranked), default=0.0)
        for item in found:
            if item.ranked:
                item.features = answer_features(item.ranked, item.entity_coverage, story_best)
        return found

    def stories(self) -> list[StorySummary]:
        return self.corpus.summaries()

    def sources(self, story_id: str | None = None) -> list[SourceSummary]:
        """The story's sources with their passage counts (counted without loading the model)."""
        story = self.corpus.story(story_id or self.settings.story)
        return [
            SourceSummary(source_id=s.source_id, story_id=s.story_id, outlet=s.outlet, title=s.title, url=s.url,
                          date=s.date, passages=len(split_passages(s)))
            for s in story.sources
        ]

    def source(self, source_id: str) -> Source:
        return self.corpus.source(source_id)
