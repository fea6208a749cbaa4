"""Core configuration, read from STORYBOT_* environment variables and `.env`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
from index.embedding import DEFAULT_MODEL
from index.errors import StorybotError, UsageError

AnySettings = TypeVar("AnySettings", bound=BaseSettings)


def default_home() -> Path:
    """The user's data directory for storybot (platformdirs), e.g. ~/.local/share/storybot."""
    from platformdirs import user_data_path

    return user_data_path("storybot", appauthor=False)


class Settings(BaseSettings):
    """Where the library lives, which model embeds, and the calibrated answer thresholds."""

    model_config = SettingsConfigDict(env_prefix="STORYBOT_", env_file=".env", extra="ignore")

    home: Path = Field(default_factory=default_home,
                       description="The data folder: the story library, corpus mirrors and vector stores.")
    corpus: Path | None = Field(None, description="Answer from this folder (story folders, a corpus or BASIL JSON) "
                                                  "instead of the library; mirrored under home/corpora/.")
    story: str | None = Field(None, description="Story id; overrides `storybot story use`; may be omitted when the "
                                                "library holds one story or a default is set.")
    vector_store: str = Field("faiss", description="faiss, milvus:PATH.db (Milvus Lite) or http://host:19530.")
    max_article_bytes: int = Field(5_000_000, ge=1000, description="Articles larger than this are skipped.")
    fetch_timeout: float = Field(15.0, gt=0, le=300, description="Seconds to wait for a URL.")
    model: str = Field(DEFAULT_MODEL, description="Embedding model: the packaged default (all-MiniLM-L6-v2), 'mpnet' "
                       "(all-mpnet-base-v2 once `storybot models install mpnet` has verified it), a local folder, "
                       "or a cached hub name.")
    onnx: bool = Field(True, description="Embed with the model's ONNX export (fast start-up, no torch); "
                                         "false: sentence-transformers only.")
    model_cache: Path | None = Field(None, description="Where model exports are kept (default: home/models).")
    batch_size: int = Field(64, ge=1, le=4096)
    max_question_chars: int = Field(500, ge=1)

    # Ranking: a sentence's relevance is a convex mix of dense cosine and lexical evidence (BM25, coverage).
    dense_weight: float = Field(0.71, ge=0, le=1)
    answer_type_weight: float = Field(0.25, ge=0, description="Bonus for each kind of answer asked for that a sentence holds.")
    headline_penalty: float = Field(0.15, ge=0, description="Taken off a headline's relevance: it summarises, seldom reports.")
    question_penalty: float = Field(0.3, ge=0, description="Taken off a sentence in which the writer asks a question "
                                                           "(\"So who is X?\"): it echoes the question, never answers.")
    # Answerability: a logistic model over retrieval.answerability.ANSWER_FEATURES, fitted by `storybot calibrate`;
    # an outlet is quoted when it clears the threshold.
    answer_weights: tuple[float, float, float, float, float, float, float, float, float, float, float, float,
                          float] = (-0.9153, 2.8349, 0.9029, 0.7178, 1.9219, 0.8474, 4.0117, -0.7565, 0.1832, 0.1565,
                                    0.5282, 1.7978, 1.1209)
    answer_bias: float = -2.9987
    answer_threshold: float = Field(0.34, ge=0, le=1)
    # The reader: a cross-encoder that reads the question with each outlet's first candidates.
    reader: bool = Field(True, description="Read each outlet's first candidates with the trained reader "
                                           "(false: the faster path on dense, lexical and answer-type evidence only).")
    reader_model: str = Field("packaged", description="'packaged' (the shipped reader), a folder holding another "
                              "one, or 'fake' for tests (the default when STORYBOT_MODEL=fake).")
    reader_depth: int = Field(6, ge=1, le=50, description="How many of each outlet's first candidates the reader reads.")
    reader_extra: int = Field(3, ge=0, le=50, description="And how many of the first by dense and by lexical evidence alone.")
    reader_budget: int = Field(15, ge=1, le=500, description="(question, sentence) pairs the reader reads per "
                               "question, shared among the story's outlets (at least 3 each): its latency bound.")
    reader_weight: float = Field(0.0, ge=0, description="How much the reader's probability adds to a sentence's "
                                 "relevance (0: the reader informs answerability only; fitted by `storybot calibrate`).")
    # Mechanisms switched off, for measuring what each buys (`storybot eval --disable expansion`).
    disable: frozenset[Literal["expansion", "antecedent", "answer_type", "lexical", "answerability", "reader",
                                 "own_question"]] = frozenset()
    second_quote_ratio: float = Field(0.7, ge=0, le=1, description="A second quote must score this share of the first.")

    @model_validator(mode="after")
    def _fake_world(self) -> Settings:
        """A fake embedder (tests) comes with the fake reader unless a reader is named."""
        if self.model == "fake" and "reader_model" not in self.model_fields_set:
            self.reader_model = "fake"
        return self

    def ranking(self):
        """The ranking weights, with the mechanisms `disable` names switched off."""
        from retrieval.ranking import Ranking

        off = self.disable
        return Ranking(dense_weight=1.0 if "lexical" in off else self.dense_weight,
                       type_weight=0.0 if "answer_type" in off else self.answer_type_weight,
                       headline_penalty=self.headline_penalty, antecedents="antecedent" not in off,
                       question_penalty=0.0 if "own_question" in off else self.question_penalty,
                       reader_weight=self.reader_weight, reader_depth=self.reader_depth, reader_extra=self.reader_extra,
                       reader_budget=self.reader_budget)

    def answerability(self):
        """The fitted answerability model (`disable` may switch it off)."""
        from retrieval.answerability import Answerability

        return Answerability(weights=tuple(self.answer_weights), bias=self.answer_bias, threshold=self.answer_threshold,
                             enabled="answerability" not in self.disable)

    def export_root(self) -> Path | None:
        """Where the model's ONNX export lives, or None when ONNX is switched off."""
        return (self.model_cache or self.home / "models") if self.onnx else None

    def ingest_limits(self):
        from index.drafts import IngestLimits

        return IngestLimits(max_article_bytes=self.max_article_bytes, fetch_timeout_s=self.fetch_timeout)


