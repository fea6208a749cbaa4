"""The question: validated by clean_question, analysed once by analyse_question, read by the lexicon."""

from __future__ import annotations

import dataclasses

import pytest

from index.errors import QuestionError
from retrieval.answer_type import is_provenance_question
from retrieval.lexical import StoryLexicon
from retrieval.questions import Question, analyse_question, clean_question
from retrieval.text_terms import stem
from tests.retrieval.conftest import keyed

EMPTY = r'^the question is empty; ask something about the story, e\.g\. "What did Paris deny\?"$'

# --- clean_question ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "   ", " \n\t\r "], ids=["none", "empty", "spaces", "whitespace"])
def test_an_empty_question_is_refused(raw):
    with pytest.raises(QuestionError, match=EMPTY):
        clean_question(raw)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("What did Paris\x07 deny?", "0007"), ("What\x00 did Paris deny?", "0000"), ("What did\x1b Paris deny?", "001B"),
     ("What\u200b did Paris deny?", "200B"), ("What did \u202eParis deny?", "202E"), ("\x7fWhat?", "007F")],
    ids=["bell", "nul", "escape", "zero-width-space", "right-to-left-override", "delete"],
)
def test_a_control_character_is_refused_by_its_code_point(raw, code):
    with pytest.raises(QuestionError,
                       match=rf"^the question contains a control character \(U\+{code}\); remove it and ask again$"):
        clean_question(raw)


@pytest.mark.parametrize("raw", ["What did\tParis\ndeny?\r", "Who is the \u200d author?"], ids=["tab-newline", "zwj"])
def test_tabs_newlines_and_the_zero_width_joiner_are_allowed(raw):
    assert clean_question(raw)


@pytest.mark.parametrize("raw", ["What did Paris \ud800deny?", "\udcff", "Who\udfff?"],
                         ids=["high-surrogate", "low-surrogate-alone", "low-surrogate"])
def test_a_lone_surrogate_is_refused_as_invalid_utf8(raw):
    with pytest.raises(QuestionError,
                       match=r"^the question holds bytes that are not valid UTF-8 text; retype it and ask again$"):
        clean_question(raw)


def test_a_question_over_the_limit_is_refused_with_its_length():
    with pytest.raises(QuestionError, match=r"^the question is 501 characters long; the limit is 500$"):
        clean_question("a" * 501)
    with pytest.raises(QuestionError, match=r"^the question is 11 characters long; the limit is 10$"):
        clean_question("What Paris?", max_chars=10)


def test_a_question_at_the_limit_is_kept():
    assert clean_question("a" * 500) == "a" * 500
    assert clean_question("What?", max_chars=5) == "What?"


def test_whitespace_is_collapsed_and_trimmed():
    assert clean_question("  What   did\n\nParis\t deny?  ") == "What did Paris deny?"
    assert clean_question("What did Paris deny?\r\n") == "What did Paris deny?"


def test_the_limit_counts_the_collapsed_question():
    assert clean_question("What" + " " * 600 + "did Paris deny?") == "What did Paris deny?"
    with pytest.raises(QuestionError, match=r"^the question is 21 characters long; the limit is 20$"):
        clean_question("What   did Paris deny?!", max_chars=20)


# --- analyse_question ----------------------------------------------------------------------------


def test_analyse_question_validates_first():
    with pytest.raises(QuestionError, match=EMPTY):
        analyse_question("  ")
    with pytest.raises(QuestionError, match=r"^the question is 6 characters long; the limit is 5$"):
        analyse_question("Where?", max_chars=5)


def test_analyse_question_keeps_the_cleaned_text():
    question = analyse_question("  What did   Paris deny? ")
    assert isinstance(question, Question)
    assert question.text == "What did Paris deny?"


def test_a_question_is_frozen():
    question = analyse_question("What did Paris deny?")
    with pytest.raises(dataclasses.FrozenInstanceError):
        question.text = "something else"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "kinds"),
    [("Where and when are the leaders meeting?", ("time", "place")), ("How old is the senator?", ("number", "age")),
     ("Who is the new minister?", ("person", "name")), ("What did Paris deny?", ())],
)
def test_analyse_question_kinds(raw, kinds):
    assert analyse_question(raw).kinds == kinds


@pytest.mark.parametrize(
    ("raw", "provenance", "wants_photo"),
    [
        ("Who took the photo?", True, True),
        ("Who took the photographs?", True, True),
        ("Who is credited for the picture?", True, True),
        ("Whose image is it?", True, True),
        ("Is there a caption?", True, True),
        ("Which news agency filed this report?", True, False),
        ("Who wrote the article?", True, False),
        ("What did Paris deny?", False, False),
        ("What did the photocopier do?", False, False),
    ],
)
def test_analyse_question_provenance_and_photos(raw, provenance, wants_photo):
    question = analyse_question(raw)
    assert (question.provenance, question.wants_photo) == (provenance, wants_photo)


def test_analyse_question_names_are_the_stems_of_its_capitalised_words_after_the_first():
    assert analyse_question("What did Shoigu warn Lecornu about?").names == {stem("shoigu"), stem("lecornu")}
    assert analyse_question("Who is Dave Brat?").names == {stem("dave"), stem("brat")}
    assert analyse_question("Paris denied it?").names == frozenset()  # the first word is capitalised anyway
    assert analyse_question("what did paris deny?").names == frozenset()


def test_analyse_question_words_and_terms():
    question = analyse_question("Who is Dave Brat?")
    assert question.words == {"who", "is", "dave", "brat"}
    assert {stem("dave"), stem("brat")} <= question.terms
    assert [phrase for phrase, _known in question.phrases] == [(stem("dave"),), (stem("brat"),)]


# --- provenance questions (who made the report, not what it says) --------------------------------


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
    assert analyse_question(question).provenance


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
    assert not analyse_question(question).provenance


@pytest.mark.parametrize("question", ["Which agency runs the PRISM program?", "Which French agency did Shoigu suspect?"])
def test_agencies_in_the_story_are_not_provenance(question):
    assert not is_provenance_question(question)
    assert not analyse_question(question).provenance


# --- the lexicon reads the analysed question -----------------------------------------------------


def test_the_lexicon_analyses_a_question_or_its_text_alike(seed_000):
    passages = keyed(seed_000)
    lexicon = StoryLexicon([p.pid for p in passages], passages)
    question = analyse_question("What did Shoigu warn Lecornu about?")
    from_question, from_text = lexicon.analyse(question), lexicon.analyse(question.text)
    assert from_question.question is question
    assert from_text.question == question
    assert (from_question.groups, from_question.query) == (from_text.groups, from_text.query)
    assert from_question.kinds == question.kinds
    assert from_question.predicate.question is question
    assert {g.surface for g in from_question.groups if g.entity} == {(stem("shoigu"),), (stem("lecornu"),)}


# --- questions with no words ------------------------------------------------------------------

NO_WORDS = r"^the question has no words; ask something about the story"


@pytest.mark.parametrize("question", ["🙂", "👍🏽 🔥🔥", "?!", "… — …", "👨‍👩‍👧"],
                         ids=["emoji", "emoji-with-modifier", "punctuation", "dashes", "zwj-sequence"])
def test_a_question_without_a_letter_or_digit_has_no_words(question):
    with pytest.raises(QuestionError, match=NO_WORDS):
        clean_question(question)


@pytest.mark.parametrize("question", ["Was ist mit 🙂 Paris?", "2024?", "巴黎否认了什么？", "¿Qué negó París?"],
                         ids=["emoji-inside", "digits", "cjk", "spanish"])
def test_any_letter_or_digit_makes_a_question(question):
    assert clean_question(question) == question
