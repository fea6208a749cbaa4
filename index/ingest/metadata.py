"""The `sources.json` of a story folder, validated by one schema with messages that name file and key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from index.errors import IngestError

METADATA_FILE = "sources.json"
MAX_METADATA_BYTES = 2_000_000
Short = Annotated[str, Field(min_length=1, max_length=500)]


class SourceMeta(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    outlet: Short | None = None
    title: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    url: Annotated[str, Field(max_length=2000)] | None = None
    date: Annotated[str, Field(max_length=40)] | None = None
    author: Short | None = None
    credit: Annotated[str, Field(max_length=1000)] | None = None
    language: Annotated[str, Field(max_length=20)] | None = None

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got {value[:40]!r}")
        return value


class StoryMeta(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    id: Annotated[str, Field(pattern=r"^[\w.-]{1,80}$")] | None = None
    title: Annotated[str, Field(min_length=1, max_length=1000)] | None = None


class FolderMeta(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    story: StoryMeta = StoryMeta()
    sources: dict[str, dict] = {}


def _where(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"])


def read_metadata(path: Path) -> tuple[FolderMeta, dict[str, SourceMeta | str]]:
    """The folder's story metadata, and per source stem either its metadata or why it is unusable.

    IngestError (naming the file) when the file as a whole cannot be used.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_METADATA_BYTES:
        raise IngestError(f"{path.name}: {len(raw) / 1e6:.1f} MB is too large for metadata")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise IngestError(f"{path.name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise IngestError(f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise IngestError(f"{path.name}: nested too deeply") from None
    if not isinstance(data, dict):
        raise IngestError(f"{path.name}: must hold a JSON object, not {type(data).__name__}")
    try:
        folder = FolderMeta.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise IngestError(f"{path.name}: {_where(error)} {error['msg'].lower()}") from None
    sources: dict[str, SourceMeta | str] = {}
    for stem, entry in folder.sources.items():
        try:
            sources[stem] = SourceMeta.model_validate(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            sources[stem] = f"{path.name}: sources.{stem}.{_where(error)} {error['msg'].lower()}"
    return folder, sources
