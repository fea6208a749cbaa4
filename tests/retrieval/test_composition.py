"""One outlet's answer, built by outlet_answer: quotes with attribution, credit lines, or not covered."""

from __future__ import annotations

import numpy as np
import pytest

from index.embedding import FakeEmbedder
from retrieval.answerability import ANSWER_FEATURES, Answerability, StoryEvidence, answer_features
from retrieval.composition import OutletEvidence, choose_quotes, credit_lines, outlet_answer
from retrieval.engine import Engine
from retrieval.models import Passage, Source
from retrieval.questions import analyse_question
from retrieval.ranking import Candidate
from retrieval.settings import Settings
from tests.retrieval.conftest import A, B, C, D, keyed, make_candidate, make_source

# sigmoid(10·relevance − 5) against 0.5: an outlet is covered exactly when its best relevance is at least 0.5.
RELEVANCE_ONLY = Answerability(weights=(10.0,) + (0.0,) * (len(ANSWER_FEATURES) - 1), bias=-5.0, threshold=0.5)
RATIO = 0.85

# Questions a reader would ask about the seed story; none asks about credits or photos.
ORDINARY_QUESTIONS = [
    "What did Paris deny?",
    "What did Shoigu warn Lecornu about?",
    "What did Lecornu tell Shoigu about the attack near Moscow?",
    "Which peace initiative did the Russian minister mention?",
    "Who is Shoigu?",
    "Who is the Russian defense minister?",
    "Russian Defense Minister Sergei Shoigu",
    "Uncredited dpa",
    "vet AFP AP",
    "Enlarge",
    "When did the two ministers last speak?",
    "How many people died in the attack?",
    "What did Macron say about ground troops?",
    "Did France accept the Istanbul proposal?",
    "What did Moscow claim about Ukrainian involvement?",
    "Who won the 2022 World Cup?",
    "What is the recipe for pancakes?",
]


def _evidence(candidates: list[Candidate], source: Source | None = None, credits: list[Passage] | None = None):
    source = source or make_source()
    features = []
    if candidates:  # an outlet that holds every name and is the story's best outlet
        story = StoryEvidence(candidates[0].relevance, candidates[0].predicate, candidates[0].reader)
        features = answer_features(candidates, 1.0, story)
    return OutletEvidence(source, keyed(source), candidates, 1.0, credits or [], features)


def _answer(candidates: list[Candidate], ratio: float = RATIO, source: Source | None = None):
    """The outlet's answer as the engine builds it: the model decides, outlet_answer composes."""
    evidence = _evidence(candidates, source)
    return outlet_answer(evidence, RELEVANCE_ONLY.covers(evidence.features), ratio)


# --- covered or not ------------------------------------------------------------------------------


def test_no_candidates_is_not_covered():
    entry = _answer([])
    assert (entry.covered, entry.quotes) == (False, [])
    assert (entry.source_id, entry.outlet, entry.title, entry.url) == ("s", "The Outlet", "A title", "https://x.test/a")


def test_covered_without_candidates_is_still_not_covered():
    entry = outlet_answer(_evidence([]), covered=True, second_ratio=RATIO)
    assert (entry.covered, entry.quotes) == (False, [])


def test_not_covered_has_no_quotes_whatever_the_candidates():
    evidence = _evidence([make_candidate(0, 0.9, A), make_candidate(1, 0.9, B)])
    entry = outlet_answer(evidence, covered=False, second_ratio=RATIO)
    assert (entry.covered, entry.quotes) == (False, [])
    assert (entry.source_id, entry.outlet, entry.title, entry.url) == ("s", "The Outlet", "A title", "https://x.test/a")


def test_below_threshold_is_not_covered():
    candidates = [make_candidate(0, 0.49, A), make_candidate(1, 0.48, B), make_candidate(2, 0.47, C)]
    evidence = _evidence(candidates)
    assert RELEVANCE_ONLY.probability(evidence.features) < RELEVANCE_ONLY.threshold
    entry = _answer(candidates)
    assert (entry.covered, entry.quotes) == (False, [])


def test_just_above_threshold_is_covered_with_the_best_quote():
    entry = _answer([make_candidate(2, 0.51, C), make_candidate(0, 0.0, A)])
    assert entry.covered
    assert [q.text for q in entry.quotes] == ["Gamma said a third."]


