"""The index's own configuration, from STORYBOT_* variables and `.env` (the rest is `retrieval/settings.py`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ModelInstallSettings(BaseSettings):
    """Where `storybot models install` puts verified models."""

    model_config = SettingsConfigDict(env_prefix="STORYBOT_", env_file=".env", extra="ignore", env_ignore_empty=True)

    models_dir: Path | None = Field(None, description="The folder of installed models (default: the user's cache).")
