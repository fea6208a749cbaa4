"""Commands over the library's articles: `add`, `remove`, `sources`, `source` and `stories`."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from bot.cli import options, render_text
from bot.cli.options import CorpusOpt, JsonOpt, StoryOpt
from index.errors import UsageError

app = typer.Typer()


@app.command()
def sources(corpus: CorpusOpt = None, story: StoryOpt = None, json_: JsonOpt = False) -> None:
    """List the story's sources: id, outlet, title, passage count."""
    from retrieval.engine import Engine

    listed = Engine(options.settings(corpus, story)).sources()
    options.out(json.dumps([s.model_dump() for s in listed], indent=2, ensure_ascii=False) + "\n" if json_
                else render_text.render_sources(listed))


@app.command()
def source(source_id: Annotated[str, typer.Argument(help="A source id, as `storybot sources` lists them.")],
           corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """Show one source's metadata and its stored text, exactly (every quote's offsets refer to it)."""
    engine = options.engine(options.settings(corpus))
    found = engine.source(source_id)
    count = engine.library.passage_count(source_id)
    options.out(json.dumps({**found.model_dump(), "passages": count}, indent=2, ensure_ascii=False) + "\n" if json_
                else render_text.render_source(found, count))


@app.command()
def stories(corpus: CorpusOpt = None, json_: JsonOpt = False) -> None:
    """List the library's stories with their sources."""
    listed = options.engine(options.settings(corpus)).stories()
    options.out(json.dumps([s.model_dump() for s in listed], indent=2, ensure_ascii=False) + "\n" if json_
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

    engine = options.engine(options.settings())
    shown = {"story", "added", "created", "skipped", "embedded", "reused"}
    try:
        report = engine.library.add(items, story, outlet=outlet, title=title, url=url, date=date)
    except AddInterrupted as stop:  # each source stored before Ctrl-C stays; say which those are
        not_added = items if stop.not_added is None else stop.not_added
        text, summary = render_text.render_interrupted_add(stop.report, not_added)
        options.out(json.dumps({**json.loads(stop.report.model_dump_json(include=shown)), "not_added": not_added,
                                "interrupted": True}, indent=2, ensure_ascii=False) + "\n" if json_ else text)
        options.err(summary)
        raise typer.Exit(130) from None
    options.out(report.model_dump_json(indent=2, include=shown) + "\n" if json_ else render_text.render_add(report))
    if not report.added and not any(s.duplicate for s in report.skipped):  # nothing read; "already there" is fine
        raise typer.Exit(1)


@app.command()
def remove(source_ids: Annotated[Optional[list[str]], typer.Argument(
               help="Source ids, as `storybot sources` lists them.", metavar="[SOURCE_ID]...", show_default=False)] = None,
           story: Annotated[Optional[str], typer.Option(
               "--story", help="Remove every source of this story (with the ids: they must belong to it).")] = None,
           json_: JsonOpt = False) -> None:
    """Remove sources from the library, with their passages and vectors; a story left with none goes too."""
    library = options.engine(options.settings()).library
    ids = list(dict.fromkeys(source_ids or []))
    if story is not None:
        held = library.source_ids(story)  # an unknown story is refused
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
    options.out(json.dumps({"removed": removed, "deleted_stories": deleted}) + "\n" if json_
                else "".join(f"removed {s}\n" for s in removed)
                + "".join(f"deleted the story {s} (no source left)\n" for s in deleted))