# --- the quotes ----------------------------------------------------------------------------------


def test_quotes_are_exact_spans_of_the_source():
    source = make_source()
    entry = _answer([make_candidate(1, 0.8, B), make_candidate(3, 0.75, D)], source=source)
    assert [q.text for q in entry.quotes] == ["Beta said another.", "Delta said a fourth."]
    for quote in entry.quotes:
        assert source.text[quote.start : quote.end] == quote.text
    assert [q.score for q in entry.quotes] == [0.8, 0.75]


def test_a_quote_score_is_its_relevance_rounded():
    entry = _answer([make_candidate(0, 0.812345678, A)])
    assert [q.score for q in entry.quotes] == [0.8123]


def test_at_most_two_quotes():
    candidates = [make_candidate(0, 0.8, A), make_candidate(1, 0.8, B), make_candidate(2, 0.8, C),
                  make_candidate(3, 0.8, D)]
    entry = _answer(candidates)
    assert [q.text for q in entry.quotes] == ["Alpha said one thing.", "Beta said another."]


def test_second_quote_only_at_or_above_the_ratio():
    below = _answer([make_candidate(0, 1.0, A), make_candidate(1, 0.84, B)])
    assert len(below.quotes) == 1
    at = _answer([make_candidate(0, 1.0, A), make_candidate(1, 0.85, B)])
    assert len(at.quotes) == 2
    lower_ratio = _answer([make_candidate(0, 1.0, A), make_candidate(1, 0.84, B)], ratio=0.5)
    assert len(lower_ratio.quotes) == 2


def test_overlapping_candidate_is_skipped_for_the_next_one():
    best = make_candidate(1, 0.8, (A[0], B[1]))  # an anaphoric sentence quoted with its antecedent
    overlapping = make_candidate(0, 0.79, A)
    separate = make_candidate(3, 0.7, D)
    entry = _answer([best, overlapping, separate])
    assert [(q.start, q.end) for q in entry.quotes] == [(A[0], B[1]), D]
    assert entry.quotes[0].text == "Alpha said one thing. Beta said another."


def test_adjacent_spans_do_not_overlap():
    entry = _answer([make_candidate(0, 0.8, (0, 21)), make_candidate(1, 0.8, (21, 40))])
    assert len(entry.quotes) == 2
    spans = sorted((q.start, q.end) for q in entry.quotes)
    assert spans[0][1] <= spans[1][0]


def test_compose_never_returns_overlapping_quotes():
    rng = np.random.default_rng(7)
    spans = [A, B, C, D, (A[0], B[1]), (B[0], C[1]), (C[0], D[1])]
    for _ in range(200):
        candidates = sorted(
            (make_candidate(i, float(r), spans[rng.integers(len(spans))]) for i, r in enumerate(rng.random(5))),
            key=lambda c: -c.relevance,
        )
        quotes = _answer(candidates).quotes
        assert len(quotes) <= 2
        if len(quotes) == 2:
            (s0, e0), (s1, e1) = (quotes[0].start, quotes[0].end), (quotes[1].start, quotes[1].end)
            assert e0 <= s1 or e1 <= s0


def test_choose_quotes_takes_the_best_and_the_first_close_separate_one():
    best, overlapping, far, close = (make_candidate(0, 1.0, (A[0], B[1])), make_candidate(1, 0.95, B),
                                     make_candidate(2, 0.9, C), make_candidate(3, 0.89, D))
    assert choose_quotes([best, overlapping, far, close], 0.85) == [best, far]
    assert choose_quotes([best, overlapping], 0.85) == [best]
    assert choose_quotes([best, far], 0.95) == [best]
    assert choose_quotes([], 0.85) == []


def test_quotes_carry_their_speaker():
    source = make_source("The talks failed. Shoigu warned Lecornu against sending troops, the ministry said.")
    passages = keyed(source)
    warning = next(p for p in passages if p.text.startswith("Shoigu"))
    candidate = make_candidate(warning.pid, 0.9, (warning.start, warning.end), sentence=(warning.start, warning.end))
    entry = outlet_answer(OutletEvidence(source, passages, [candidate], features=[1.0]), True, RATIO)
    [quote] = entry.quotes
    assert quote.attribution is not None and quote.attribution.speaker == "the ministry"
    assert source.text[quote.attribution.start : quote.attribution.end] == "the ministry"


