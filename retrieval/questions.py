"""The question: validated before any work is done on it, then analysed once into a typed value."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from index.errors import QuestionError
from retrieval.answer_type import AnswerType, expected_types, is_provenance_question
from retrieval.expansion import Phrase, capitalised_words, longest_phrases
from retrieval.text_terms import stem, terms

_SPACES = re.compile(r"\s+")


def clean_question(raw: str | None, max_chars: int = 500) -> str:
    """Return the question with whitespace collapsed, or raise QuestionError saying what is wrong."""
    if raw is None or not raw.strip():
        raise QuestionError("the question is empty; ask something about the story, e.g. \"What did Paris deny?\"")
    for char in raw:
        if unicodedata.category(char) == "Cs":
            raise QuestionError("the question holds bytes that are not valid UTF-8 text; retype it and ask again")
        if unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r\u200d":
            raise QuestionError(f"the question contains a control character (U+{ord(char):04X}); remove it and ask again")
    question = _SPACES.sub(" ", raw).strip()
    if not any(unicodedata.category(char)[0] in "LN" for char in question):  # only emoji, symbols, punctuation
        raise QuestionError("the question has no words; ask something about the story, e.g. \"What did Paris deny?\"")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question)} characters long; the limit is {max_chars}")
    return question


_WORDS = re.compile(r"[\w'’-]+")
_PHOTO = re.compile(r"\b(photo(graph|grapher)?s?|pictures?|images?|captions?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Question:
    """A question analysed once: every step of the answer reads this value, never the raw text.

    phrases: the longest known phrases of the question, in order (each with whether the phrase is a
    known multi-word name); names: the stems of its capitalised words; words / terms: its lowercased
    words and its stemmed terms, which a sentence's answer must not merely repeat; kinds: the kinds of
    answer it asks for (a person, a time, a number…); provenance: it asks who made the report rather
    than what it says; wants_photo: that question is about pictures.
    """

    text: str
    phrases: tuple[tuple[Phrase, bool], ...]
    names: frozenset[str]
    words: frozenset[str]
    terms: frozenset[str]
    kinds: tuple[AnswerType, ...]
    provenance: bool
    wants_photo: bool


def analyse_question(raw: str | None, max_chars: int = 500) -> Question:
    """Validate the question (`clean_question`) and analyse it into a Question."""
    text = clean_question(raw, max_chars)
    return Question(
        text=text,
        phrases=tuple(longest_phrases(text)),
        names=frozenset(stem(w) for w in capitalised_words(text)),
        words=frozenset(w.lower() for w in _WORDS.findall(text)),
        terms=frozenset(terms(text)),
        kinds=expected_types(text),
        provenance=is_provenance_question(text),
        wants_photo=bool(_PHOTO.search(text)),
    )
