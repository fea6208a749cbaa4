"""A laid-out `Message` as discord.py's send arguments: embeds, buttons, and never a mention."""

from __future__ import annotations

from typing import Any

import discord

from bot.discord.layout.text import Message

NO_MENTIONS = discord.AllowedMentions.none()


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

    Clicks are handled by ButtonCog.on_interaction from the custom id alone (which names the stored
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
