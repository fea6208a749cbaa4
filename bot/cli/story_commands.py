"""`storybot story …`: create, choose, rename or delete stories."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from bot.cli import options
from bot.wording import plural
from index.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="Create, choose, rename or delete stories.")


def _library():
    return options.engine(options.settings()).library


@app.command("create")
def story_create(story_id: Annotated[str, typer.Argument(help="The new story's id (letters, digits, . _ -).")],
                 title: Annotated[Optional[str], typer.Option(help="Its title.")] = None) -> None:
    """Create an empty story to add articles to."""
    _library().create_story(story_id, title)
    options.out(f"created story {story_id}\n")


@app.command("use")
def story_use(story_id: Annotated[Optional[str], typer.Argument(help="The story's id.")] = None,
              clear: Annotated[bool, typer.Option("--clear", help="Choose no default story.")] = False) -> None:
    """Answer from this story when no --story is given (STORYBOT_STORY still overrides it)."""
    if (story_id is None) == (not clear):
        raise UsageError("name the story to use, or give --clear")
    _library().set_default_story(story_id)
    options.out(f"ask, chat, compare and sources answer from story {story_id} when no --story is given\n" if story_id
                else "no default story: name one with --story when the library holds several\n")


@app.command("rename")
def story_rename(story_id: Annotated[str, typer.Argument(help="The story's id.")],
                 title: Annotated[str, typer.Argument(help="Its new title.")]) -> None:
    """Give a story a new title."""
    _library().rename_story(story_id, title)
    options.out(f"renamed story {story_id}\n")


@app.command("delete")
def story_delete(story_ids: Annotated[list[str], typer.Argument(help="The stories' ids.", metavar="ID...")]) -> None:
    """Delete stories with all their sources (unknown ids are refused before anything is deleted)."""
    removed = _library().delete_stories(story_ids)
    options.out("".join(f"deleted story {story_id} and {plural(len(ids), 'source')}\n"
                        for story_id, ids in removed.items()))
