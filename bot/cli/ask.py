"""Commands that answer from a story: `ask`, `chat` and `compare`."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from bot.cli import options, render_text
from bot.cli.options import CorpusOpt, JsonOpt, StoryOpt
from index.errors import StorybotError, UsageError

app = typer.Typer()

QUESTION_ARGS = {"ignore_unknown_options": True}
ARGV: list[str] = []  # the raw arguments of this run, set by `app.run` (click drops the "--" that ends options)


def question_of(words: list[str]) -> str:
    """The question from the words after `ask`: "-1" or "- What …" are questions; "--x" is a mistyped option."""
    if "--" in ARGV:  # after "--" every word is the question's
        return " ".join(words)
    for word in words:
        if word.startswith("--") and word != "--":
            raise UsageError(f"no such option: {word.split('=')[0]} (to ask a question that begins with '--', "
                             "put -- before it: storybot ask -- \"--…\")")
    return " ".join(words)


@app.command(context_settings=QUESTION_ARGS)
def ask(question: Annotated[list[str], typer.Argument(help="The question (quotes optional; words starting with "
                                                           "'-' are part of it).", metavar="QUESTION...")],
        corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False) -> None:
    """Answer one question: each outlet's verbatim quotes, or 'not reported by …'."""
    settings = options.settings(corpus, story)
    from retrieval.questions import clean_question

    text = clean_question(question_of(question), settings.max_question_chars)  # fail fast, before the model loads
    answer = options.engine(settings).ask(text)
    options.out(answer.model_dump_json(indent=2) + "\n" if json_ else render_text.render_answer(answer))


@app.command()
def compare(corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False,
            topic: Annotated[Optional[str], typer.Option(help="Only groups about this topic.")] = None) -> None:
    """Line the outlets up: what they share, what only one reports, where figures or quoted words differ."""
    comparison = options.engine(options.settings(corpus, story)).compare(topic=topic)
    options.out(comparison.model_dump_json(indent=2) + "\n" if json_ else render_text.render_comparison(comparison))


@app.command()
def chat(corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False) -> None:
    """Answer questions line after line with the model loaded once (--json: one JSON answer per line)."""
    out = options.out
    engine = options.engine(options.settings(corpus, story))
    engine.story_id()  # an unknown or ambiguous story fails once, before any input is read
    engine.load()
    interactive = sys.stdin.isatty() and not json_
    if interactive:
        out("storybot chat — ask about the story; an empty line or Ctrl-D quits.\n")
    stdin = getattr(sys.stdin, "buffer", None)
    number = 0
    while True:
        if interactive:
            out("question> ")
        raw = stdin.readline() if stdin is not None else sys.stdin.readline().encode("utf-8", "surrogateescape")
        if not raw:
            break
        number += 1
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            error = f"line {number} is not valid UTF-8 text; skipped"
            out(json.dumps({"error": error}) + "\n" if json_ else f"error: {error}\n")
            continue
        if interactive and not line.strip():
            break
        if not json_ and line.strip().lower() in {"exit", "quit"}:
            break
        try:
            answer = engine.ask(line)
        except StorybotError as exc:
            out(json.dumps({"error": str(exc)}) + "\n" if json_ else f"error: {exc}\n")
            continue
        out(answer.model_dump_json() + "\n" if json_ else render_text.render_answer(answer) + "\n")
