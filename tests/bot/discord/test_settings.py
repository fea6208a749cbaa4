"""Discord settings: a missing or malformed token fails clearly, without echoing it, before the model loads."""

from __future__ import annotations

import io
import logging

import pytest

import bot.discord.bot as discord_bot
from bot.discord.settings import ConfigError, DiscordSettings, load_discord_settings
from index.errors import StorybotError
from tests.bot.discord.fake import snowflake_token

TOKEN = snowflake_token(1098765432109876543)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No STORYBOT_DISCORD_* from the machine, and a working directory whose .env the test controls."""
    for name in ("TOKEN", "GUILD_ID", "CHANNELS", "COOLDOWN_RATE", "COOLDOWN_SECONDS"):
        monkeypatch.delenv(f"STORYBOT_DISCORD_{name}", raising=False)
    monkeypatch.chdir(tmp_path)


def test_a_missing_token_names_the_variable_and_where_to_get_it():
    with pytest.raises(ConfigError, match=r"STORYBOT_DISCORD_TOKEN is not set; put it in \.env") as raised:
        load_discord_settings()
    assert isinstance(raised.value, StorybotError)
    assert "Developer Portal" in str(raised.value) or "developers/applications" in str(raised.value)


@pytest.mark.parametrize("token", [
    "not-a-token",
    "x" * 72,  # a client secret or public key has no dots
    "abc.def.ghi",
    TOKEN + " trailing words",
], ids=["no-dots", "secret-shaped", "three-short-parts", "token-and-words"])
def test_a_malformed_token_fails_without_echoing_it(monkeypatch, token):
    monkeypatch.setenv("STORYBOT_DISCORD_TOKEN", token)
    with pytest.raises(ConfigError, match="STORYBOT_DISCORD_TOKEN: does not look like a bot token") as raised:
        load_discord_settings()
    assert token not in str(raised.value)


def test_a_token_with_the_bot_prefix_is_refused_without_echoing_it(monkeypatch):
    monkeypatch.setenv("STORYBOT_DISCORD_TOKEN", f"Bot {TOKEN}")
    with pytest.raises(ConfigError, match="without the 'Bot ' prefix") as raised:
        load_discord_settings()
    assert TOKEN not in str(raised.value)


def test_the_token_is_never_shown_by_repr_or_str(monkeypatch):
    monkeypatch.setenv("STORYBOT_DISCORD_TOKEN", f"  {TOKEN}\n")
    settings = load_discord_settings()
    assert settings.discord_token.get_secret_value() == TOKEN  # surrounding whitespace from .env is dropped
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


def test_settings_come_from_dotenv_with_defaults(tmp_path):
    (tmp_path / ".env").write_text(f"STORYBOT_DISCORD_TOKEN={TOKEN}\nSTORYBOT_DISCORD_CHANNELS=11, 22 33\n")
    settings = load_discord_settings()
    assert settings.discord_channels == [11, 22, 33]
    assert settings.discord_guild_id is None
    assert (settings.discord_cooldown_rate, settings.discord_cooldown_seconds) == (5, 30.0)


def test_empty_values_as_copied_from_env_example_mean_unset(tmp_path):
    (tmp_path / ".env").write_text(f"STORYBOT_DISCORD_TOKEN={TOKEN}\nSTORYBOT_DISCORD_GUILD_ID=\n"
                                   "STORYBOT_DISCORD_CHANNELS=\nSTORYBOT_DISCORD_COOLDOWN_RATE=\n")
    settings = load_discord_settings()
    assert (settings.discord_guild_id, settings.discord_channels, settings.discord_cooldown_rate) == (None, [], 5)


def test_bad_optional_values_name_their_variables(monkeypatch):
    monkeypatch.setenv("STORYBOT_DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("STORYBOT_DISCORD_GUILD_ID", "my-server")
    monkeypatch.setenv("STORYBOT_DISCORD_COOLDOWN_RATE", "0")
    with pytest.raises(ConfigError) as raised:
        load_discord_settings()
    assert "STORYBOT_DISCORD_GUILD_ID" in str(raised.value) and "STORYBOT_DISCORD_COOLDOWN_RATE" in str(raised.value)


def test_channels_accept_json_lists_too():
    assert DiscordSettings(_env_file=None, discord_token=TOKEN, discord_channels=[5]).discord_channels == [5]
    assert DiscordSettings(_env_file=None, discord_token=TOKEN, discord_channels="[5, 6]").discord_channels == [5, 6]


def test_run_discord_fails_on_the_token_before_loading_the_model(monkeypatch):
    def no_engine(*args, **kwargs):
        raise AssertionError("the engine must not be built before the token is checked")

    monkeypatch.setattr(discord_bot, "Engine", no_engine)
    with pytest.raises(ConfigError, match="STORYBOT_DISCORD_TOKEN is not set"):
        discord_bot.run_discord()
    monkeypatch.setenv("STORYBOT_DISCORD_TOKEN", "malformed")
    with pytest.raises(ConfigError, match="does not look like a bot token"):
        discord_bot.run_discord(sync=True)


def test_the_bot_forgets_answers_past_their_keep_days_on_start_and_at_most_hourly(tmp_path):
    import asyncio
    from types import SimpleNamespace

    from bot.discord.story_cog import StoryCog
    from index.bot_records import BotRecords
    from index.catalog import Catalog

    catalog = Catalog(tmp_path / "catalog.sqlite")
    catalog.create_story("s1", "Story one")
    for answer_id in ("old", "older"):
        catalog.store_answer(answer_id, "s1", "q", "{}")
    catalog.db.execute("UPDATE answers SET created_at='2020-01-01T00:00:00Z'")
    library = BotRecords()  # the library's own methods over this catalog, without a model
    library.catalog = catalog
    settings = DiscordSettings(_env_file=None, discord_token=TOKEN, discord_keep_answers_days=30)
    cog = StoryCog(SimpleNamespace(engine=SimpleNamespace(library=library), settings=settings))
    asyncio.run(cog.cog_load())
    assert catalog.stored_answer("old") is None and catalog.stored_answer("older") is None
    catalog.store_answer("recent", "s1", "q", "{}")
    catalog.db.execute("UPDATE answers SET created_at='2020-01-01T00:00:00Z'")
    cog.prune_answers()  # pruned a moment ago: not again within the hour
    assert catalog.stored_answer("recent") is not None
    cog.prune_answers(every_seconds=0)
    assert catalog.stored_answer("recent") is None
    catalog.close()


def test_a_locked_catalog_never_fails_an_answer_over_housekeeping(tmp_path, caplog):
    import sqlite3
    from types import SimpleNamespace

    from bot.discord.story_cog import StoryCog

    def locked(keep_days):
        raise sqlite3.OperationalError("database is locked")

    library = SimpleNamespace(prune_answers=locked)
    settings = DiscordSettings(_env_file=None, discord_token=TOKEN)
    cog = StoryCog(SimpleNamespace(engine=SimpleNamespace(library=library), settings=settings))
    cog.prune_answers()
    assert "could not forget old stored answers: database is locked" in caplog.text


def test_keep_answers_days_must_be_positive():
    with pytest.raises(ConfigError, match="STORYBOT_DISCORD_KEEP_ANSWERS_DAYS"):
        load_discord_settings(_env_file=None, discord_token=TOKEN, discord_keep_answers_days=0)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restored_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("in_docker", [False, True], ids=["host", "docker"])
def test_the_bot_log_has_no_colour_codes_unless_stderr_is_a_terminal(restored_logging, monkeypatch, in_docker):
    import discord.utils

    from bot.discord.bot import setup_logging

    monkeypatch.setattr(discord.utils, "is_docker", lambda: in_docker)  # discord.py colours in Docker regardless
    monkeypatch.delenv("NO_COLOR", raising=False)
    redirected, terminal = io.StringIO(), _Terminal()
    for stream in (redirected, terminal):
        setup_logging(stream)
        logging.getLogger("storybot.test").warning("ready as storybot")
    assert "ready as storybot" in redirected.getvalue() and "\x1b[" not in redirected.getvalue()
    assert "WARNING" in redirected.getvalue()
    assert "\x1b[" in terminal.getvalue(), "a terminal keeps its colours"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    setup_logging(plain)
    logging.getLogger("storybot.test").warning("ready as storybot")
    assert "\x1b[" not in plain.getvalue()
