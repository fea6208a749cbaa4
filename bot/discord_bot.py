"""The Discord front end: mentions, replies, slash commands and buttons in, the Engine's answers out.

Here: the user-safe error reply (`explain`), the answering cog, the story-library cog, the bot and its
start-up. Message layout is in `bot.discord_layout` (no discord import), retrieval in the Engine.
Retrieval runs in a worker thread, so the gateway heartbeat and other users never wait on it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import secrets
import sqlite3
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bot.discord_layout import (
    Action,
    Message,
    answer_page,
    compare_message,
    context_message,
    cooldown_text,
    escape,
    fit,
    help_message,
    page_outlets,
    parse_custom_id,
    question_text,
    source_choices,
    source_message,
    sources_message,
    thread_intro,
    thread_name,
    vote_text,
)
from bot.discord_settings import ConfigError, DiscordSettings, load_discord_settings
from bot.discord_stories import add_report_text, channel_story, may_edit, story_choices, stories_text
from index.catalog import Catalog
from index.library import slug
from retrieval.engine import Engine
from index.errors import StorybotError, UnknownSourceError, UnknownStoryError, UsageError
from retrieval.models import Answer, SourceSummary
from retrieval.settings import Settings

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side while answering. It has been logged; please try again."
ERROR_CHARS = 300


class DiscordUnreachable(StorybotError):
    """Discord could not be reached at start-up."""


class QuestionCooldown(app_commands.AppCommandError):
    """A user asked more questions than the cooldown allows."""

    def __init__(self, retry_after: float):
        super().__init__(cooldown_text(retry_after))
        self.retry_after = retry_after


class ChannelNotAllowed(app_commands.CheckFailure):
    """The bot does not answer in this channel."""


def explain(error: BaseException) -> str:
    """The short, user-safe reply for an error; anything unexpected is logged with its traceback."""
    error = getattr(error, "original", error)  # CommandInvokeError wraps what the command raised
    if isinstance(error, (QuestionCooldown, ChannelNotAllowed, EditorsOnly)):
        return str(error)
    if isinstance(error, StorybotError):
        return "Sorry: " + fit(str(error), ERROR_CHARS)
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    log.error("unexpected error while answering", exc_info=error)
    return SOMETHING_WENT_WRONG


def send_kwargs(message: Message) -> dict[str, Any]:
    """Keyword arguments for any discord.py send or edit, with mentions disabled (and buttons, if any)."""
    kwargs: dict[str, Any] = {
        "content": message.content or None,
        "embeds": [discord.Embed.from_dict(embed) for embed in message.embeds],
        "allowed_mentions": NO_MENTIONS,
    }
    if message.components:
        kwargs["view"] = buttons_view(message.components)
    return kwargs


def buttons_view(rows: tuple[dict, ...]) -> discord.ui.View:
    """Discord's action rows as a discord.py View that sends the buttons and keeps nothing per message.

    Clicks are handled by StoryCog.on_interaction from the custom id alone (which names the stored
    answer), so they work after a restart; a stopped view is not kept in discord.py's view store.
    """
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for item in row["components"]:
            view.add_item(discord.ui.Button(
                style=discord.ButtonStyle(item["style"]), label=item.get("label"), custom_id=item["custom_id"],
                emoji=(item.get("emoji") or {}).get("name"), disabled=item.get("disabled", False), row=number))
    view.stop()
    return view


def new_answer_id() -> str:
    """A short id naming a sent answer in the catalog and in its buttons' custom ids."""
    return secrets.token_urlsafe(9)


def can_start_threads(channel: Any) -> bool:
    """Whether a thread can be started on a message in this channel (a guild text or news channel)."""
    return getattr(channel, "type", None) in (discord.ChannelType.text, discord.ChannelType.news)


