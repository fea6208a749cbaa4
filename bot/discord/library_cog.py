"""`LibraryCog`: `/story`, which story a channel answers from, and the stories' sources, edited from Discord."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.errors import EditorsOnly
from bot.discord.layout.replies import source_choices, sources_message
from bot.discord.layout.text import escape
from bot.discord.sending import NO_MENTIONS, send_kwargs
from bot.discord.stories import add_report_text, may_edit, story_choices, stories_text, upload_name
from bot.discord.story_cog import StoryCog
from index.errors import UnknownSourceError, UsageError
from index.library import slug

if TYPE_CHECKING:
    from bot.discord.bot import StoryBot

log = logging.getLogger(__name__)


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
        await asyncio.to_thread(self.engine.library.bind_channel, channel_id, story.strip(), interaction.user.id)
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
                item = str(Path(tmp) / upload_name(file.filename, file.size, limit))
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
