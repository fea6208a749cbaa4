"""The hashing fake embedder, the embedder factory, and the real model's load errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from index.embedding import FakeEmbedder, SentenceTransformerEmbedder, make_embedder
from index.errors import ModelLoadError
from index.embedding import DEFAULT_MODEL
from tests.conftest import needs_torch

TEXTS = ["Shoigu warned Lecornu.", "The French Ministry of Defense denied this a little later.", "Élysée"]


def test_fake_is_deterministic_across_calls_and_instances():
    first = FakeEmbedder().embed(TEXTS)
    np.testing.assert_array_equal(first, FakeEmbedder().embed(TEXTS))
    np.testing.assert_array_equal(first, FakeEmbedder().embed(TEXTS))


def test_fake_vector_does_not_depend_on_its_batch():
    together = FakeEmbedder().embed(TEXTS)
    alone = np.vstack([FakeEmbedder().embed([t]) for t in TEXTS])
    np.testing.assert_array_equal(together, alone)


def test_fake_pinned_value():
    """SHA-256 bucketing does not drift between runs or machines."""
    np.testing.assert_array_equal(FakeEmbedder(dimension=8).embed(["paris"])[0], [0, 0, 0, 0, 0, 0, 1, 0])
    vector = FakeEmbedder().embed(["Paris denied"])[0]
    assert np.flatnonzero(vector).tolist() == [22, 98]
    np.testing.assert_allclose(vector[[22, 98]], [2**-0.5, -(2**-0.5)], rtol=1e-6)


def test_fake_shape_dtype_and_unit_norm():
    vectors = FakeEmbedder().embed(TEXTS)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


def test_fake_dimension_is_configurable():
    embedder = FakeEmbedder(dimension=16)
    assert embedder.dimension == 16
    assert embedder.name == "fake-hash-16"
    assert embedder.embed(["a b c"]).shape == (1, 16)


def test_fake_shared_words_score_higher_than_unrelated_text():
    a, b, c = FakeEmbedder().embed(
        ["Paris denied the report of talks", "The report of talks was denied by Paris", "pancakes need flour and eggs"]
    )
    assert float(a @ b) > float(a @ c)
    assert float(a @ b) > 0.8


def test_fake_is_case_insensitive():
    a, b = FakeEmbedder().embed(["Paris Denied", "paris denied"])
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("text", ["", "   ", "!!! ..."])
def test_fake_text_without_words_is_still_a_unit_vector(text):
    vector = FakeEmbedder().embed([text])[0]
    assert np.linalg.norm(vector) == pytest.approx(1.0)
    assert np.isfinite(vector).all()


def test_fake_no_texts():
    assert FakeEmbedder().embed([]).shape == (0, 384)


@pytest.mark.parametrize("name", ["fake", "fake-hash-384"])
def test_make_embedder_fake(name):
    embedder = make_embedder(name)
    assert isinstance(embedder, FakeEmbedder)
    assert embedder.name == "fake-hash-384"


def test_make_embedder_fake_keeps_the_named_dimension():
    embedder = make_embedder("fake-hash-128")
    assert embedder.name == "fake-hash-128"
    assert embedder.dimension == 128


def test_make_embedder_real_is_lazy():
    """The constructor stores names only; nothing is loaded until the model is needed."""
    embedder = make_embedder(DEFAULT_MODEL, batch_size=8)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.name == DEFAULT_MODEL
    assert embedder.batch_size == 8
    assert embedder._model is None


# --- the real model's load errors (import sentence-transformers: seconds) --------------------------


NOT_FOUND = (
    r"^cannot load embedding model {name}: it is neither a local folder nor a model in the local Hugging Face "
    r"cache, and nothing is downloaded at run time\. Set STORYBOT_MODEL to a model folder, or unset it for the "
    r"packaged all-MiniLM-L6-v2\.$"
)


def test_bogus_hub_name_fails_at_once_without_the_network():
    """A hub name not in the cache is refused from the cache lookup alone: no hub retries, no model import."""
    name = "no-such-org/no-such-model"
    with pytest.raises(ModelLoadError, match=NOT_FOUND.format(name=re.escape(repr(name)))):
        SentenceTransformerEmbedder(name).warm_up()


def test_missing_folder_raises_model_load_error(tmp_path):
    name = str(tmp_path / "no-such-model-folder")
    with pytest.raises(ModelLoadError, match=NOT_FOUND.format(name=re.escape(repr(name)))):
        SentenceTransformerEmbedder(name).warm_up()


@pytest.mark.slow
@needs_torch
def test_folder_without_a_model_raises_model_load_error(tmp_path):
    name = str(tmp_path)
    with pytest.raises(ModelLoadError, match=rf"^cannot load embedding model {re.escape(repr(name))} from "
                       rf"{re.escape(name)}: sentence-transformers failed \(\w+\)\. Set STORYBOT_MODEL"):
        SentenceTransformerEmbedder(name).warm_up()


def test_failed_load_leaves_the_embedder_unloaded():
    embedder = SentenceTransformerEmbedder("no-such-org/no-such-model")
    for _ in range(2):
        with pytest.raises(ModelLoadError):
            embedder.embed(["hello"])
    assert embedder._model is None
