"""The bot and its start-up: settings first, then the engine, then Discord.

The cogs are `StoryCog` (questions and sources), `ButtonCog` (the buttons under answers) and
`LibraryCog` (`/story`); every error reply is `bot.discord.errors`; every message is laid out in
`bot.discord.layout` (no discord import), and answered by the Engine.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.button_cog import ButtonCog
from bot.discord.errors import DiscordUnreachable, reply_with_error
from bot.discord.library_cog import LibraryCog
from bot.discord.sending import NO_MENTIONS
from bot.discord.settings import ConfigError, DiscordSettings, load_discord_settings
from bot.discord.story_cog import StoryCog
from retrieval.engine import Engine
from retrieval.settings import RuntimeSettings, Settings, build_settings

log = logging.getLogger(__name__)


class StoryTree(app_commands.CommandTree):
    """The one handler for slash-command errors: a short ephemeral reply, tracebacks only in the log."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await reply_with_error(interaction, error, f"/{getattr(interaction.command, 'name', '?')}")


class StoryBot(commands.Bot):
    """storybot on Discord: answers @mentions, replies and slash commands from a loaded Engine."""

    def __init__(self, engine: Engine, settings: DiscordSettings, *, sync: bool = False, clear_guild: bool = False,
                 **options: Any):
        # storybot has no voice: discord.py's warnings about missing voice libraries would only confuse.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        intents.message_content = True  # replies to the bot carry the question in their text
        options.setdefault("allowed_mentions", NO_MENTIONS)
        super().__init__(command_prefix=commands.when_mentioned, intents=intents, help_command=None,
                         tree_cls=StoryTree, **options)
        self.engine = engine
        self.settings = settings
        self.sync_commands = sync
        self.clear_guild = clear_guild
        # Answering is CPU work that mostly holds the GIL: on two cores more threads add no speed, only
        # GIL waits for the event loop. Two answer at a time; the rest queue (acknowledged already).
        self.answer_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="storybot-answer")

    async def close(self) -> None:
        await super().close()
        self.answer_pool.shutdown(wait=False, cancel_futures=True)

    async def setup_hook(self) -> None:
        # The loaded model and index live as long as the bot: moved out of the collector's reach, a full
        # collection no longer walks them, which otherwise stalls the event loop for hundreds of ms.
        gc.freeze()
        answers = StoryCog(self)
        await self.add_cog(answers)
        await self.add_cog(ButtonCog(self, answers))
        await self.add_cog(LibraryCog(self, answers))
        if not self.sync_commands:
            return
        guild = discord.Object(self.settings.discord_guild_id) if self.settings.discord_guild_id else None
        if self.clear_guild:
            # Guild copies left by a dev sync show beside the global ones as duplicates: remove them, go global.
            if guild is not None:
                self.tree.clear_commands(guild=guild)
                await self.tree.sync(guild=guild)
                log.info("removed the slash commands copied to guild %s", guild.id)
            guild = None
        elif guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        where = f"to the dev guild {guild.id}" if guild else "globally (Discord may take a while to show them)"
        log.info("synced %d slash commands %s", len(synced), where)

    async def on_message(self, message: discord.Message, /) -> None:
        """Do nothing: there are no prefix commands; StoryCog answers mentions."""

    async def on_ready(self) -> None:
        log.info("ready as %s (id %s) in %d guilds", self.user, getattr(self.user, "id", "?"), len(self.guilds))
        if not self.sync_commands:
            log.info("slash commands were not synced this run; after installing or changing them, start "
                     "once with `storybot discord --sync`")


async def serve(engine: Engine, settings: DiscordSettings, *, sync: bool = False, clear_guild: bool = False,
                **options: Any) -> None:
    """Run the bot until it is closed, turning a refused token or intent into a ConfigError."""
    async with StoryBot(engine, settings, sync=sync, clear_guild=clear_guild, **options) as bot:
        try:
            await bot.start(settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            raise ConfigError("Discord rejected STORYBOT_DISCORD_TOKEN; reset the token in the Developer Portal "
                              "(your app → Bot → Reset Token) and update .env") from None
        except discord.PrivilegedIntentsRequired:
            raise ConfigError("Discord refused the Message Content intent; enable it in the Developer Portal "
                              "(your app → Bot → Privileged Gateway Intents → Message Content Intent)") from None
        except aiohttp.ClientConnectionError as error:
            raise DiscordUnreachable(f"cannot reach Discord ({type(error).__name__}); check the network, "
                                     "a proxy or a firewall") from None


def setup_logging(stream: TextIO | None = None, runtime: RuntimeSettings | None = None) -> None:
    """Log to stderr at STORYBOT_LOG_LEVEL (INFO): coloured on a terminal, plain lines in a file or journal.

    discord.py's own choice colours whenever it runs in Docker, even into a file; NO_COLOR is honoured."""
    stream = stream or sys.stderr
    runtime = runtime or RuntimeSettings()
    root = logging.getLogger()
    for handler in list(root.handlers):  # the CLI's quiet default gives way: a running bot says what it does
        root.removeHandler(handler)
    coloured = getattr(stream, "isatty", lambda: False)() and not runtime.no_color
    plain = logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")
    level = getattr(logging, (runtime.log_level or "INFO").upper(), logging.INFO)
    discord.utils.setup_logging(handler=logging.StreamHandler(stream), level=level,
                                **({} if coloured else {"formatter": plain}))


def run_discord(sync: bool = False, clear_guild: bool = False) -> None:
    """Start the bot: settings first (a bad token fails before the model loads), then the engine, then Discord."""
    settings = load_discord_settings()
    setup_logging()
    engine = Engine(build_settings(Settings, ConfigError))
    log.info("loading the model and index")
    engine.load()
    try:
        asyncio.run(serve(engine, settings, sync=sync, clear_guild=clear_guild))
    except KeyboardInterrupt:
        log.info("stopped")
