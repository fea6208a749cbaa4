"""What every command shares: its options, its settings and engine, and writing to stdout and stderr."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from retrieval.settings import Settings, build_settings

CorpusOpt = Annotated[Optional[Path], typer.Option(
    "--corpus", help="Answer from this folder of stories (or BASIL JSON) instead of the library.")]
StoryOpt = Annotated[Optional[str], typer.Option("--story", help="Story id (needed when there are several).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (the answer model) instead of text.")]


def settings(corpus: Path | None = None, story: str | None = None, **extra) -> Settings:
    """The settings, with the options given on the command line; a bad setting is a usage error."""
    overrides = {k: v for k, v in (("corpus", corpus), ("story", story), *extra.items()) if v is not None}
    return build_settings(Settings, **overrides)


def engine(settings: Settings, progress: bool = True):
    """An engine over the settings' library (a progress bar only on a terminal)."""
    from retrieval.engine import Engine  # keeps `--help` fast

    return Engine(settings, progress=progress and sys.stderr.isatty())


def out(text: str) -> None:
    """Write to stdout as UTF-8 whatever the terminal's encoding (a lone surrogate becomes U+FFFD)."""
    data = text.encode("utf-8", "replace")
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        stream.write(data)
    sys.stdout.flush()


def err(message: str) -> None:
    """One line on stderr, printable whatever bytes the message carries."""
    line = " ".join(message.split()) if "\n" in message else message
    sys.stderr.write(f"storybot: {line.encode('utf-8', 'replace').decode('utf-8')}\n")