class RuntimeSettings(BaseSettings):
    """How a run reports: its log level and whether internal errors show their traceback."""

    model_config = SettingsConfigDict(env_prefix="STORYBOT_", env_file=".env", extra="ignore", env_ignore_empty=True)

    log_level: str | None = Field(None, description="DEBUG, INFO, WARNING, …; unset: WARNING for the CLI, INFO "
                                                    "for the bot.")
    debug: bool = Field(False, description="Set to anything: an internal error shows its traceback.")
    no_color: bool = Field(False, validation_alias="NO_COLOR", description="Set to anything: the bot's log "
                                                                          "is never coloured.")

    @field_validator("debug", "no_color", mode="before")
    @classmethod
    def _set_means_on(cls, value: Any) -> Any:
        return bool(value) if isinstance(value, str) else value  # like NO_COLOR: any non-empty value, even "0"


def build_settings(cls: type[AnySettings], error: type[StorybotError] = UsageError, *,
                   what: str = "invalid setting", hints: Mapping[str, str] | None = None,
                   **overrides: Any) -> AnySettings:
    """Build a settings class, or raise `error`: `what`, then each bad STORYBOT_* variable and what is wrong
    with it (never its value). `hints` adds to the message of a missing variable, by field name."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        raise error(f"{what} {_problems(exc, hints or {})}") from None


def _problems(exc: ValidationError, hints: Mapping[str, str]) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "settings"
        variable = f"STORYBOT_{field.upper()}"
        if error["type"] == "missing":
            problems.append(f"{variable} is not set{hints.get(field, '')}")
        else:
            # pydantic prefixes messages from our validators with "Value error, ".
            problems.append(f"{variable}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)
