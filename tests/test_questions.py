"""Question validation on plain strings: what is refused, with which one-line message."""

from __future__ import annotations

import pytest

from index.errors import QuestionError
from retrieval.questions import clean_question

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
