"""Answer composition as pure logic: anaphora, provenance questions, quotes per outlet, credits, furniture."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from retrieval.answer_type import is_provenance_question
from retrieval.answerability import ANSWER_FEATURES, answer_features, answerability
from retrieval.answering import (Calibration, Candidate, asks_a_question, compose_outlet, credit_quotes, is_anaphoric,
                                 rank_source, rerank)
from index.embedding import FakeEmbedder
from retrieval.engine import Engine
from retrieval.lexical import StoryLexicon
from retrieval.models import Passage, Source
from index.sentences import split_passages
from retrieval.settings import Settings
from tests.conftest import DENIAL_SENTENCE, SEEDS



def _calibration(relevance_weight: float = 10.0, bias: float = -5.0, second_ratio: float = 0.85) -> Calibration:
    """The shipped calibration, with an answerability model that looks at relevance only.

    With weight 10 and bias -5 the probability is sigmoid(10·relevance − 5): an outlet is covered
    exactly when its best sentence's relevance exceeds 0.5 (threshold 0.5).
    """
    shipped = Engine(Settings(model="fake"), embedder=FakeEmbedder()).calibration
    weights = (relevance_weight,) + (0.0,) * (len(ANSWER_FEATURES) - 1)
    return dataclasses.replace(shipped, weights=weights, bias=bias, threshold=0.5, second_ratio=second_ratio)


CALIBRATION = _calibration()
TEXT = "Alpha said one thing. Beta said another. Gamma said a third. Delta said a fourth."
#       0                    21                 40                 59                  81

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


def _source(text: str = TEXT) -> Source:
    return Source(source_id="s", story_id="story", outlet="The Outlet", title="A title", text=text, url="https://x.test/a")


def _candidate(pid: int, relevance: float, span: tuple[int, int]) -> Candidate:
    """A candidate whose only evidence is its relevance (every other feature zero)."""
    values: dict = {f.name: 0.0 for f in dataclasses.fields(Candidate)}
    values.update(pid=pid, relevance=relevance, span=span, typed=False)
    return Candidate(**values)


A, B, C, D = (0, 21), (22, 40), (41, 60), (61, 81)


def _features(candidates: list[Candidate]) -> list[float]:
    """The answerability features of an outlet that holds every name and is the story's best outlet."""
    if not candidates:
        return []
    return answer_features(candidates, entity_coverage=1.0, story_best=candidates[0].relevance,
                           story_predicate=candidates[0].predicate)


def _compose(source: Source, candidates: list[Candidate], calibration: Calibration | None = None):
    return compose_outlet(source, candidates, calibration or CALIBRATION, _features(candidates))


def _seed(source_id: str) -> Source:
    text = (SEEDS / f"{source_id}.txt").read_text(encoding="utf-8")
    return Source(source_id=source_id, story_id="seeds", outlet="o", title="t", text=text)


def _keyed(source: Source) -> list[Passage]:
    """The source's passages with catalog-like keys (pid = ordinal), as the library gives them."""
    return [p.model_copy(update={"pid": p.ordinal}) for p in split_passages(source)]


@pytest.fixture(scope="module")
def seed_000() -> Source:
    return _seed("000_5ace3053a7754062")


# --- is_anaphoric ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "He said the talks failed.",
        DENIAL_SENTENCE,
        "This was a surprise.",
        "They left early.",
        "“They will pay,” he said.",
        "Its army moved at dawn.",
        "The minister rejected that.",
        "Italy denied that outright.",
        "Moscow denied this shortly afterwards.",
        "Such a move would be risky.",
        # "That decision" points back at a decision the previous sentence describes, so it needs that sentence.
        "That decision was criticised.",
    ],
)
def test_anaphoric_sentences(sentence):
    assert is_anaphoric(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Then he left.",
        "Heathrow was closed.",
        "Thesis defended.",
        "Theirs was a hard task.",
        "The ministry did not elaborate on what it meant.",
        "Lecornu emphasized that France had no information on a link.",
        "The Russian Defense Ministry said after the phone call on Wednesday that Shoigu had warned Lecornu.",
        "",
    ],
)
def test_self_contained_sentences(sentence):
    assert not is_anaphoric(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "This week the ministry said it would act.",
        "That night the army moved.",
        "Officials said that the attack was planned.",
        "Shoigu said that the investigation into the attack would be brought to an end.",
        "We trust that in this case French special services are not involved in it.",
    ],
    ids=["this-week", "that-night", "said-that-the", "seed-004-said-that-the", "trust-that-in"],
)
def test_determiners_and_conjunctions_are_not_anaphora(sentence):
    assert not is_anaphoric(sentence)


