"""The real engine over the seeds: real model, real library and FAISS store (built once per session by `seed_engine`)."""

from __future__ import annotations

import pytest

from index.errors import QuestionError, UnknownStoryError
from retrieval.models import Answer
from tests.conftest import DENIAL_SENTENCE

pytestmark = pytest.mark.integration

SEED_IDS = ["000_5ace3053a7754062", "004_c92dd615dfce2fa4"]
EMPTY = r"^the question is empty; ask something about the story, e\.g\. \"What did Paris deny\?\"$"


def _assert_verbatim(engine, answer: Answer) -> None:
    for outlet in answer.outlets:
        source = engine.source(outlet.source_id)
        assert outlet.covered == bool(outlet.quotes)
        assert len(outlet.quotes) <= 2
        for quote in outlet.quotes:
            assert isinstance(quote.start, int) and isinstance(quote.end, int)
            assert 0 <= quote.start < quote.end <= len(source.text)
            assert quote.text == source.text[quote.start : quote.end]


@pytest.fixture(scope="module")
def paris(seed_engine) -> Answer:
    return seed_engine.ask("What did Paris deny?")


def test_paris_denial_is_quoted_from_source_000(seed_engine, paris):
    by_id = {o.source_id: o for o in paris.outlets}
    assert by_id[SEED_IDS[0]].covered
    assert any(DENIAL_SENTENCE in q.text for q in by_id[SEED_IDS[0]].quotes)
    _assert_verbatim(seed_engine, paris)


def test_every_source_is_listed_with_its_metadata(seed_engine, paris):
    assert paris.question == "What did Paris deny?"
    assert paris.story == "shoigu-lecornu-call-2024"
    assert [o.source_id for o in paris.outlets] == SEED_IDS
    for outlet in paris.outlets:
        source = seed_engine.source(outlet.source_id)
        assert (outlet.outlet, outlet.title, outlet.url) == (source.outlet, source.title, source.url)


def test_answer_json_round_trips(paris):
    again = Answer.model_validate_json(paris.model_dump_json())
    assert again == paris
    assert again.model_dump() == paris.model_dump()


@pytest.mark.parametrize("question", ["Who won the 2022 World Cup?", "What is the recipe for pancakes?"])
def test_off_topic_question_is_not_reported_by_anyone(seed_engine, question):
    answer = seed_engine.ask(question)
    assert [o.source_id for o in answer.outlets] == SEED_IDS
    assert [(o.covered, o.quotes) for o in answer.outlets] == [(False, []), (False, [])]


@pytest.mark.parametrize(
    "question",
    [
        "What did Shoigu warn Lecornu about?",
        "Which peace initiative did the Russian minister mention?",
        "How many people died in the attack?",
        "Who took the photo?",
        "What did Moscow claim about Ukrainian involvement?",
    ],
)
def test_quotes_are_verbatim_for_other_questions(seed_engine, question):
    answer = seed_engine.ask(question)
    assert [o.source_id for o in answer.outlets] == SEED_IDS
    _assert_verbatim(seed_engine, answer)


def test_question_whitespace_is_collapsed(seed_engine):
    answer = seed_engine.ask("  What did\n Paris   deny?\t")
    assert answer.question == "What did Paris deny?"


def test_story_can_be_named(seed_engine):
    assert seed_engine.ask("What did Paris deny?", "shoigu-lecornu-call-2024").story == "shoigu-lecornu-call-2024"


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", EMPTY),
        ("   \n\t ", EMPTY),
        ("a" * 501, r"^the question is 501 characters long; the limit is 500$"),
        ("What did Paris\x07 deny?", r"^the question contains a control character \(U\+0007\); remove it and ask again$"),
        ("What\u200b did Paris deny?", r"^the question contains a control character \(U\+200B\); remove it and ask again$"),
    ],
    ids=["empty", "whitespace", "501-chars", "bell", "zero-width-space"],
)
def test_unusable_questions(seed_engine, question, message):
    with pytest.raises(QuestionError, match=message):
        seed_engine.ask(question)


def test_limit_counts_the_collapsed_question(seed_engine):
    answer = seed_engine.ask("What did Paris deny?" + " " * 600)
    assert answer.question == "What did Paris deny?"


def test_unknown_story(seed_engine):
    with pytest.raises(
        UnknownStoryError, match=r"^no story 'nope' in the library; `storybot stories` lists them$"
    ):
        seed_engine.ask("What did Paris deny?", "nope")


# --- the real library: an add interrupted while embedding changes nothing ----------------------


class _DiesPartWay:
    """The real model, which is interrupted (as by Ctrl-C) on its second call."""

    def __init__(self, real):
        self.real, self.name, self.dimension, self.calls = real, real.name, real.dimension, 0

    def embed(self, texts, progress=False):
        self.calls += 1
        if self.calls == 2:
            raise KeyboardInterrupt
        return self.real.embed(texts)


def test_an_add_interrupted_while_embedding_leaves_the_library_as_it_was(seed_engine, tmp_path):
    from index.library import EMBED_CHUNK, Library

    library = Library(seed_engine.library.home, _DiesPartWay(seed_engine.embedder))
    before = library.catalog.generation(), library.stories()
    long_story = tmp_path / "long.txt"
    long_story.write_text("A headline\n\n" + " ".join(f"Sentence number {i} reports a fact." for i in range(EMBED_CHUNK + 10)),
                          encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        library.add([str(long_story)], story="interrupted")
    assert (library.catalog.generation(), library.stories()) == before
    answer = seed_engine.ask("What did Paris deny?")
    assert any(DENIAL_SENTENCE in q.text for q in answer.outlets[0].quotes)
