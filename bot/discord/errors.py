"""The one error reply: every error becomes a short, user-safe text; tracebacks go only to the log."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.discord.layout.replies import cooldown_text
from bot.discord.layout.text import fit
from bot.discord.sending import NO_MENTIONS
from index.errors import StorybotError

log = logging.getLogger(__name__)

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


class EditorsOnly(Exception):
    """A member without Manage Server (or the editor role) tried to change the library."""


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


async def reply_with_error(interaction: discord.Interaction, error: BaseException, during: str) -> None:
    """Tell the user of a slash command or a button what went wrong, privately (`during` names it in the log).

    A deferred public reply is replaced, so the error is seen only by the one who asked."""
    text = explain(error)
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.exception("could not tell user %s about an error in %s", interaction.user.id, during)
