"""The Discord front end: `bot.py` starts it, the cogs translate between Discord and the engine, `layout/`
lays out every message (no discord import there)."""
