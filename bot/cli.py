"""`storybot`: ask questions about a story from the terminal, manage the index, run the bot or the eval."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError

from bot import render_text
from index.errors import StorybotError, UsageError
from retrieval.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ask a news story a question; get each outlet's own words, cited.")
index_app = typer.Typer(no_args_is_help=True, help="Build or describe the on-disk index.")
app.add_typer(index_app, name="index")

CorpusOpt = Annotated[Optional[Path], typer.Option("--corpus", help="Corpus folder (default: the seeds).")]
StoryOpt = Annotated[Optional[str], typer.Option("--story", help="Story id (needed when the corpus has several).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (the answer model) instead of text.")]


def _settings(corpus: Path | None = None, story: str | None = None, **extra) -> Settings:
    overrides = {k: v for k, v in (("corpus", corpus), ("story", story), *extra.items()) if v is not None}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise UsageError(f"invalid setting {where}: {error['msg']}") from None


def _engine(settings: Settings, progress: bool = True):
    from retrieval.engine import Engine  # keeps `--help` fast

    return Engine(settings, progress=progress and sys.stderr.isatty())


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@app.command()
def ask(question: Annotated[str, typer.Argument(help="The question, in quotes.")],
        corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False) -> None:
    """Answer one question: each outlet's verbatim quotes, or 'not reported by …'."""
    settings = _settings(corpus, story)
    from retrieval.questions import clean_question

    clean_question(question, settings.max_question_chars)  # fail fast, before loading the model
    answer = _engine(settings).ask(question)
    _out(answer.model_dump_json(indent=2) + "\n" if json_ else render_text.render_answer(answer))


@app.command()
def chat(corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False) -> None:
    """Answer questions line after line with the model loaded once (--json: one JSON answer per line)."""
    engine = _engine(_settings(corpus, story))
    engine.load()
    interactive = sys.stdin.isatty() and not json_
    if interactive:
        _out("storybot chat — ask about the story; an empty line or Ctrl-D quits.\n")
    while True:
        if interactive:
            _out("question> ")
        line = sys.stdin.readline()
        if not line or (interactive and not line.strip()):
            break
        if not json_ and line.strip().lower() in {"exit", "quit"}:
            break
        try:
            answer = engine.ask(line)
        except StorybotError as exc:
            _out(json.dumps({"error": str(exc)}) + "\n" if json_ else f"error: {exc}\n")
            continue
        _out(answer.model_dump_json() + "\n" if json_ else render_text.render_answer(answer) + "\n")


@app.command()
def sources(corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False) -> None:
    """List the story's sources: id, outlet, title, passage count."""
    from retrieval.engine import Engine

    listed = Engine(_settings(corpus, story)).sources()
    _out(json.dumps([s.model_dump() for s in listed], indent=2, ensure_ascii=False) + "\n" if json_
         else render_text.render_sources(listed))


