"""Discord message layout: answers, sources and help as plain payloads that fit Discord's limits.

Pure: no discord import. The Discord layer sends `Message.content` as is and turns each embed dict
into a `discord.Embed` with `Embed.from_dict`.
"""
