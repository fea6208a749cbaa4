"""Discord configuration, read from STORYBOT_DISCORD_* environment variables and `.env`."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.errors import StorybotError
from retrieval.settings import build_settings

# A bot token is three base64url parts joined by dots: the bot's user id, a timestamp, an HMAC.
# The client secret and the public key (other strings on the same portal pages) have no dots.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")
_PORTAL_HINT = "copy it from https://discord.com/developers/applications → your app → Bot → Reset Token"


class ConfigError(StorybotError):
    """The Discord configuration is missing or malformed; the message names the variable, never its value."""


class DiscordSettings(BaseSettings):
    """The bot token, where commands sync, where the bot answers, and how often a user may ask."""

    model_config = SettingsConfigDict(
        env_prefix="STORYBOT_", env_file=".env", extra="ignore", env_ignore_empty=True, hide_input_in_errors=True
    )

    discord_token: SecretStr = Field(description="The bot token (Developer Portal → Bot).")
    discord_guild_id: int | None = Field(
        None, gt=0, description="Dev guild: commands sync there instantly instead of globally."
    )
    discord_channels: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Channel ids the bot answers in, comma-separated; empty means everywhere."
    )
    discord_cooldown_rate: int = Field(5, ge=1, description="Questions a user may ask per cooldown window.")
    discord_cooldown_seconds: float = Field(30.0, gt=0, description="Length of the cooldown window.")
    discord_editor_role: int | None = Field(
        None, gt=0, description="A role whose members may add and remove sources besides those with Manage Server."
    )
    discord_max_upload_bytes: int = Field(2_000_000, ge=1000, description="Largest attachment /story add accepts.")
    discord_keep_answers_days: float = Field(
        90.0, gt=0, description="Days an answer's buttons keep working; older stored answers are deleted (votes stay)."
    )

    @field_validator("discord_token")
    @classmethod
    def _token_shape(cls, token: SecretStr) -> SecretStr:
        value = token.get_secret_value().strip()
        if value.lower().startswith("bot "):
            raise ValueError("must be the bare token, without the 'Bot ' prefix")
        if not _TOKEN_SHAPE.fullmatch(value):
            raise ValueError(
                "does not look like a bot token (three dot-separated parts; the client secret and the "
                f"public key are not tokens); {_PORTAL_HINT}"
            )
        return SecretStr(value)

    @field_validator("discord_channels", mode="before")
    @classmethod
    def _split_channels(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in re.split(r"[\s,\[\]]+", value) if part]  # "1, 2", "1 2" or "[1, 2]"
        return value


def load_discord_settings(**overrides: Any) -> DiscordSettings:
    """Build the settings, or raise ConfigError naming each bad variable (its value is never shown)."""
    return build_settings(DiscordSettings, ConfigError, what="invalid Discord configuration:",
                          hints={"discord_token": f"; put it in .env or the environment ({_PORTAL_HINT})"}, **overrides)