class UserCooldown:
    """At most `rate` questions per `per` seconds for each user, shared by mentions and /ask."""

    def __init__(self, rate: int, per: float):
        self._mapping: commands.CooldownMapping[int] = commands.CooldownMapping.from_cooldown(
            rate, per, lambda user_id: user_id
        )

    def charge(self, user_id: int) -> None:
        """Count one question; raise QuestionCooldown when the user is over the rate."""
        retry_after = self._mapping.get_bucket(user_id).update_rate_limit()
        if retry_after:
            raise QuestionCooldown(retry_after)


class StoryTree(app_commands.CommandTree):
    """The one handler for slash-command errors: a short ephemeral reply, tracebacks only in the log."""

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        text = explain(error)
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
                return
            if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
                # A deferred reply is public; replace it so the error is seen only by the asker.
                await interaction.delete_original_response()
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.exception("could not tell the user about an error in /%s", getattr(interaction.command, "name", "?"))


class StoryCog(commands.Cog, name="Story"):
    """Answers questions about the story, and lists and shows its sources."""

    def __init__(self, bot: StoryBot):
        self.bot = bot
        self.engine = bot.engine
        self.cooldown = UserCooldown(bot.settings.discord_cooldown_rate, bot.settings.discord_cooldown_seconds)
        self.channels = frozenset(bot.settings.discord_channels)
        self.bindings: dict[int, str] = {}
        self.follow_ups: dict[int, str] = {}  # threads the bot started on an answer -> that answer's story
        self._thread_lock = asyncio.Lock()
        self._pruned_at: float | None = None  # monotonic time stored answers were last pruned

    @property
    def catalog(self) -> Catalog:
        return self.engine.library.catalog

    async def cog_load(self) -> None:
        self.bindings = await asyncio.to_thread(self.catalog.channel_stories)
        self.follow_ups = await asyncio.to_thread(self.catalog.follow_up_threads)
        await asyncio.to_thread(self.prune_answers)

    def prune_answers(self, every_seconds: float = 3600.0) -> None:
        """Delete stored answers past STORYBOT_DISCORD_KEEP_ANSWERS_DAYS, at most once per `every_seconds`
        (a busy server would otherwise keep every answer it ever gave)."""
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < every_seconds:
            return
        self._pruned_at = now
        try:
            removed = self.catalog.prune_answers(self.bot.settings.discord_keep_answers_days)
        except sqlite3.Error as exc:  # housekeeping: never the reason an answer fails; tried again in an hour
            log.warning("could not forget old stored answers: %s", exc)
            return
        if removed:
            log.info("forgot %d stored answers older than %g days", removed, self.bot.settings.discord_keep_answers_days)

    def story_for(self, channel: Any) -> str:
        """A follow-up thread's story; else this channel's (or the thread's parent's); else the default story."""
        channel_id = getattr(channel, "id", None)
        if channel_id in self.follow_ups:
            return self.follow_ups[channel_id]
        bound = channel_story(self.bindings, channel_id, getattr(channel, "parent_id", None), None)
        return bound or self.default_story()

    def default_story(self) -> str:
        """STORYBOT_STORY, else `storybot story use`'s, else the library's only (or, of several, its oldest) story."""
        if self.engine.settings.story:
            return self.engine.settings.story
        chosen = self.engine.library.default_story()
        if chosen is not None:
            return chosen
        stories = self.engine.stories()
        if not stories:
            raise UnknownStoryError("the library holds no story yet; a moderator can add one with /story create")
        return stories[0].story_id

    async def summaries(self, story: str | None) -> tuple[str, dict[str, SourceSummary]]:
        """The story's title and its sources by id."""
        def read() -> tuple[str, dict[str, SourceSummary]]:
            story_id = self.engine.story_id(story)
            title = next((s.title for s in self.engine.stories() if s.story_id == story_id), story_id)
            return title, {s.source_id: s for s in self.engine.sources(story_id)}

        return await asyncio.to_thread(read)

    def allowed_in(self, channel: Any) -> bool:
        """Whether the bot answers in this channel (or, for a thread, in its parent)."""
        if not self.channels:
            return True
        return bool({getattr(channel, "id", None), getattr(channel, "parent_id", None)} & self.channels)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        channel = interaction.channel or discord.Object(interaction.channel_id or 0)
        if not self.allowed_in(channel):
            where = ", ".join(f"<#{c}>" for c in sorted(self.channels))
            raise ChannelNotAllowed(f"I answer questions in {where}.")
        return True

    async def answer(self, question: str, channel: Any, user_id: int) -> Message:
        """Answer from the channel's story, keep the answer in the catalog, and lay out its first page."""
        story, answer_id = self.story_for(channel), new_answer_id()
        threads = can_start_threads(channel)

        def work() -> Message:  # all of it off the event loop: a quote can be megabytes long
            answer = self.engine.ask(question_text(question), story)
            self.catalog.store_answer(answer_id, answer.story, answer.question, answer.model_dump_json(),
                                      getattr(channel, "id", None), user_id)
            self.prune_answers()
            return answer_page(answer, answer_id, 0, thread_button=threads)

        return await asyncio.get_running_loop().run_in_executor(self.bot.answer_pool, work)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return
        mentioned = any(user.id == me.id for user in message.mentions)
        resolved = message.reference.resolved if message.reference else None
        replied_to = isinstance(resolved, discord.Message) and resolved.author.id == me.id
        follow_up = message.channel.id in self.follow_ups  # a thread the bot started: every message is a question
        if not (mentioned or replied_to or follow_up) or not (follow_up or self.allowed_in(message.channel)):
            return
        try:
            self.cooldown.charge(message.author.id)
            reply = await self.answer(message.content, message.channel, message.author.id)  # pings stripped there
        except Exception as error:  # whatever happens, the asker hears back; explain() logs the unexpected
            reply = Message(content=explain(error))
        try:
            await message.channel.send(
                **send_kwargs(reply), reference=message.to_reference(fail_if_not_exists=False), mention_author=False
            )
        except discord.Forbidden as error:
            log.warning("cannot answer in channel %s: Discord refused (%s %s); check the bot's permissions there",
                        message.channel.id, error.code, error.text)
        except discord.HTTPException as error:
            log.error("could not send an answer in channel %s: %s %s", message.channel.id, error.status, error.text)

    # --- buttons under answers -------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons under answers: dispatched by custom id, so they keep working after a restart."""
        if interaction.type is not discord.InteractionType.component:
            return
        action = parse_custom_id(str((interaction.data or {}).get("custom_id", "")))
        if action is None:
            return
        handlers = {"context": self.on_context, "vote": self.on_vote, "page": self.on_page, "thread": self.on_thread}
        try:
            await handlers[action.kind](interaction, action)
        except Exception as error:
            text = explain(error)
            try:
                if interaction.response.is_done():
                    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
                else:
                    await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            except discord.HTTPException:
                log.exception("could not tell user %s about an error with a %s button", interaction.user.id,
                              action.kind)

    async def stored(self, answer_id: str) -> Answer:
        def read() -> Answer:
            row = self.catalog.stored_answer(answer_id)
            if row is None:
                raise StorybotError("that answer is no longer stored; ask again")
            return Answer.model_validate_json(row[2])

        return await asyncio.to_thread(read)

    async def on_context(self, interaction: discord.Interaction, action: Action) -> None:
        answer = await self.stored(action.answer_id)
        page = int(action.arg)

        def texts() -> dict[str, str]:
            found = {}
            for entry in page_outlets(answer, page):
                try:
                    found[entry.source_id] = self.engine.source(entry.source_id).text
                except UnknownSourceError:  # removed since the answer was sent
                    continue
            return found

        # Off the loop: a paragraph can be megabytes long before it is cut around its quote.
        message = await asyncio.to_thread(lambda: context_message(answer, page, texts()))
        await interaction.response.send_message(**send_kwargs(message), ephemeral=True)

    async def on_vote(self, interaction: discord.Interaction, action: Action) -> None:
        vote = 1 if action.arg == "up" else -1
        previous = await asyncio.to_thread(self.catalog.vote, action.answer_id, interaction.user.id, vote)
        log.info("user %s voted %+d on answer %s", interaction.user.id, vote, action.answer_id)
        await interaction.response.send_message(vote_text(vote, previous), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    async def on_page(self, interaction: discord.Interaction, action: Action) -> None:
        answer = await self.stored(action.answer_id)
        message = await asyncio.to_thread(answer_page, answer, action.answer_id, int(action.arg),
                                          thread_button=can_start_threads(interaction.channel))
        await interaction.response.edit_message(**send_kwargs(message))

    async def on_thread(self, interaction: discord.Interaction, action: Action) -> None:
        row = await asyncio.to_thread(self.catalog.stored_answer, action.answer_id)
        if row is None or interaction.message is None:
            raise StorybotError("that answer is no longer stored; ask again")
        story, question = row[0], row[1]
        # Starting a thread is a round trip that Discord may rate-limit: acknowledge first, privately.
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._thread_lock:  # two quick clicks must not start two threads on one message
            existing = await asyncio.to_thread(self.catalog.thread_of, action.answer_id)
            if existing is not None:
                await interaction.followup.send(f"Follow-up questions about this answer go in <#{existing}>.",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)
                return
            try:
                thread = await interaction.message.create_thread(name=thread_name(question), auto_archive_duration=1440)
            except discord.Forbidden:
                log.warning("cannot start a thread in channel %s: missing permissions", interaction.channel_id)
                raise StorybotError("I may not start threads here; a moderator can give me Create Public "
                                    "Threads and Send Messages in Threads") from None
            await asyncio.to_thread(self.catalog.add_follow_up_thread, thread.id, action.answer_id, story,
                                    interaction.user.id)
            self.follow_ups[thread.id] = story
        log.info("user %s started follow-up thread %s on answer %s (story %s)", interaction.user.id, thread.id,
                 action.answer_id, story)
        await interaction.followup.send(f"Started <#{thread.id}>: ask your follow-up questions there, no mention "
                                        "needed.", ephemeral=True, allowed_mentions=NO_MENTIONS)
        title = await asyncio.to_thread(self.catalog.story_title, story)
        await thread.send(**send_kwargs(thread_intro(title)))

    @app_commands.command(name="ask")
    @app_commands.describe(question="Your question about the story, e.g. What did Paris deny?")
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 3, 300]) -> None:
        """Ask about the story: each outlet answers in its own words, or is listed as not reporting it."""
        self.cooldown.charge(interaction.user.id)
        await interaction.response.defer(thinking=True)
        channel = interaction.channel or discord.Object(interaction.channel_id or 0)
        reply = await self.answer(question, channel, interaction.user.id)
        await interaction.edit_original_response(**send_kwargs(reply))

    @app_commands.command(name="compare")
    @app_commands.describe(topic="Only what concerns this, e.g. the death toll (optional)")
    async def compare(self, interaction: discord.Interaction,
                      topic: app_commands.Range[str, 3, 300] | None = None) -> None:
        """Line the outlets up: what they share, what only one reports, where their figures or words differ."""
        self.cooldown.charge(interaction.user.id)
        await interaction.response.defer(thinking=True)
        loop = asyncio.get_running_loop()
        story = self.story_for(interaction.channel)
        comparison = await loop.run_in_executor(self.bot.answer_pool, lambda: self.engine.compare(story, topic))
        await interaction.edit_original_response(**send_kwargs(compare_message(comparison)))

    @app_commands.command(name="sources")
    async def sources(self, interaction: discord.Interaction) -> None:
        """List the story's sources: outlet, title, id and passage count."""
        title, summaries = await self.summaries(self.story_for(interaction.channel))
        reply = sources_message(title, list(summaries.values()))
        await interaction.response.send_message(**send_kwargs(reply), ephemeral=True)

    @app_commands.command(name="source")
    @app_commands.rename(source_id="id")
    @app_commands.describe(source_id="The source's id; type part of an outlet or id to pick one")
    async def source(self, interaction: discord.Interaction, source_id: app_commands.Range[str, 1, 100]) -> None:
        """Show one source: outlet, title, date, passage count, link and opening lines."""
        _, summaries = await self.summaries(self.story_for(interaction.channel))
        summary = summaries.get(source_id.strip())
        if summary is None:
            raise UnknownSourceError(f"no source {source_id!r} in this story; /sources lists them")
        source = self.engine.source(summary.source_id)
        await interaction.response.send_message(**send_kwargs(source_message(source, summary.passages)), ephemeral=True)

    @source.autocomplete("source_id")
    async def source_id_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        _, summaries = await self.summaries(self.story_for(interaction.channel))
        return [app_commands.Choice(name=label, value=value)
                for label, value in source_choices(summaries.values(), current)]

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction) -> None:
        """What storybot does, with an example question."""
        name = self.bot.user.name if self.bot.user else "storybot"
        await interaction.response.send_message(**send_kwargs(help_message(name)), ephemeral=True)


