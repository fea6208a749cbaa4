"""Ranking one outlet's sentences: anaphora, the writer's own questions, rank_source, and the reader's re-ranking."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index.embedding import FakeEmbedder
from retrieval.answerability import ANSWER_FEATURES
from retrieval.engine import Engine
from retrieval.lexical import StoryLexicon
from retrieval.models import Source
from retrieval.questions import analyse_question
from retrieval.ranking import Ranking, asks_a_question, is_anaphoric, rank_source, rerank, to_read
from retrieval.settings import Settings
from tests.conftest import DENIAL_SENTENCE
from tests.retrieval.conftest import keyed, make_candidate, seed_source

RANKING = Settings(model="fake").ranking()


def _rank(passages, question: str, ranking: Ranking = RANKING, dense: np.ndarray | None = None):
    lexicon = StoryLexicon([p.pid for p in passages], passages)
    terms = lexicon.analyse(question)
    dense = np.zeros(len(passages)) if dense is None else dense
    return rank_source(passages, dense, lexicon, terms, lexicon.bm25(terms.query), ranking)


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


@pytest.mark.parametrize("sentence", ["However, the talks were broken off.", "Otherwise, France would act alone.",
                                      "But the ministry denied it.", "Instead, they left."])
def test_a_sentence_opening_with_a_connective_leans_on_the_one_before(sentence):
    assert is_anaphoric(sentence)


@pytest.mark.parametrize("sentence", ["Butler said the talks ended.", "Stillwater voted on Tuesday."])
def test_a_name_that_starts_like_a_connective_does_not(sentence):
    assert not is_anaphoric(sentence)


# --- asks_a_question -----------------------------------------------------------------------------


@pytest.mark.parametrize(("sentence", "asks"), [
    ("Who is Dave Brat?", True),
    ("So who is Dave Brat, and how did he pull off such a stunning win?", True),
    ("“What consideration did you give to firing him?” another asks.", False),
    ("“What did you know?”", False),
    ("He teaches economics at a small college.", False),
])
def test_a_question_the_writer_asks_is_told_from_a_reported_one(sentence, asks):
    assert asks_a_question(sentence) is asks


# --- Ranking -------------------------------------------------------------------------------------


def test_settings_build_the_ranking_and_disable_switches_mechanisms_off():
    settings = Settings(model="fake")
    ranking = settings.ranking()
    assert ranking == Ranking(dense_weight=settings.dense_weight, type_weight=settings.answer_type_weight,
                              headline_penalty=settings.headline_penalty, antecedents=True,
                              question_penalty=settings.question_penalty, reader_weight=settings.reader_weight,
                              reader_depth=settings.reader_depth, reader_extra=settings.reader_extra)
    off = Settings(model="fake", disable=frozenset({"lexical", "answer_type", "antecedent", "own_question"})).ranking()
    assert (off.dense_weight, off.type_weight, off.antecedents, off.question_penalty) == (1.0, 0.0, False, 0.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ranking.dense_weight = 0.0  # type: ignore[misc]


def test_the_engine_ranks_with_its_settings_ranking(tmp_path):
    engine = Engine(Settings(home=tmp_path / "home", model="fake", reader_depth=4), embedder=FakeEmbedder())
    assert engine.ranking == engine.settings.ranking() and engine.ranking.reader_depth == 4
    assert engine.ranking is engine.ranking  # built once


# --- rank_source ---------------------------------------------------------------------------------


def test_rank_source_skips_furniture_and_quotes_antecedents(seed_000):
    passages = keyed(seed_000)
    ranked = _rank(passages, "What did Paris deny?")
    assert {passages[c.pid].kind for c in ranked} == {"body"}
    assert len(ranked) == sum(p.kind == "body" for p in passages)
    by_text = {passages[c.pid].text: c for c in ranked}
    denial = by_text[DENIAL_SENTENCE]
    before = passages[[p.text for p in passages].index(DENIAL_SENTENCE) - 1]
    assert denial.span == (before.start, passages[denial.pid].end)
    assert denial.sentence == (passages[denial.pid].start, passages[denial.pid].end)  # the ranked sentence itself
    first_body = next(p for p in passages if p.kind == "body")
    assert by_text[first_body.text].span == (first_body.start, first_body.end)  # never reaches into furniture
    assert [c.relevance for c in ranked] == sorted((c.relevance for c in ranked), reverse=True)


def test_without_antecedents_every_quote_is_its_own_sentence(seed_000):
    passages = keyed(seed_000)
    ranked = _rank(passages, "What did Paris deny?", dataclasses.replace(RANKING, antecedents=False))
    for candidate in ranked:
        passage = passages[candidate.pid]
        assert candidate.span == candidate.sentence == (passage.start, passage.end)


def test_seed_004_conjunction_that_keeps_its_own_span():
    source = seed_source("004_c92dd615dfce2fa4")
    passages = keyed(source)
    ranked = _rank(passages, "What did Shoigu say about the investigation?")
    [candidate] = [c for c in ranked if passages[c.pid].text.startswith("Shoigu said that the investigation")]
    passage = passages[candidate.pid]
    assert candidate.span == (passage.start, passage.end)
    assert "\n" not in source.text[candidate.span[0] : candidate.span[1]]


def test_a_headline_is_never_an_antecedent():
    source = Source(source_id="s", story_id="t", outlet="o", title="Head", text="Trump holds off on ban\n\nHe said so.")
    passages = keyed(source)
    ranked = _rank(passages, "What did Trump say?")
    [body] = [c for c in ranked if passages[c.pid].text == "He said so."]
    assert source.text[body.span[0] : body.span[1]] == "He said so."


def test_a_following_sentence_that_leans_on_the_quote_and_adds_question_terms_joins_it(seed_000):
    passages = keyed(seed_000)

    def span_of(question: str) -> str:
        ranked = _rank(passages, question)
        [candidate] = [c for c in ranked if passages[c.pid].text.startswith("It is also said from Russia")]
        return seed_000.text[candidate.span[0] : candidate.span[1]]

    # "denied" adds to what the question asks: the quote carries on into "…denied this a little later."
    assert span_of("Did the French ministry deny the dialogue?").endswith("denied this a little later.")
    # Nothing in the next sentence is asked about: the quote stays one sentence.
    assert span_of("Did Shoigu and Lecornu discuss dialogue?").endswith("in the telephone conversation.")


def test_a_sentence_asking_the_question_ranks_below_the_one_answering_it():
    text = "Who is Dave Brat?\n\nBrat, an economics professor, teaches at a small college in Virginia."
    source = Source(source_id="s", story_id="t", outlet="o", title="Head", text="Head line\n\n" + text)
    passages = keyed(source)
    dense = np.asarray([0.0, 0.9, 0.5])  # the echoing question looks far closer to the embedder
    penalised = _rank(passages, "Who is Dave Brat?", dataclasses.replace(RANKING, question_penalty=0.6), dense)
    assert passages[penalised[0].pid].text.startswith("Brat, an economics professor")
    unpenalised = _rank(passages, "Who is Dave Brat?", dataclasses.replace(RANKING, question_penalty=0.0), dense)
    assert passages[unpenalised[0].pid].text == "Who is Dave Brat?"


# --- to_read: which candidates the reader reads ------------------------------------------------


def _by_evidence(dense: list[float], lexical: list[float]):
    """Candidates in relevance order (pid = index) with the given dense and lexical evidence."""
    n = len(dense)
    return [make_candidate(k, 1.0 - k / n, (k, k + 1), dense=dense[k], lexical=lexical[k]) for k in range(n)]


def test_to_read_is_the_first_by_relevance_joined_by_the_first_by_dense_and_by_lexical():
    # relevance order 0..7; dense puts 6 and 3 first, lexical puts 7 and 2 first
    candidates = _by_evidence(dense=[0.1, 0.2, 0.3, 0.8, 0.0, 0.1, 0.9, 0.2],
                              lexical=[0.0, 0.1, 0.7, 0.1, 0.2, 0.0, 0.3, 0.9])
    ranking = dataclasses.replace(RANKING, reader_depth=2, reader_extra=2)
    assert to_read(candidates, ranking) == [0, 1, 2, 3, 6, 7]


def test_to_read_is_sorted_without_duplicates():
    # the best by relevance is also the best by dense and by lexical: it is read once
    candidates = _by_evidence(dense=[0.9, 0.1, 0.8, 0.0, 0.0], lexical=[0.9, 0.0, 0.1, 0.7, 0.0])
    read = to_read(candidates, dataclasses.replace(RANKING, reader_depth=1, reader_extra=2))
    assert read == sorted(set(read)) == [0, 2, 3]


def test_to_read_without_extras_is_the_first_by_relevance():
    candidates = _by_evidence(dense=[0.0, 0.0, 0.0, 0.9], lexical=[0.0, 0.0, 0.0, 0.9])
    assert to_read(candidates, dataclasses.replace(RANKING, reader_depth=2, reader_extra=0)) == [0, 1]


def test_to_read_never_reads_past_the_candidates():
    candidates = _by_evidence(dense=[0.2, 0.1], lexical=[0.1, 0.2])
    assert to_read(candidates, dataclasses.replace(RANKING, reader_depth=6, reader_extra=3)) == [0, 1]
    assert to_read([], RANKING) == []


def test_to_read_indexes_are_valid_and_cover_the_depth_for_any_evidence():
    rng = np.random.default_rng(11)
    for _ in range(100):
        n = int(rng.integers(0, 12))
        candidates = _by_evidence(dense=rng.random(n).tolist(), lexical=rng.random(n).tolist())
        depth, extra = int(rng.integers(1, 8)), int(rng.integers(0, 5))
        read = to_read(candidates, dataclasses.replace(RANKING, reader_depth=depth, reader_extra=extra))
        assert read == sorted(set(read)) and all(0 <= k < n for k in read)
        assert set(range(min(depth, n))) <= set(read)
        assert len(read) <= min(n, depth + 2 * extra)


# --- rerank: the reader's re-ranking -------------------------------------------------------------


def test_rerank_moves_only_what_the_reader_read():
    candidates = [make_candidate(0, 0.9, (0, 5)), make_candidate(1, 0.8, (6, 9)), make_candidate(2, 0.7, (10, 12)),
                  make_candidate(3, 0.6, (13, 15))]
    ranked = rerank(candidates, [0, 1, 2], [0.0, 0.9, 0.1], weight=0.5)
    assert [c.pid for c in ranked] == [1, 0, 2, 3]  # 0.8 + 0.45 beats 0.9; the unread fourth stays last
    assert [c.reader for c in ranked] == [0.9, 0.0, 0.1, 0.0]
    assert ranked[0].relevance == pytest.approx(1.25)


def test_rerank_puts_the_judged_first_by_their_new_relevance_and_the_unread_after_in_their_order():
    candidates = [make_candidate(k, 1.0 - 0.1 * k, (10 * k, 10 * k + 5)) for k in range(6)]
    # the reader read 1, 3 and 5 (a deep one, picked for its dense or lexical evidence)
    ranked = rerank(candidates, [1, 3, 5], [0.1, 0.4, 0.9], weight=1.0)
    assert [c.pid for c in ranked] == [5, 3, 1, 0, 2, 4]  # the unread 0 (1.0) stays behind every judged one
    assert [c.relevance for c in ranked[:3]] == pytest.approx([0.5 + 0.9, 0.7 + 0.4, 0.9 + 0.1])
    assert [c.relevance for c in ranked[3:]] == pytest.approx([1.0, 0.8, 0.6])  # unread: untouched, in order
    assert [c.reader for c in ranked] == [0.9, 0.4, 0.1, 0.0, 0.0, 0.0]


def test_rerank_with_no_weight_records_the_probabilities_and_keeps_the_engines_order():
    candidates = [make_candidate(k, 1.0 - 0.1 * k, (10 * k, 10 * k + 5)) for k in range(4)]
    ranked = rerank(candidates, [2, 3], [0.9, 0.5], weight=0.0)
    assert [c.pid for c in ranked] == [0, 1, 2, 3]
    assert [c.reader for c in ranked] == [0.0, 0.0, 0.9, 0.5]


def test_rerank_keeps_every_candidate_once():
    candidates = [make_candidate(k, 0.5, (k, k + 1)) for k in range(5)]
    ranked = rerank(candidates, [0, 4], [0.3, 0.7], weight=0.5)
    assert sorted(c.pid for c in ranked) == [0, 1, 2, 3, 4]
    assert rerank([], [], [], weight=0.5) == []


def test_rerank_needs_one_probability_per_read_candidate():
    candidates = [make_candidate(k, 0.5, (k, k + 1)) for k in range(3)]
    with pytest.raises(ValueError):
        rerank(candidates, [0, 1], [0.5], weight=0.5)


# --- the reader in the engine -------------------------------------------------------------------


class CountingReader:
    def __init__(self):
        self.calls = []

    def score(self, question, sentences):
        self.calls.append((question, len(sentences)))
        return np.linspace(0.1, 0.9, len(sentences))


def test_the_engine_reads_each_outlets_best_quotes_once_in_one_batch(tmp_path):
    engine = Engine(Settings(home=tmp_path / "home", model="fake", reader_depth=3, reader_extra=0),
                    embedder=FakeEmbedder())
    reader = engine.__dict__["reader"] = CountingReader()
    found = engine.evidence("What did Paris deny?")
    assert reader.calls == [("What did Paris deny?", 3 * len(found))]  # one batch, three quotes an outlet
    for item in found:
        assert max(c.reader for c in item.ranked[:3]) > 0 and all(c.reader == 0 for c in item.ranked[3:])
        assert item.features[ANSWER_FEATURES.index("reader")] == item.ranked[0].reader


def test_the_engine_also_reads_the_first_by_dense_and_by_lexical_evidence(tmp_path):
    engine = Engine(Settings(home=tmp_path / "home", model="fake", reader_depth=2, reader_extra=2),
                    embedder=FakeEmbedder())
    reader = engine.__dict__["reader"] = CountingReader()
    found = engine.evidence("What did Paris deny?")
    [(_, batch)] = reader.calls
    read = [sum(c.reader > 0 for c in item.ranked) for item in found]
    assert batch == sum(read)
    for item, n in zip(found, read):
        assert min(2, len(item.ranked)) <= n <= min(6, len(item.ranked))
        assert all(c.reader > 0 for c in item.ranked[:n]) and all(c.reader == 0 for c in item.ranked[n:])


def test_the_engine_takes_an_analysed_question(tmp_path):
    engine = Engine(Settings(home=tmp_path / "home", model="fake"), embedder=FakeEmbedder())
    question = analyse_question("What did Paris deny?")
    by_question, by_text = engine.evidence(question), engine.evidence(question.text)
    assert [i.features for i in by_question] == [i.features for i in by_text]
    assert [[c.pid for c in i.ranked] for i in by_question] == [[c.pid for c in i.ranked] for i in by_text]


def test_the_fake_embedder_comes_with_the_fake_reader_unless_one_is_named(tmp_path):
    assert Settings(home=tmp_path, model="fake").reader_model == "fake"
    assert Settings(home=tmp_path, model="fake", reader_model="packaged").reader_model == "packaged"
    assert Settings(home=tmp_path).reader_model == "packaged"
