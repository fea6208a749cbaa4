"""Errors on the command line: one line on stderr, exit code 2 for usage errors, never a traceback."""

from __future__ import annotations

import pytest

from tests.bot.cli.conftest import assert_one_line_error, fast


def test_empty_question_exits_2_with_one_line(index_dir):
    result = fast("ask", "", index_dir=index_dir)
    assert_one_line_error(result, 2, "the question is empty")


def test_a_question_of_only_emoji_exits_2_with_one_line(index_dir):
    result = fast("ask", "🙂🙂 👍", index_dir=index_dir)
    assert_one_line_error(result, 2, "the question has no words")


def test_long_question_exits_2(index_dir):
    result = fast("ask", "a" * 501, index_dir=index_dir)
    assert_one_line_error(result, 2, "the question is 501 characters long; the limit is 500")


def test_control_character_exits_2(index_dir):
    result = fast("ask", "What did Paris\x07 deny?", index_dir=index_dir)
    assert_one_line_error(result, 2, "control character (U+0007)")


def test_unknown_source_exits_2(index_dir):
    result = fast("source", "no-such-source", index_dir=index_dir)
    assert_one_line_error(result, 2, "no source 'no-such-source'", "`storybot sources` lists them")


def test_unknown_story_exits_2(index_dir):
    result = fast("sources", "--story", "no-such-story", index_dir=index_dir)
    assert_one_line_error(result, 2, "no story 'no-such-story'")


@pytest.mark.parametrize(
    "args",
    [("ask", "What did Paris deny?"), ("stories",), ("index", "info")],
    ids=["ask", "stories", "index-info"],
)
def test_missing_corpus_is_a_one_line_error(index_dir, args):
    result = fast(*args, "--corpus", "/nonexistent", index_dir=index_dir)
    assert result.returncode != 0
    assert_one_line_error(result, result.returncode, "corpus folder not found: /nonexistent")


@pytest.mark.parametrize("args", [("stories",), ("ask", "What did Paris deny?")], ids=["stories", "ask"])
def test_corrupt_catalog_is_a_one_line_error(tmp_path, args):
    (tmp_path / "home" / "library").mkdir(parents=True)
    (tmp_path / "home" / "library" / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    result = fast(*args, index_dir=tmp_path / "home")
    assert_one_line_error(result, 1, "the library catalog", "cannot be opened")


def test_help_needs_no_model(index_dir):
    result = fast("--help", index_dir=index_dir)
    assert result.returncode == 0
    for command in ("ask", "chat", "sources", "source", "stories", "index"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("no-such-command",), "No such command"),
        (("ask",), "Missing argument"),
        (("ask", "--bogus", "What did Paris deny?"), "no such option: --bogus"),
        (("index",), "Usage"),
    ],
    ids=["unknown-command", "missing-argument", "unknown-option", "group-without-command"],
)
def test_bad_command_line_is_a_usage_error(index_dir, args, says):
    result = fast(*args, index_dir=index_dir)
    assert "internal error" not in result.stderr
    assert says in result.stderr + result.stdout
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [(), ("story",), ("index",), ("models",)], ids=["bare", "story", "index", "models"])
def test_a_group_without_a_command_prints_its_help_once(index_dir, args):
    result = fast(*args, index_dir=index_dir)
    assert result.returncode == 2
    assert (result.stdout + result.stderr).count("Usage:") == 1, result.stdout


@pytest.mark.parametrize("args", [("ask", "--story", "--json", "What did Paris deny?"),
                                  ("sources", "--story", "--help"), ("compare", "--topic", "--json"),
                                  ("add", "--outlet", "--title", "x.txt")],
                         ids=["ask-story", "sources-story", "compare-topic", "add-outlet"])
def test_an_option_is_never_taken_as_another_options_value(index_dir, args):
    result = fast(*args, index_dir=index_dir)
    assert_one_line_error(result, 2, f"{args[1]} needs a value, not the option {args[2]}")


def test_a_value_beginning_with_dashes_is_written_with_equals(index_dir):
    result = fast("sources", "--story=--json", index_dir=index_dir)
    assert_one_line_error(result, 2, "no story '--json'")
