"""`storybot discord`: run the Discord bot."""

from __future__ import annotations

from typing import Annotated

import typer

from index.errors import UsageError

app = typer.Typer()


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
