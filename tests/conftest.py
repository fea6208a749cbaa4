"""Shared fixtures: the seed corpus, a real engine over it, and the BASIL corpus when present."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import hypothesis
import pytest

from index.embedding import FakeEmbedder
from index.ingest import Draft, read_inputs
from retrieval.engine import Engine
from retrieval.settings import PROJECT_ROOT, Settings

SEEDS = PROJECT_ROOT / "seeds"
SHARED = PROJECT_ROOT.parent / "shared"
BASIL = SHARED / "corpora" / "basil"
DEV_QUESTIONS = SHARED / "eval" / "dev_questions.jsonl"
NEWSWCL50 = SHARED / "corpora" / "newswcl50"
ALLSIDES = SHARED / "corpora" / "allsides"
DENIAL_SENTENCE = "The French Ministry of Defense denied this a little later."

# One ONNX export of the model serves the whole session (and the CLI subprocesses), whatever home a test uses.
os.environ.setdefault("STORYBOT_MODEL_CACHE", tempfile.mkdtemp(prefix="storybot-models-"))

# Fuzzing budgets: "ci" is deterministic and small; `--hypothesis-profile=long` runs 10,000 inputs a property.
hypothesis.settings.register_profile("ci", max_examples=150, derandomize=True, deadline=None, print_blob=True,
                                     suppress_health_check=list(hypothesis.HealthCheck))
hypothesis.settings.register_profile("long", max_examples=10_000, deadline=None,
                                     suppress_health_check=list(hypothesis.HealthCheck))
hypothesis.settings.load_profile("ci")

def _has_torch() -> bool:
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in ("torch", "transformers", "sentence_transformers"))


needs_torch = pytest.mark.skipif(
    not _has_torch(), reason="needs the torch extra (pip install -e '.[torch]'); storybot itself runs without it"
)
needs_basil = pytest.mark.skipif(
    not BASIL.is_dir(), reason=f"the BASIL corpus is not at {BASIL} (it is in the data set folder beside the project)"
)
needs_newswcl50 = pytest.mark.skipif(
    not NEWSWCL50.is_dir(), reason=f"the five-outlet corpus is not at {NEWSWCL50} (it is in the data set folder beside the project)"
)
needs_allsides = pytest.mark.skipif(
    not ALLSIDES.is_dir(), reason=f"the allsides corpus is not at {ALLSIDES} (it is in the data set folder beside the project)"
)
needs_dev_questions = pytest.mark.skipif(
    not DEV_QUESTIONS.is_file(), reason=f"the dev questions are not at {DEV_QUESTIONS} (the data set folder beside the project is absent)"
)


def read_folder(path: Path) -> dict[str, Draft]:
    """The articles of a folder (story folder, corpus or BASIL) by source id, as ingestion reads them."""
    return {d.source_id: d for d in read_inputs([str(path)]) if isinstance(d, Draft)}


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory) -> Engine:
    """A loaded engine with the real model and a real library (the packaged seeds) built once."""
    engine = Engine(Settings(home=tmp_path_factory.mktemp("home")))
    engine.load()
    return engine


@pytest.fixture
def fake_engine(tmp_path) -> Engine:
    """A loaded engine over the seeds with the deterministic fake embedder: no model, milliseconds."""
    engine = Engine(Settings(home=tmp_path / "home", model="fake"), embedder=FakeEmbedder())
    engine.load()
    return engine


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS
