"""`StoryCog`: answers mentions, replies and `/ask`, and shows the story's sources; each channel has its story.

Retrieval runs in a worker thread, so the gateway heartbeat and other users never wait on it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import time
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.errors import ChannelNotAllowed, QuestionCooldown, explain
from bot.discord.layout.pages import answer_page
from bot.discord.layout.replies import compare_message, help_message, source_choices, source_message, sources_message
from bot.discord.layout.text import Message, question_text
from bot.discord.sending import send_kwargs
from bot.discord.stories import channel_story
from index.errors import UnknownSourceError, UnknownStoryError
from index.library import Library
from retrieval.models import SourceSummary

if TYPE_CHECKING:
    from bot.discord.bot import StoryBot

log = logging.getLogger(__name__)


def new_answer_id() -> str:
    """A short id naming a sent answer in the library and in its buttons' custom ids."""
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


class StoryCog(commands.Cog, name="Story"):
    """Answers questions about the story, and lists and shows its sources."""

    def __init__(self, bot: StoryBot):
        self.bot = bot
        self.engine = bot.engine
        self.cooldown = UserCooldown(bot.settings.discord_cooldown_rate, bot.settings.discord_cooldown_seconds)
        self.channels = frozenset(bot.settings.discord_channels)
        self.bindings: dict[int, str] = {}
        self.follow_ups: dict[int, str] = {}  # threads the bot started on an answer -> that answer's story
        self._pruned_at: float | None = None  # monotonic time stored answers were last pruned

    @property
    def library(self) -> Library:
        return self.engine.library

    async def cog_load(self) -> None:
        self.bindings = await asyncio.to_thread(self.library.channel_stories)
        self.follow_ups = await asyncio.to_thread(self.library.follow_up_threads)
        await asyncio.to_thread(self.prune_answers)

    def prune_answers(self, every_seconds: float = 3600.0) -> None:
        """Delete stored answers past STORYBOT_DISCORD_KEEP_ANSWERS_DAYS, at most once per `every_seconds`
        (a busy server would otherwise keep every answer it ever gave)."""
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < every_seconds:
            return
        self._pruned_at = now
        try:
            removed = self.library.prune_answers(self.bot.settings.discord_keep_answers_days)
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
        """Answer from the channel's story, keep the answer in the library, and lay out its first page."""
        story, answer_id = self.story_for(channel), new_answer_id()
        threads = can_start_threads(channel)

        def work() -> Message:  # all of it off the event loop: a quote can be megabytes long
            answer = self.engine.ask(question_text(question), story)
            self.library.store_answer(answer_id, answer.story, answer.question, answer.model_dump_json(),
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
        except Exception as error:  # whatever happens, the asker hears back, in the channel like an answer
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