# --- is_provenance_question -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Who took the photo?",
        "Who took the photographs?",
        "Which news agency filed this report?",
        "Who is credited?",
        "What is the byline?",
        "Who wrote the article?",
        "Who is the author?",
        "Is there a caption?",
        "WHO TOOK THE PICTURE?",
    ],
)
def test_provenance_questions(question):
    assert is_provenance_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "What did Paris deny?",
        "What did Shoigu warn Lecornu about?",
        "How many people died in the attack?",
        "Who won the 2022 World Cup?",
        "What did the photocopier do?",
    ],
)
def test_content_questions_are_not_provenance(question):
    assert not is_provenance_question(question)


@pytest.mark.parametrize("question", ["Which agency runs the PRISM program?", "Which French agency did Shoigu suspect?"])
def test_agencies_in_the_story_are_not_provenance(question):
    assert not is_provenance_question(question)


# --- answerability and compose_outlet ------------------------------------------------------------


def test_answer_features_relevance_and_margin_over_the_median():
    best = _candidate(0, 0.6, A)
    others = [_candidate(1, 0.2, B), _candidate(2, 0.4, C), _candidate(3, 0.2, D)]
    values = answer_features([best, *others], entity_coverage=0.5, story_best=0.9, story_predicate=0.8)
    features = dict(zip(ANSWER_FEATURES, values, strict=True))
    assert features["relevance"] == pytest.approx(0.6)
    assert features["margin"] == pytest.approx(0.6 - 0.2)
    assert features["entity_coverage"] == 0.5
    assert features["story_gap"] == pytest.approx(0.6 - 0.9)
    assert features["story_predicate"] == 0.8  # the story's, whatever this outlet holds
    alone = dict(zip(ANSWER_FEATURES, answer_features([best], entity_coverage=1.0, story_best=0.6, story_predicate=0.0), strict=True))
    assert alone["margin"] == pytest.approx(0.6)
    assert alone["story_gap"] == 0.0


def test_answerability_is_a_logistic_of_the_weighted_features():
    calibration = _calibration(relevance_weight=2.0, bias=-1.0)
    features = [0.5] + [123.0] * (len(ANSWER_FEATURES) - 1)  # other weights are zero
    assert answerability(features, calibration) == pytest.approx(0.5)
    assert answerability([1.0] + [0.0] * (len(ANSWER_FEATURES) - 1), calibration) == pytest.approx(1 / (1 + np.exp(-1)))


def test_answerability_needs_one_value_per_feature():
    with pytest.raises(ValueError):
        answerability([0.5], CALIBRATION)


def test_shipped_calibration_matches_the_features():
    shipped = Engine(Settings(model="fake"), embedder=FakeEmbedder()).calibration
    assert len(shipped.weights) == len(ANSWER_FEATURES)
    assert 0.0 <= shipped.threshold <= 1.0 and 0.0 <= shipped.second_ratio <= 1.0


def test_no_candidates_is_not_covered():
    entry = _compose(_source(), [])
    assert (entry.covered, entry.quotes) == (False, [])
    assert (entry.source_id, entry.outlet, entry.title, entry.url) == ("s", "The Outlet", "A title", "https://x.test/a")


def test_below_threshold_is_not_covered():
    candidates = [_candidate(0, 0.49, A), _candidate(1, 0.48, B), _candidate(2, 0.47, C)]
    assert answerability(_features(candidates), CALIBRATION) < CALIBRATION.threshold
    entry = _compose(_source(), candidates)
    assert (entry.covered, entry.quotes) == (False, [])


def test_just_above_threshold_is_covered_with_the_best_quote():
    entry = _compose(_source(), [_candidate(2, 0.51, C), _candidate(0, 0.0, A)])
    assert entry.covered
    assert [q.text for q in entry.quotes] == ["Gamma said a third."]


def test_quotes_are_exact_spans_of_the_source():
    source = _source()
    entry = _compose(source, [_candidate(1, 0.8, B), _candidate(3, 0.75, D)])
    assert [q.text for q in entry.quotes] == ["Beta said another.", "Delta said a fourth."]
    for quote in entry.quotes:
        assert source.text[quote.start : quote.end] == quote.text
    assert [q.score for q in entry.quotes] == [0.8, 0.75]


