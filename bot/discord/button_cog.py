"""`ButtonCog`: the buttons under answers (context, votes, pages, follow-up threads), by custom id.

Dispatched from the custom id alone, which names the stored answer, so they keep working after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.discord.errors import reply_with_error
from bot.discord.layout.context import context_message
from bot.discord.layout.pages import Action, answer_page, page_outlets, parse_custom_id, thread_intro, thread_name, vote_text
from bot.discord.sending import NO_MENTIONS, send_kwargs
from bot.discord.story_cog import StoryCog, can_start_threads
from index.errors import StorybotError, UnknownSourceError
from index.library import Library
from retrieval.models import Answer

if TYPE_CHECKING:
    from bot.discord.bot import StoryBot

log = logging.getLogger(__name__)


class ButtonCog(commands.Cog, name="Buttons"):
    """Handles clicks on the buttons of the answers `StoryCog` sent."""

    def __init__(self, bot: StoryBot, answers: StoryCog):
        self.bot = bot
        self.answers = answers
        self._thread_lock = asyncio.Lock()

    @property
    def engine(self):
        return self.answers.engine

    @property
    def library(self) -> Library:
        return self.answers.library

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
            await reply_with_error(interaction, error, f"a {action.kind} button")

    async def stored(self, answer_id: str) -> Answer:
        def read() -> Answer:
            row = self.library.stored_answer(answer_id)
            if row is None:
                raise StorybotError("that answer is no longer stored; ask again")
            return Answer.model_validate_json(row.answer_json)

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
        previous = await asyncio.to_thread(self.library.vote, action.answer_id, interaction.user.id, vote)
        log.info("user %s voted %+d on answer %s", interaction.user.id, vote, action.answer_id)
        await interaction.response.send_message(vote_text(vote, previous), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    async def on_page(self, interaction: discord.Interaction, action: Action) -> None:
        answer = await self.stored(action.answer_id)
        message = await asyncio.to_thread(answer_page, answer, action.answer_id, int(action.arg),
                                          thread_button=can_start_threads(interaction.channel))
        await interaction.response.edit_message(**send_kwargs(message))

    async def on_thread(self, interaction: discord.Interaction, action: Action) -> None:
        row = await asyncio.to_thread(self.library.stored_answer, action.answer_id)
        if row is None or interaction.message is None:
            raise StorybotError("that answer is no longer stored; ask again")
        story, question = row.story_id, row.question
        # Starting a thread is a round trip that Discord may rate-limit: acknowledge first, privately.
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self._thread_lock:  # two quick clicks must not start two threads on one message
            existing = await asyncio.to_thread(self.library.thread_of, action.answer_id)
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
            await asyncio.to_thread(self.library.add_follow_up_thread, thread.id, action.answer_id, story,
                                    interaction.user.id)
            self.answers.follow_ups[thread.id] = story
        log.info("user %s started follow-up thread %s on answer %s (story %s)", interaction.user.id, thread.id,
                 action.answer_id, story)
        await interaction.followup.send(f"Started <#{thread.id}>: ask your follow-up questions there, no mention "
                                        "needed.", ephemeral=True, allowed_mentions=NO_MENTIONS)
        title = await asyncio.to_thread(self.library.story_title, story)
        await thread.send(**send_kwargs(thread_intro(title)))