def test_a_quote_without_a_speaker_has_no_attribution():
    entry = _answer([make_candidate(0, 0.9, A)], source=make_source("Alpha was one thing. Beta was another."))
    assert [q.attribution for q in entry.quotes] == [None]


# --- credit lines -------------------------------------------------------------------------------


def test_credit_lines_sign_off_first(seed_000):
    passages = keyed(seed_000)
    credits = credit_lines(passages, analyse_question("Which agency filed this report?"))
    assert [p.text for p in credits] == ["vet/AFP/AP", "Uncredited / dpa"]
    assert {p.kind for p in credits} == {"furniture"}
    for passage in credits:
        assert seed_000.text[passage.start : passage.end] == passage.text


@pytest.mark.parametrize("question", ["Who took the photo?", "Who is credited for the picture?", "Whose image is it?"])
def test_credit_lines_photo_credit_first_when_asked_about_photos(seed_000, question):
    passages = keyed(seed_000)
    assert [p.text for p in credit_lines(passages, analyse_question(question))] == ["Uncredited / dpa", "vet/AFP/AP"]


def test_credit_lines_none_without_credit_lines():
    passages = keyed(make_source("A headline\n\nA body sentence. Another one."))
    assert credit_lines(passages, analyse_question("Who took the photo?")) == []


@pytest.mark.parametrize("question", ["What did Paris deny?", "Which French agency did Shoigu suspect?", "vet AFP AP"])
def test_credit_lines_only_for_provenance_questions(seed_000, question):
    assert credit_lines(keyed(seed_000), analyse_question(question)) == []


def test_an_outlet_with_credit_lines_quotes_them_whatever_the_model_says(seed_000):
    passages = keyed(seed_000)
    credits = credit_lines(passages, analyse_question("Which agency filed this report?"))
    evidence = OutletEvidence(seed_000, passages, [make_candidate(0, 0.1, (0, 5))], 1.0, credits, [0.1])
    entry = outlet_answer(evidence, covered=False, second_ratio=RATIO)
    assert entry.covered
    assert [q.text for q in entry.quotes] == ["vet/AFP/AP", "Uncredited / dpa"]
    for quote in entry.quotes:
        assert seed_000.text[quote.start : quote.end] == quote.text
        assert (quote.score, quote.attribution) == (1.0, None)


# --- furniture is never evidence -----------------------------------------------------------------


def _assert_no_furniture_quoted(engine: Engine, questions: list[str]) -> int:
    engine.load()
    furniture = [p for p in engine.view()[0].passages if p.kind == "furniture"]
    quoted = 0
    for question in questions:
        assert not analyse_question(question).provenance, question
        for outlet in engine.ask(question).outlets:
            for quote in outlet.quotes:
                quoted += 1
                for passage in furniture:
                    if passage.source_id == outlet.source_id:
                        assert quote.end <= passage.start or passage.end <= quote.start, (question, passage.text)
    return quoted


def test_fake_engine_never_quotes_furniture(fake_engine):
    _assert_no_furniture_quoted(fake_engine, ORDINARY_QUESTIONS)


def test_furniture_is_never_quoted_even_when_every_outlet_is_covered(tmp_path):
    settings = Settings(home=tmp_path / "home", model="fake", answer_threshold=0.0, second_quote_ratio=0.0)
    engine = Engine(settings, embedder=FakeEmbedder())
    quoted = _assert_no_furniture_quoted(engine, ORDINARY_QUESTIONS)
    assert quoted >= 2 * len(ORDINARY_QUESTIONS)  # every outlet quoted: the check had plenty to look at


def test_question_about_an_agency_in_the_story_is_not_answered_with_credits(fake_engine):
    answer = fake_engine.ask("Which French agency did Shoigu suspect?")
    quoted = [q.text for o in answer.outlets for q in o.quotes]
    assert "vet/AFP/AP" not in quoted and "Uncredited / dpa" not in quoted


def test_a_provenance_question_is_answered_with_credit_lines(fake_engine):
    answer = fake_engine.ask("Which agency filed this report?")
    by_source = {o.source_id: o for o in answer.outlets}
    entry = by_source["000_5ace3053a7754062"]
    assert entry.covered and [q.text for q in entry.quotes] == ["vet/AFP/AP", "Uncredited / dpa"]