def test_at_most_two_quotes():
    candidates = [_candidate(0, 0.8, A), _candidate(1, 0.8, B), _candidate(2, 0.8, C), _candidate(3, 0.8, D)]
    entry = _compose(_source(), candidates)
    assert [q.text for q in entry.quotes] == ["Alpha said one thing.", "Beta said another."]


def test_second_quote_only_at_or_above_the_ratio():
    below = _compose(_source(), [_candidate(0, 1.0, A), _candidate(1, 0.84, B)])
    assert len(below.quotes) == 1
    at = _compose(_source(), [_candidate(0, 1.0, A), _candidate(1, 0.85, B)])
    assert len(at.quotes) == 2
    lower_ratio = _compose(_source(), [_candidate(0, 1.0, A), _candidate(1, 0.84, B)], _calibration(second_ratio=0.5))
    assert len(lower_ratio.quotes) == 2


def test_overlapping_candidate_is_skipped_for_the_next_one():
    best = _candidate(1, 0.8, (A[0], B[1]))  # an anaphoric sentence quoted with its antecedent
    overlapping = _candidate(0, 0.79, A)
    separate = _candidate(3, 0.7, D)
    entry = _compose(_source(), [best, overlapping, separate])
    assert [(q.start, q.end) for q in entry.quotes] == [(A[0], B[1]), D]
    assert entry.quotes[0].text == "Alpha said one thing. Beta said another."


def test_adjacent_spans_do_not_overlap():
    entry = _compose(_source(), [_candidate(0, 0.8, (0, 21)), _candidate(1, 0.8, (21, 40))])
    assert len(entry.quotes) == 2
    spans = sorted((q.start, q.end) for q in entry.quotes)
    assert spans[0][1] <= spans[1][0]


def test_compose_never_returns_overlapping_quotes():
    rng = np.random.default_rng(7)
    spans = [A, B, C, D, (A[0], B[1]), (B[0], C[1]), (C[0], D[1])]
    for _ in range(200):
        candidates = sorted(
            (_candidate(i, float(r), spans[rng.integers(len(spans))]) for i, r in enumerate(rng.random(5))),
            key=lambda c: -c.relevance,
        )
        quotes = _compose(_source(), candidates).quotes
        assert len(quotes) <= 2
        if len(quotes) == 2:
            (s0, e0), (s1, e1) = (quotes[0].start, quotes[0].end), (quotes[1].start, quotes[1].end)
            assert e0 <= s1 or e1 <= s0


# --- rank_source ---------------------------------------------------------------------------------


def test_rank_source_skips_furniture_and_quotes_antecedents(seed_000):
    passages = _keyed(seed_000)
    lexicon = StoryLexicon([p.pid for p in passages], passages)
    question = lexicon.analyse("What did Paris deny?")
    ranked = rank_source(passages, np.zeros(len(passages)), lexicon, question, lexicon.bm25(question.query), CALIBRATION)
    assert {passages[c.pid].kind for c in ranked} == {"body"}
    assert len(ranked) == sum(p.kind == "body" for p in passages)
    by_text = {passages[c.pid].text: c for c in ranked}
    denial = by_text[DENIAL_SENTENCE]
    before = passages[[p.text for p in passages].index(DENIAL_SENTENCE) - 1]
    assert denial.span == (before.start, passages[denial.pid].end)
    first_body = next(p for p in passages if p.kind == "body")
    assert by_text[first_body.text].span == (first_body.start, first_body.end)  # never reaches into furniture
    assert [c.relevance for c in ranked] == sorted((c.relevance for c in ranked), reverse=True)


# --- credit_quotes -------------------------------------------------------------------------------


def test_credit_quotes_sign_off_first(seed_000):
    passages = _keyed(seed_000)
    quotes = credit_quotes(seed_000, passages, "Which agency filed this report?")
    assert [q.text for q in quotes] == ["vet/AFP/AP", "Uncredited / dpa"]
    for quote in quotes:
        assert seed_000.text[quote.start : quote.end] == quote.text


