"""Answerability: does this outlet state what was asked? Its features, the model over them, the decision.

The decision is made here and nowhere else: `Answerability.covers` says whether an outlet is quoted
or marked "not reported". The weights are fitted by `storybot calibrate` and kept in Settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from retrieval.ranking import Candidate

ANSWER_FEATURES = ("relevance", "margin", "coverage", "entity_coverage", "dense", "predicate_coverage", "story_gap",
                   "story_predicate", "reader", "reader_margin", "story_reader", "reader_max", "reader_max_gap")


_ENTITY_COVERAGE = ANSWER_FEATURES.index("entity_coverage")


@dataclass(frozen=True)
class StoryEvidence:
    """What the best sentences of all the story's outlets say together, for features that compare outlets."""

    best_relevance: float
    best_predicate: float
    best_reader: float  # the reader's probability of the best outlet's first candidate
    best_read: float = 0.0  # the reader's highest probability for any sentence of the story it read


def story_evidence(rankings: list[list[Candidate]]) -> StoryEvidence:
    """The story-wide maxima over every outlet's best candidate."""
    tops = [r[0] for r in rankings if r]
    return StoryEvidence(max((c.relevance for c in tops), default=0.0), max((c.predicate for c in tops), default=0.0),
                         max((c.reader for c in tops), default=0.0),
                         max((c.reader for r in rankings for c in r), default=0.0))


def answer_features(candidates: list[Candidate], entity_coverage: float, story: StoryEvidence) -> list[float]:
    """The evidence an answerability decision weighs, for one outlet's ranked candidates.

    relevance: the best sentence's fused score; margin: how far it stands above the outlet's median
    sentence; coverage: the share of the question's terms it holds; entity_coverage: the share of the
    names the question mentions that occur anywhere in the article; dense: its cosine similarity;
    predicate_coverage: the share of the question's other terms (what is asked about the names) it holds;
    story_gap: how far it falls below the best sentence of any outlet in the story (0 for the best
    outlet); story_predicate: the most of the question's non-name terms that any outlet's best sentence
    holds (low when no outlet says what is asked about the names);
    reader: the reader's probability that the best quote states what was asked (0 when the reader is
    off); reader_margin: how far it stands above the reader's second-best candidate of the outlet;
    story_reader: the reader's probability for the first candidate of the story's best outlet — when
    no outlet's sentence reads as an answer, the question is likely one nobody answers; reader_max: the
    reader's highest probability for any candidate of this outlet it read (the outlet may state the
    answer in a sentence the ranking put lower); reader_max_gap: how far that falls below the highest
    probability of any sentence of the story.
    """
    best = candidates[0]
    rest = [c.relevance for c in candidates[1:]] or [0.0]
    second_reader = max((c.reader for c in candidates[1:]), default=0.0)
    read_max = max(c.reader for c in candidates)
    return [best.relevance, best.relevance - float(np.median(rest)), best.coverage, entity_coverage, best.dense,
            best.predicate, best.relevance - story.best_relevance, story.best_predicate, best.reader,
            best.reader - second_reader, story.best_reader, read_max, read_max - story.best_read]


@dataclass(frozen=True)
class Answerability:
    """A logistic model over ANSWER_FEATURES and the bar an outlet must clear to be quoted.

    `enabled=False` (`--disable answerability`) quotes every outlet that has a candidate.
    """

    weights: tuple[float, ...]
    bias: float
    threshold: float
    enabled: bool = True

    def probability(self, features: list[float]) -> float:
        """The probability that the outlet states the answer."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return float(1.0 / (1.0 + np.exp(-z)))

    def covers(self, features: list[float]) -> bool:
        """Tell whether the outlet is quoted: it has a candidate and, when enabled, clears the bar.

        An article that holds none of the names the question asks about (entity coverage 0: not one of
        them, nor an alias) is not reporting on them, whatever the other evidence says.
        """
        if not features:
            return False
        if not self.enabled:
            return True
        return features[_ENTITY_COVERAGE] > 0.0 and self.probability(features) >= self.threshold
