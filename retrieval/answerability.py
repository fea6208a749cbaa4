"""Answerability: does this outlet state what was asked? Its features, and the logistic model over them.

The one place the decision is made; `storybot calibrate` fits the weights, which live in Settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from retrieval.answering import Calibration, Candidate


ANSWER_FEATURES = ("relevance", "margin", "coverage", "entity_coverage", "dense", "predicate_coverage", "story_gap",
                   "story_predicate", "reader")


def answer_features(candidates: list[Candidate], entity_coverage: float, story_best: float,
                    story_predicate: float) -> list[float]:
    """The evidence an answerability decision weighs, for one outlet's ranked candidates.

    relevance: the best sentence's fused score; margin: how far it stands above the outlet's median
    sentence; coverage: the share of the question's terms it holds; entity_coverage: the share of the
    names the question mentions that occur anywhere in the article; dense: its cosine similarity;
    predicate_coverage: the share of the question's other terms (what is asked about the names) it holds;
    story_gap: how far it falls below the best sentence of any outlet in the story (0 for the best
    outlet) — a detail that one outlet reports plainly and another only brushes shows up here;
    story_predicate: the most of the question's non-name terms that any outlet's best sentence holds (the
    same for every outlet of the story); fitted, it weighs an outlet's own predicate coverage against the
    story's — an outlet whose best sentence lacks what another outlet's states is less likely to answer —
    and it is low when no outlet says what is asked about the names;
    reader: the trained reader's probability that the best quote states what was asked — a judgement of
    this outlet's own words, whatever the other outlets say (0 when the reader is off).
    """
    best = candidates[0]
    rest = [c.relevance for c in candidates[1:]] or [0.0]
    return [best.relevance, best.relevance - float(np.median(rest)), best.coverage, entity_coverage, best.dense,
            best.predicate, best.relevance - story_best, story_predicate, best.reader]


def answerability(features: list[float], calibration: Calibration) -> float:
    """Probability that the outlet answers the question: a logistic model fitted on the dev sets."""
    z = calibration.bias + sum(w * x for w, x in zip(calibration.weights, features, strict=True))
    return float(1.0 / (1.0 + np.exp(-z)))