@pytest.mark.parametrize("question", ["Who took the photo?", "Who is credited for the picture?", "Whose image is it?"])
def test_credit_quotes_photo_credit_first_when_asked_about_photos(seed_000, question):
    passages = _keyed(seed_000)
    quotes = credit_quotes(seed_000, passages, question)
    assert [q.text for q in quotes] == ["Uncredited / dpa", "vet/AFP/AP"]


def test_credit_quotes_none_without_credit_lines():
    source = _source("A headline\n\nA body sentence. Another one.")
    passages = _keyed(source)
    assert credit_quotes(source, passages, "Who took the photo?") == []


# --- furniture is never evidence -----------------------------------------------------------------


def _assert_no_furniture_quoted(engine: Engine, questions: list[str]) -> int:
    engine.load()
    furniture = [p for p in engine.view()[0].passages if p.kind == "furniture"]
    quoted = 0
    for question in questions:
        assert not is_provenance_question(question), question
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
    settings = Settings(home=tmp_path / "home", model="fake", answer_threshold=0.0,
                        second_quote_ratio=0.0)
    engine = Engine(settings, embedder=FakeEmbedder())
    quoted = _assert_no_furniture_quoted(engine, ORDINARY_QUESTIONS)
    assert quoted >= 2 * len(ORDINARY_QUESTIONS)  # every outlet quoted: the check had plenty to look at


def test_question_about_an_agency_in_the_story_is_not_answered_with_credits(fake_engine):
    answer = fake_engine.ask("Which French agency did Shoigu suspect?")
    quoted = [q.text for o in answer.outlets for q in o.quotes]
    assert "vet/AFP/AP" not in quoted and "Uncredited / dpa" not in quoted


def test_seed_004_conjunction_that_keeps_its_own_span():
    source = _seed("004_c92dd615dfce2fa4")
    passages = _keyed(source)
    lexicon = StoryLexicon([p.pid for p in passages], passages)
    question = lexicon.analyse("What did Shoigu say about the investigation?")
    ranked = rank_source(passages, np.zeros(len(passages)), lexicon, question, lexicon.bm25(question.query), CALIBRATION)
    [candidate] = [c for c in ranked if passages[c.pid].text.startswith("Shoigu said that the investigation")]
    passage = passages[candidate.pid]
    assert candidate.span == (passage.start, passage.end)
    assert "\n" not in source.text[candidate.span[0] : candidate.span[1]]


@pytest.mark.parametrize(
    ("sentence", "anaphoric"),
    [
        ("It looks like President Trump is having a change of heart.", False),
        ("It is unclear whether he will run.", False),
        ("It was a surprise.", True),
        ("It is also said from Russia that the two ministers agreed to talk.", False),
        ("It is believed to be the first such call.", False),
        ("It was reported on Monday.", True),
    ],
)
def test_expletive_it_is_not_anaphora(sentence, anaphoric):
    assert is_anaphoric(sentence) is anaphoric


def test_a_headline_is_never_an_antecedent():
    source = Source(source_id="s", story_id="t", outlet="o", title="Head", text="Trump holds off on ban\n\nHe said so.")
    passages = _keyed(source)
    lexicon = StoryLexicon([p.pid for p in passages], passages)
    question = lexicon.analyse("What did Trump say?")
    ranked = rank_source(passages, np.zeros(len(passages)), lexicon, question, lexicon.bm25(question.query), CALIBRATION)
    [body] = [c for c in ranked if passages[c.pid].text == "He said so."]
    assert source.text[body.span[0] : body.span[1]] == "He said so."


def test_a_following_sentence_that_leans_on_the_quote_and_adds_question_terms_joins_it():
    source = _seed("000_5ace3053a7754062")
    passages = _keyed(source)
    lexicon = StoryLexicon([p.pid for p in passages], passages)

    def span_of(question: str) -> str:
        terms = lexicon.analyse(question)
        ranked = rank_source(passages, np.zeros(len(passages)), lexicon, terms, lexicon.bm25(terms.query), CALIBRATION)
        [candidate] = [c for c in ranked if passages[c.pid].text.startswith("It is also said from Russia")]
        return source.text[candidate.span[0] : candidate.span[1]]

    # "denied" adds to what the question asks: the quote carries on into "…denied this a little later."
    assert span_of("Did the French ministry deny the dialogue?").endswith("denied this a little later.")
    # Nothing in the next sentence is asked about: the quote stays one sentence.
    assert span_of("Did Shoigu and Lecornu discuss dialogue?").endswith("in the telephone conversation.")