class EditorsOnly(Exception):
    """A member without Manage Server (or the editor role) tried to change the library."""


class LibraryCog(commands.Cog, name="Library"):
    """`/story`: which story a channel answers from, and the stories' sources, edited from Discord."""

    story = app_commands.Group(name="story", description="Stories: bind one to this channel, list, add sources.",
                               default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    def __init__(self, bot: StoryBot, answers: StoryCog):
        self.bot = bot
        self.engine = bot.engine
        self.answers = answers

    def _check_editor(self, interaction: discord.Interaction) -> None:
        member = interaction.user
        manage = bool(getattr(interaction.permissions, "manage_guild", False))
        roles = [role.id for role in getattr(member, "roles", [])]
        if not may_edit(manage, roles, self.bot.settings.discord_editor_role):
            log.info("refused a library change by user %s (no Manage Server, no editor role)", member.id)
            raise EditorsOnly("Only members with Manage Server (or the editor role) can change the stories.")

    async def _story_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        stories = await asyncio.to_thread(self.engine.stories)
        return [app_commands.Choice(name=label, value=value) for label, value in story_choices(stories, current)]

    @story.command(name="use")
    @app_commands.describe(story="The story this channel's questions are about")
    async def use(self, interaction: discord.Interaction, story: app_commands.Range[str, 1, 100]) -> None:
        """Answer questions in this channel (and its threads) from a story."""
        self._check_editor(interaction)
        channel_id = interaction.channel_id or 0
        await asyncio.to_thread(self.engine.library.catalog.bind_channel, channel_id, story.strip(), interaction.user.id)
        self.answers.bindings[channel_id] = story.strip()
        log.info("user %s bound channel %s to story %s", interaction.user.id, channel_id, story.strip())
        await interaction.response.send_message(f"This channel now answers from `{escape(story.strip())}`.",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    use.autocomplete("story")(_story_choices)

    @story.command(name="list")
    async def list_(self, interaction: discord.Interaction) -> None:
        """List the stories and how many outlets each holds."""
        stories = await asyncio.to_thread(self.engine.stories)
        current = await asyncio.to_thread(self.answers.story_for, interaction.channel)
        await interaction.response.send_message(stories_text(stories, current), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @story.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this channel's story and its sources."""
        title, summaries = await self.answers.summaries(self.answers.story_for(interaction.channel))
        await interaction.response.send_message(**send_kwargs(sources_message(title, list(summaries.values()))),
                                                ephemeral=True)

    @story.command(name="create")
    @app_commands.describe(name="The new story's name")
    async def create(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 80]) -> None:
        """Create an empty story to add sources to."""
        self._check_editor(interaction)
        story_id = await asyncio.to_thread(self.engine.library.create_story, slug(name), name.strip())
        log.info("user %s created story %s", interaction.user.id, story_id)
        await interaction.response.send_message(f"Created `{story_id}`. Bind a channel with /story use.",
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    @story.command(name="add")
    @app_commands.describe(url="An article's http(s) address", file="An article file (.txt, .md or .html)")
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 8, 2000] | None = None,
                  file: discord.Attachment | None = None) -> None:
        """Add an article to this channel's story, by URL or as a file."""
        self._check_editor(interaction)
        if (url is None) == (file is None):
            raise UsageError("give either a url or a file")
        await interaction.response.defer(ephemeral=True, thinking=True)
        story = await asyncio.to_thread(self.answers.story_for, interaction.channel)
        limit = self.bot.settings.discord_max_upload_bytes
        with tempfile.TemporaryDirectory() as tmp:
            item = url
            if file is not None:
                suffix = Path(file.filename).suffix.lower()
                if suffix not in {".txt", ".md", ".html", ".htm"}:
                    raise UsageError(f"a {suffix or 'nameless'} file cannot be added; use .txt, .md or .html")
                if file.size > limit:
                    raise UsageError(f"the file is {file.size:,} bytes; the limit is {limit:,}")
                item = str(Path(tmp) / f"{slug(Path(file.filename).stem, 'article')}{suffix}")
                Path(item).write_bytes(await file.read())
            report = await asyncio.to_thread(self.engine.library.add, [item], story)
        log.info("user %s added %s to story %s: %d added, %d skipped", interaction.user.id,
                 url or (file.filename if file else "?"), story, len(report.added), len(report.skipped))
        await interaction.edit_original_response(content=add_report_text(report), allowed_mentions=NO_MENTIONS)

    @story.command(name="remove")
    @app_commands.describe(source="The source to remove from this channel's story")
    async def remove(self, interaction: discord.Interaction, source: app_commands.Range[str, 1, 100]) -> None:
        """Remove a source from this channel's story."""
        self._check_editor(interaction)
        _, summaries = await self.answers.summaries(self.answers.story_for(interaction.channel))
        if source.strip() not in summaries:
            raise UnknownSourceError(f"no source {source.strip()!r} in this channel's story; /sources lists them")
        await asyncio.to_thread(self.engine.library.remove, [source.strip()])
        log.info("user %s removed source %s", interaction.user.id, source.strip())
        await interaction.response.send_message(f"Removed `{escape(source.strip())}`.", ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @remove.autocomplete("source")
    async def _source_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        _, summaries = await self.answers.summaries(self.answers.story_for(interaction.channel))
        return [app_commands.Choice(name=label, value=value)
                for label, value in source_choices(summaries.values(), current)]


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


def setup_logging(stream: TextIO | None = None) -> None:
    """Log to stderr at STORYBOT_LOG_LEVEL (INFO): coloured on a terminal, plain lines in a file or journal.

    discord.py's own choice colours whenever it runs in Docker, even into a file; NO_COLOR is honoured."""
    stream = stream or sys.stderr
    root = logging.getLogger()
    for handler in list(root.handlers):  # the CLI's quiet default gives way: a running bot says what it does
        root.removeHandler(handler)
    coloured = getattr(stream, "isatty", lambda: False)() and not os.environ.get("NO_COLOR")
    plain = logging.Formatter("[{asctime}] [{levelname:<8}] {name}: {message}", "%Y-%m-%d %H:%M:%S", style="{")
    level = getattr(logging, os.environ.get("STORYBOT_LOG_LEVEL", "INFO").upper(), logging.INFO)
    discord.utils.setup_logging(handler=logging.StreamHandler(stream), level=level,
                                **({} if coloured else {"formatter": plain}))


def run_discord(sync: bool = False, clear_guild: bool = False) -> None:
    """Start the bot: settings first (a bad token fails before the model loads), then the engine, then Discord."""
    settings = load_discord_settings()
    setup_logging()
    try:
        core = Settings()
    except ValidationError as error:
        problem = error.errors()[0]
        raise ConfigError(f"invalid setting STORYBOT_{str(problem['loc'][0]).upper()}: {problem['msg']}") from None
    engine = Engine(core)
    log.info("loading the model and index")
    engine.load()
    try:
        asyncio.run(serve(engine, settings, sync=sync, clear_guild=clear_guild))
    except KeyboardInterrupt:
        log.info("stopped")