@app.command()
def source(source_id: Annotated[str, typer.Argument(help="A source id, as `storybot sources` lists them.")],
           corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Show one source's metadata and full text."""
    from retrieval.engine import Engine
    from index.sentences import split_passages

    found = Engine(_settings(corpus)).source(source_id)
    count = len(split_passages(found))
    _out(json.dumps({**found.model_dump(), "passages": count}, indent=2, ensure_ascii=False) + "\n" if json_
         else render_text.render_source(found, count))


@app.command()
def stories(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """List the corpus's stories."""
    from retrieval.corpus import load_corpus

    listed = load_corpus(_settings(corpus).corpus).summaries()
    _out(json.dumps([s.model_dump() for s in listed], indent=2, ensure_ascii=False) + "\n" if json_
         else render_text.render_stories(listed))


@index_app.command("build")
def index_build(corpus: CorpusOpt = None) -> None:
    """Rebuild the index for the corpus (atomically: an interrupted build leaves the old one)."""
    engine = _engine(_settings(corpus))
    manifest = engine.build()
    _out(f"built {engine.index_dir}: {manifest['passage_count']} passages from {manifest['source_count']} sources, "
         f"model {manifest['model']}, dimension {manifest['dimension']}\n")


@index_app.command("info")
def index_info(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Describe the index on disk and whether it is current."""
    from retrieval.index_store import read_manifest, staleness

    engine = _engine(_settings(corpus))
    manifest = read_manifest(engine.index_dir)
    if manifest is None:
        info = {"path": str(engine.index_dir), "exists": False, "stale": "there is none yet; it is built on first use"}
    else:
        info = {"path": str(engine.index_dir), "exists": True, **manifest,
                "stale": staleness(manifest, engine.corpus, engine.embedder)}
    if json_:
        _out(json.dumps(info, indent=2) + "\n")
        return
    for key in ("path", "exists", "model", "dimension", "passage_count", "source_count", "built_at",
                "sources_fingerprint", "format_version"):
        if key in info:
            _out(f"{key:<20} {info[key]}\n")
    _out(f"{'status':<20} {'stale: ' + info['stale'] if info['stale'] else 'current'}\n")


@app.command("eval")
def eval_(questions: Annotated[Path, typer.Argument(help="JSONL questions with gold phrases per source.")],
          corpus: CorpusOpt = None, json_: JsonOpt = False,
          baseline: Annotated[Optional[str], typer.Option(help="Also run a baseline side by side: naive.")] = None,
          disable: Annotated[Optional[list[str]], typer.Option(
              help="Switch a mechanism off to measure it: expansion, antecedent, answer_type, lexical, answerability.")] = None,
          ) -> None:
    """Measure evidence recall, abstain accuracy and latency on a question file."""
    from evaluation import harness as evaluation

    if baseline not in (None, "naive"):
        raise UsageError(f"unknown baseline {baseline!r}; the only one is 'naive'")
    items = evaluation.load_questions(questions)
    engine = _engine(_settings(corpus, disable=frozenset(disable) if disable else None))
    engine.load()
    items = [q.model_copy(update={"story": q.story or engine.corpus.story_of(q.gold).story_id}) for q in items]
    for q in items:  # every gold source must exist before anything is timed
        for source_id in q.gold:
            engine.corpus.source(source_id)
    for story_id in {q.story for q in items}:  # latency is measured warm: per-story BM25 built beforehand
        engine.lexicon(engine.corpus.story(story_id))
    reports = [evaluation.run("storybot", items, lambda q: engine.ask(q.q, q.story))]
    if baseline == "naive":
        from evaluation.naive import NaiveRetriever

        naive = NaiveRetriever(engine.embedder)
        reports.append(evaluation.run("naive", items, lambda q: naive.ask(q.q, engine.corpus.story(q.story))))
    if json_:
        _out(json.dumps({r.name: r.model_dump() for r in reports}, ensure_ascii=False, indent=2) + "\n")
    else:
        _out("\n".join(render_text.render_report(r, show_misses=r.name == "storybot") for r in reports))


@app.command()
def calibrate(sets: Annotated[list[str], typer.Argument(help="QUESTIONS.jsonl[@CORPUS] pairs (corpus default: seeds).")],
              ) -> None:
    """Fit the answerability model on dev question sets; print the STORYBOT_* settings to keep."""
    import numpy as np

    from evaluation import calibration, harness as evaluation

    xs, ys = [], []
    for item in sets:
        path, _, corpus = item.partition("@")
        engine = _engine(_settings(Path(corpus) if corpus else None))
        x, y = calibration.outlet_features(engine, evaluation.load_questions(Path(path)))
        xs.append(x)
        ys.append(y)
    fitted = calibration.fit(np.vstack(xs), np.concatenate(ys))
    _out(f"fitted on {fitted.pairs} (question, outlet) pairs over features {', '.join(calibration.ANSWER_FEATURES)}\n"
         f"covered when gold {fitted.covered_when_gold:.3f}, abstained when null {fitted.abstain_when_null:.3f}\n\n"
         + fitted.as_env())


@app.command()
def discord(sync: Annotated[bool, typer.Option("--sync", help="Sync slash commands with Discord at start-up.")] = False,
            ) -> None:
    """Run the Discord bot (token from STORYBOT_DISCORD_TOKEN or .env)."""
    from bot.discord_bot import run_discord

    run_discord(sync=sync)


def main() -> None:
    """Console entry point: one-line errors, exit 2 for usage errors, never a traceback."""
    logging.basicConfig(level=os.environ.get("STORYBOT_LOG_LEVEL", "WARNING"),
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        app(prog_name="storybot")  # standalone: click prints usage errors itself and exits 2
    except KeyboardInterrupt:
        sys.stderr.write("storybot: interrupted\n")
        sys.exit(130)
    except StorybotError as exc:
        sys.stderr.write(f"storybot: {exc}\n")
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so in one line; details only when asked for
        if os.environ.get("STORYBOT_DEBUG"):
            raise
        sys.stderr.write(f"storybot: internal error ({type(exc).__name__}); rerun with STORYBOT_DEBUG=1 for details\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