@pytest.mark.parametrize("sentence", ["However, the talks were broken off.", "Otherwise, France would act alone.",
                                      "But the ministry denied it.", "Instead, they left."])
def test_a_sentence_opening_with_a_connective_leans_on_the_one_before(sentence):
    assert is_anaphoric(sentence)


@pytest.mark.parametrize("sentence", ["Butler said the talks ended.", "Stillwater voted on Tuesday."])
def test_a_name_that_starts_like_a_connective_does_not(sentence):
    assert not is_anaphoric(sentence)


# --- the reader's re-ranking --------------------------------------------------------------------


def test_rerank_moves_only_what_the_reader_read():
    candidates = [_candidate(0, 0.9, (0, 5)), _candidate(1, 0.8, (6, 9)), _candidate(2, 0.7, (10, 12)),
                  _candidate(3, 0.6, (13, 15))]
    ranked = rerank(candidates, [0.0, 0.9, 0.1], weight=0.5)
    assert [c.pid for c in ranked] == [1, 0, 2, 3]  # 0.8 + 0.45 beats 0.9; the unread fourth stays last
    assert [c.reader for c in ranked] == [0.9, 0.0, 0.1, 0.0]
    assert ranked[0].relevance == pytest.approx(1.25)


def test_the_readers_probability_is_an_answerability_feature():
    best = _candidate(0, 0.9, (0, 5))
    best.reader = 0.83
    features = dict(zip(ANSWER_FEATURES, answer_features([best], entity_coverage=1.0, story_best=0.9, story_predicate=0.0), strict=True))
    assert features["reader"] == 0.83


def test_the_engine_reads_each_outlets_best_quotes_once_in_one_batch(tmp_path):
    calls = []

    class CountingReader:
        def score(self, question, sentences):
            calls.append(len(sentences))
            return np.linspace(0.1, 0.9, len(sentences))

    engine = Engine(Settings(home=tmp_path / "home", model="fake", reader_depth=3), embedder=FakeEmbedder())
    engine.__dict__["reader"] = CountingReader()
    found = engine.evidence("What did Paris deny?")
    assert calls == [3 * len(found)]  # one batch, three quotes an outlet
    for item in found:
        assert max(c.reader for c in item.ranked[:3]) > 0 and all(c.reader == 0 for c in item.ranked[3:])
        assert item.features[ANSWER_FEATURES.index("reader")] == item.ranked[0].reader


def test_the_fake_embedder_comes_with_the_fake_reader_unless_one_is_named(tmp_path):
    assert Settings(home=tmp_path, model="fake").reader_model == "fake"
    assert Settings(home=tmp_path, model="fake", reader_model="packaged").reader_model == "packaged"
    assert Settings(home=tmp_path).reader_model == "packaged"


@pytest.mark.parametrize(("sentence", "asks"), [
    ("Who is Dave Brat?", True),
    ("So who is Dave Brat, and how did he pull off such a stunning win?", True),
    ("“What consideration did you give to firing him?” another asks.", False),
    ("“What did you know?”", False),
    ("He teaches economics at a small college.", False),
])
def test_a_question_the_writer_asks_is_told_from_a_reported_one(sentence, asks):
    assert asks_a_question(sentence) is asks


def test_a_sentence_asking_the_question_ranks_below_the_one_answering_it():
    text = "Who is Dave Brat?\n\nBrat, an economics professor, teaches at a small college in Virginia."
    source = Source(source_id="s", story_id="t", outlet="o", title="Head", text="Head line\n\n" + text)
    passages = _keyed(source)
    lexicon = StoryLexicon([p.pid for p in passages], passages)
    question = lexicon.analyse("Who is Dave Brat?")
    dense = np.asarray([0.0, 0.9, 0.5])  # the echoing question looks far closer to the embedder
    penalised = dataclasses.replace(CALIBRATION, question_penalty=0.6)
    ranked = rank_source(passages, dense, lexicon, question, lexicon.bm25(question.query), penalised)
    assert passages[ranked[0].pid].text.startswith("Brat, an economics professor")
    unpenalised = rank_source(passages, dense, lexicon, question, lexicon.bm25(question.query),
                              dataclasses.replace(CALIBRATION, question_penalty=0.0))
    assert passages[unpenalised[0].pid].text == "Who is Dave Brat?"
