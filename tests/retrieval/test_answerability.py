"""Answerability: the features of an outlet's evidence, the story's maxima, and the one decision (covers)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index.embedding import FakeEmbedder
from retrieval.answerability import ANSWER_FEATURES, Answerability, StoryEvidence, answer_features, story_evidence
from retrieval.engine import Engine
from retrieval.settings import Settings
from tests.retrieval.conftest import A, B, C, D, make_candidate

N = len(ANSWER_FEATURES)


def _relevance_only(weight: float = 10.0, bias: float = -5.0, threshold: float = 0.5, enabled: bool = True):
    """A model that looks at relevance only: sigmoid(weight·relevance + bias)."""
    return Answerability(weights=(weight,) + (0.0,) * (N - 1), bias=bias, threshold=threshold, enabled=enabled)


def _named(values: list[float]) -> dict[str, float]:
    return dict(zip(ANSWER_FEATURES, values, strict=True))


# --- the features --------------------------------------------------------------------------------


def test_the_features_are_thirteen_and_named_once():
    assert len(ANSWER_FEATURES) == 13 == len(set(ANSWER_FEATURES))
    assert ANSWER_FEATURES[-5:] == ("reader", "reader_margin", "story_reader", "reader_max", "reader_max_gap")


def test_reader_max_reads_past_the_first_candidate_and_against_the_story():
    best = make_candidate(0, 0.9, A)
    lower = make_candidate(1, 0.5, B)
    best.reader, lower.reader = 0.2, 0.7
    features = _named(answer_features([best, lower], 1.0, StoryEvidence(0.9, 0.0, 0.2, best_read=0.9)))
    assert features["reader"] == pytest.approx(0.2)
    assert features["reader_max"] == pytest.approx(0.7)
    assert features["reader_max_gap"] == pytest.approx(-0.2)


def test_answer_features_relevance_and_margin_over_the_median():
    best = make_candidate(0, 0.6, A)
    others = [make_candidate(1, 0.2, B), make_candidate(2, 0.4, C), make_candidate(3, 0.2, D)]
    features = _named(answer_features([best, *others], 0.5, StoryEvidence(0.9, 0.8, 0.0)))
    assert features["relevance"] == pytest.approx(0.6)
    assert features["margin"] == pytest.approx(0.6 - 0.2)
    assert features["entity_coverage"] == 0.5
    assert features["story_gap"] == pytest.approx(0.6 - 0.9)
    assert features["story_predicate"] == 0.8  # the story's, whatever this outlet holds
    alone = _named(answer_features([best], 1.0, StoryEvidence(0.6, 0.0, 0.0)))
    assert alone["margin"] == pytest.approx(0.6)
    assert alone["story_gap"] == 0.0


def test_the_best_candidates_own_evidence_is_read_off_it():
    best = make_candidate(0, 0.7, A, coverage=0.5, dense=0.4, predicate=0.25)
    features = _named(answer_features([best, make_candidate(1, 0.1, B, coverage=1.0)], 1.0,
                                      StoryEvidence(0.7, 0.25, 0.0)))
    assert (features["coverage"], features["dense"], features["predicate_coverage"]) == (0.5, 0.4, 0.25)


def test_the_readers_probability_is_an_answerability_feature():
    best = make_candidate(0, 0.9, (0, 5), reader=0.83)
    features = _named(answer_features([best], 1.0, StoryEvidence(0.9, 0.0, 0.83)))
    assert features["reader"] == 0.83


def test_reader_margin_is_over_the_outlets_next_best_read_candidate_and_story_reader_is_the_storys():
    best = make_candidate(0, 0.9, A, reader=0.8)
    rest = [make_candidate(1, 0.5, B, reader=0.3), make_candidate(2, 0.4, C, reader=0.6), make_candidate(3, 0.1, D)]
    features = _named(answer_features([best, *rest], 1.0, StoryEvidence(0.9, 0.0, 0.95)))
    assert features["reader_margin"] == pytest.approx(0.8 - 0.6)
    assert features["story_reader"] == 0.95
    alone = _named(answer_features([best], 1.0, StoryEvidence(0.9, 0.0, 0.8)))
    assert alone["reader_margin"] == pytest.approx(0.8)  # no other candidate: the margin is the whole probability


def test_story_evidence_is_the_maxima_over_every_outlets_best_candidate():
    first = [make_candidate(0, 0.9, A, predicate=0.2, reader=0.1), make_candidate(1, 0.3, B, predicate=1.0, reader=1.0)]
    second = [make_candidate(2, 0.5, C, predicate=0.6, reader=0.7)]
    story = story_evidence([first, [], second])
    # the tops count, except for best_read: the reader's highest probability anywhere in the story
    assert story == StoryEvidence(best_relevance=0.9, best_predicate=0.6, best_reader=0.7, best_read=1.0)


def test_story_evidence_of_a_story_without_candidates_is_zero():
    assert story_evidence([]) == story_evidence([[], []]) == StoryEvidence(0.0, 0.0, 0.0)


# --- the model ----------------------------------------------------------------------------------


def test_answerability_is_a_logistic_of_the_weighted_features():
    model = _relevance_only(weight=2.0, bias=-1.0)
    features = [0.5] + [123.0] * (N - 1)  # other weights are zero
    assert model.probability(features) == pytest.approx(0.5)
    assert model.probability([1.0] + [0.0] * (N - 1)) == pytest.approx(1 / (1 + np.exp(-1)))


def test_answerability_needs_one_value_per_feature():
    with pytest.raises(ValueError):
        _relevance_only().probability([0.5])
    with pytest.raises(ValueError):
        _relevance_only().covers([0.5] * (N + 1))


def _with_relevance(relevance: float) -> list[float]:
    """Features with this relevance, an article holding the question's names, everything else 0."""
    features = [relevance] + [0.0] * (N - 1)
    features[ANSWER_FEATURES.index("entity_coverage")] = 1.0
    return features


