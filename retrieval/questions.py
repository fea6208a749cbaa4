"""Validate a user's question before any work is done on it."""

from __future__ import annotations

import re
import unicodedata

from index.errors import QuestionError

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