def test_covers_at_or_above_the_threshold():
    model = _relevance_only()
    assert not model.covers(_with_relevance(0.49))
    assert model.covers(_with_relevance(0.5))  # exactly at the bar
    assert model.covers(_with_relevance(0.51))


def test_disabled_quotes_any_outlet_with_features():
    model = _relevance_only(threshold=1.0, enabled=False)  # a bar nothing clears, switched off
    assert model.covers([-100.0] + [0.0] * (N - 1))
    assert model.covers([0.0] * N)


@pytest.mark.parametrize("enabled", [True, False])
def test_no_features_is_never_covered(enabled):
    assert not _relevance_only(threshold=0.0, enabled=enabled).covers([])


def test_answerability_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _relevance_only().threshold = 0.0  # type: ignore[misc]


# --- from the settings, in the engine -------------------------------------------------------------


def test_shipped_answerability_matches_the_features():
    settings = Settings(model="fake")
    shipped = settings.answerability()
    assert len(shipped.weights) == N
    assert (shipped.weights, shipped.bias, shipped.threshold) == (tuple(settings.answer_weights), settings.answer_bias,
                                                                  settings.answer_threshold)
    assert shipped.enabled
    assert 0.0 <= shipped.threshold <= 1.0 and 0.0 <= settings.second_quote_ratio <= 1.0
    assert not Settings(model="fake", disable=frozenset({"answerability"})).answerability().enabled


def test_the_engine_decides_with_its_settings_answerability(tmp_path):
    engine = Engine(Settings(home=tmp_path / "home", model="fake", answer_threshold=0.3), embedder=FakeEmbedder())
    assert engine.answerability == engine.settings.answerability() and engine.answerability.threshold == 0.3
    assert engine.answerability is engine.answerability  # built once


def test_the_engines_answer_follows_covers(tmp_path):
    engine = Engine(Settings(home=tmp_path / "home", model="fake"), embedder=FakeEmbedder())
    question = "What did Paris deny?"
    found = {item.source.source_id: item for item in engine.evidence(question)}
    answer = engine.ask(question)
    assert [o.source_id for o in answer.outlets] == list(found)
    for outlet in answer.outlets:
        item = found[outlet.source_id]
        decided = bool(item.ranked) and engine.answerability.covers(item.features)
        assert outlet.covered == (bool(item.credits) or decided)
        assert item.features == (answer_features(item.ranked, item.entity_coverage,
                                                 story_evidence([i.ranked for i in found.values()]))
                                 if item.ranked else [])


def test_with_answerability_disabled_every_outlet_with_sentences_is_quoted(tmp_path):
    settings = Settings(home=tmp_path / "home", model="fake", disable=frozenset({"answerability"}),
                        answer_threshold=1.0)
    engine = Engine(settings, embedder=FakeEmbedder())
    for question in ["What did Paris deny?", "What is the recipe for pancakes?"]:
        found = {item.source.source_id: item for item in engine.evidence(question)}
        for outlet in engine.ask(question).outlets:
            assert outlet.covered == bool(found[outlet.source_id].ranked)
            assert outlet.covered == bool(outlet.quotes)


def test_an_article_without_any_name_the_question_asks_about_is_never_covered():
    certain = Answerability(weights=(0.0,) * len(ANSWER_FEATURES), bias=10.0, threshold=0.5)
    features = [0.9] * len(ANSWER_FEATURES)
    assert certain.covers(features)
    features[ANSWER_FEATURES.index("entity_coverage")] = 0.0
    assert not certain.covers(features)
    assert Answerability(certain.weights, certain.bias, certain.threshold, enabled=False).covers(features)
