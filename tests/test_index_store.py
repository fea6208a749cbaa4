"""The on-disk index with the fake embedder: build, load, manifest, staleness, atomic rebuilds, corruption."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from retrieval import index_store
from retrieval.corpus import load_corpus
from index.embedding import FakeEmbedder
from retrieval.engine import Engine
from index.errors import IndexError_
from retrieval.index_store import (
    FORMAT_VERSION,
    MANIFEST,
    PASSAGES,
    VECTORS,
    build_index,
    corpus_passages,
    index_path,
    load_index,
    read_manifest,
    staleness,
)
from index.sentences import SEGMENTER_VERSION
from retrieval.settings import Settings
from tests.conftest import SEEDS

SEED_000, SEED_004 = "000_5ace3053a7754062", "004_c92dd615dfce2fa4"
REBUILD = re.escape("run `storybot index build` to rebuild it")


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    """A private copy of the seeds that a test may edit."""
    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    return copy


@pytest.fixture
def built(corpus_dir, tmp_path):
    """(corpus, target folder, manifest) of a freshly built fake index."""
    corpus = load_corpus(corpus_dir)
    target = index_path(tmp_path / "index", corpus)
    manifest = build_index(corpus, FakeEmbedder(), target)
    return corpus, target, manifest


def _leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.parent.iterdir() if p.name.startswith("."))


def _edit_manifest(target: Path, **changes) -> None:
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(changes)
    (target / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


class InterruptingEmbedder(FakeEmbedder):
    """Embeds a couple of batches, then behaves as if the user pressed Ctrl-C."""

    batch_size = 4

    def __init__(self, after_batches: int = 2):
        super().__init__()
        self.calls = 0
        self.after_batches = after_batches

    def embed(self, texts, progress=False):
        self.calls += 1
        if self.calls > self.after_batches:
            raise KeyboardInterrupt
        return super().embed(texts, progress)


# --- build and load -------------------------------------------------------------------------------


def test_build_writes_the_three_files(built):
    _, target, _ = built
    assert sorted(p.name for p in target.iterdir()) == sorted([MANIFEST, VECTORS, PASSAGES])
    assert _leftovers(target) == []


def test_manifest_fields(built):
    corpus, target, manifest = built
    assert read_manifest(target) == manifest
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["segmenter_version"] == SEGMENTER_VERSION
    assert manifest["model"] == "fake-hash-384"
    assert manifest["dimension"] == 384
    assert manifest["passage_count"] == len(corpus_passages(corpus))
    assert manifest["source_count"] == 2
    assert manifest["sources_fingerprint"] == corpus.fingerprint()
    assert manifest["corpus"] == str(Path(corpus.root).resolve())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", manifest["built_at"])
    for name in (VECTORS, PASSAGES):
        assert manifest["files"][name] == hashlib.sha256((target / name).read_bytes()).hexdigest()


def test_load_round_trips_passages_and_vectors(built):
    corpus, target, manifest = built
    loaded = load_index(target)
    assert loaded.manifest == manifest
    assert loaded.passages == corpus_passages(corpus)
    assert loaded.index.ntotal == len(loaded.passages)
    assert loaded.index.d == 384
    first = FakeEmbedder().embed([loaded.passages[0].text])[0]
    np.testing.assert_allclose(loaded.index.reconstruct(0), first)


def test_ranges_are_contiguous_per_source(built):
    corpus, target, _ = built
    loaded = load_index(target)
    assert list(loaded.ranges) == [SEED_000, SEED_004]
    lo0, hi0 = loaded.ranges[SEED_000]
    lo4, hi4 = loaded.ranges[SEED_004]
    assert (lo0, hi0, lo4, hi4) == (0, hi0, hi0, len(loaded.passages))
    for source_id, (lo, hi) in loaded.ranges.items():
        assert {p.source_id for p in loaded.passages[lo:hi]} == {source_id}


@pytest.mark.parametrize("source_id", [SEED_000, SEED_004])
def test_source_scores_returns_exactly_that_sources_passages(built, source_id):
    _, target, _ = built
    loaded = load_index(target)
    query = FakeEmbedder().embed(["What did Paris deny?"])[0]
    ids, scores = loaded.source_scores(query, source_id)
    lo, hi = loaded.ranges[source_id]
    assert sorted(ids.tolist()) == list(range(lo, hi))
    assert all(loaded.passages[i].source_id == source_id for i in ids)
    assert list(scores) == sorted(scores, reverse=True)
    expected = FakeEmbedder().embed([loaded.passages[int(ids[0])].text])[0] @ query
    assert scores[0] == pytest.approx(float(expected), abs=1e-5)


def test_index_path_is_per_corpus_folder(tmp_path, corpus_dir):
    here = index_path(tmp_path / "index", load_corpus(corpus_dir))
    there = index_path(tmp_path / "index", load_corpus(SEEDS))
    assert here.parent == there.parent == tmp_path / "index"
    assert here.name.startswith("seeds-") and there.name.startswith("seeds-")
    assert here != there


def test_read_manifest_without_an_index(tmp_path):
    assert read_manifest(tmp_path / "nothing") is None
    with pytest.raises(IndexError_, match=rf"^no index at {re.escape(str(tmp_path / 'nothing'))}; {REBUILD}$"):
        load_index(tmp_path / "nothing")


# --- staleness ------------------------------------------------------------------------------------


def test_fresh_index_is_current(built):
    corpus, _, manifest = built
    assert staleness(manifest, corpus, FakeEmbedder()) is None


def test_stale_when_the_model_changes(built):
    corpus, _, manifest = built
    assert staleness(manifest, corpus, FakeEmbedder(dimension=64)) == (
        "it was built with model 'fake-hash-384', not 'fake-hash-64'"
    )


def test_stale_when_a_source_changes(built, corpus_dir):
    _, _, manifest = built
    article = corpus_dir / f"{SEED_004}.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\n\nA new paragraph.", encoding="utf-8")
    assert staleness(manifest, load_corpus(corpus_dir), FakeEmbedder()) == "the source articles have changed"


def test_stale_when_a_source_is_added(built, corpus_dir):
    _, _, manifest = built
    (corpus_dir / "009_new.txt").write_text("Headline\n\nBody.", encoding="utf-8")
    assert staleness(manifest, load_corpus(corpus_dir), FakeEmbedder()) == "the source articles have changed"


def test_stale_when_format_or_segmenter_changes(built):
    corpus, _, manifest = built
    assert staleness({**manifest, "format_version": 0}, corpus, FakeEmbedder()) == (
        f"index format 0 is not the current {FORMAT_VERSION}"
    )
    assert staleness({**manifest, "segmenter_version": -1}, corpus, FakeEmbedder()) == "the sentence splitter has changed"


# --- atomic rebuilds ------------------------------------------------------------------------------


def test_rebuild_replaces_the_index_and_leaves_nothing_behind(built, corpus_dir):
    corpus, target, first = built
    article = corpus_dir / f"{SEED_004}.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\n\nA new paragraph.", encoding="utf-8")
    second = build_index(load_corpus(corpus_dir), FakeEmbedder(), target)
    assert second["passage_count"] == first["passage_count"] + 1
    assert load_index(target).passages[-1].text == "A new paragraph."
    assert _leftovers(target) == []


def test_interrupted_embedding_leaves_the_previous_index(built):
    corpus, target, manifest = built
    embedder = InterruptingEmbedder(after_batches=2)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, embedder, target)
    assert embedder.calls == 3
    assert load_index(target).manifest == manifest
    assert _leftovers(target) == []


def test_interrupted_write_leaves_the_previous_index_and_no_temp_folder(built, monkeypatch):
    corpus, target, manifest = built

    def broken_write(index, path):
        Path(path).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(faiss, "write_index", broken_write)
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus, FakeEmbedder(), target)
    assert load_index(target).manifest == manifest
    assert _leftovers(target) == []


def test_first_build_interrupted_leaves_no_index(corpus_dir, tmp_path, monkeypatch):
    corpus = load_corpus(corpus_dir)
    target = index_path(tmp_path / "index", corpus)
    monkeypatch.setattr(faiss, "write_index", lambda index, path: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        build_index(corpus, FakeEmbedder(), target)
    assert not target.exists()
    assert read_manifest(target) is None
    assert list(target.parent.iterdir()) == []


def test_next_build_removes_temp_folders_of_a_killed_build(built):
    """A build killed outright (SIGKILL) cannot clean up; the next build does."""
    corpus, target, _ = built
    stale = target.parent / f".{target.name}.tmp-killed"
    stale.mkdir()
    (stale / VECTORS).write_bytes(b"partial")
    build_index(corpus, FakeEmbedder(), target)
    assert _leftovers(target) == []
    load_index(target)


# --- corruption -----------------------------------------------------------------------------------


def test_manifest_passage_count_tampered(built):
    _, target, manifest = built
    _edit_manifest(target, passage_count=manifest["passage_count"] + 1)
    n = manifest["passage_count"]
    with pytest.raises(
        IndexError_,
        match=rf"^the index at {re.escape(str(target))} is inconsistent: the manifest says {n + 1} passages, "
        rf"the files hold {n} vectors and {n} passages; {REBUILD}$",
    ):
        load_index(target)


def test_manifest_dimension_tampered(built):
    _, target, _ = built
    _edit_manifest(target, dimension=128)
    with pytest.raises(IndexError_, match=rf"manifest says dimension 128, the vectors have 384; {REBUILD}$"):
        load_index(target)


@pytest.mark.parametrize("name", [VECTORS, PASSAGES])
def test_data_file_bytes_tampered(built, name):
    _, target, _ = built
    data = bytearray((target / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (target / name).write_bytes(bytes(data))
    with pytest.raises(
        IndexError_,
        match=rf"^the index at {re.escape(str(target))} is corrupt: {re.escape(name)} does not match its manifest; {REBUILD}$",
    ):
        load_index(target)


@pytest.mark.parametrize("name", [VECTORS, PASSAGES])
def test_data_file_missing(built, name):
    _, target, _ = built
    (target / name).unlink()
    with pytest.raises(IndexError_, match=rf"is missing {re.escape(name)}; {REBUILD}$"):
        load_index(target)


def test_data_file_unreadable_even_with_matching_hash(built):
    _, target, _ = built
    (target / PASSAGES).write_text("not json\n", encoding="utf-8")
    _edit_manifest(target, files={**read_manifest(target)["files"], PASSAGES: hashlib.sha256(b"not json\n").hexdigest()})
    with pytest.raises(IndexError_, match=rf"^the index at {re.escape(str(target))} cannot be read; {REBUILD}$"):
        load_index(target)


@pytest.mark.parametrize("content", ["{not json", "\xff\xfe", ""])
def test_unreadable_manifest(built, content):
    _, target, _ = built
    (target / MANIFEST).write_text(content, encoding="latin-1")
    path = re.escape(str(target / MANIFEST))
    with pytest.raises(IndexError_, match=rf"^the index manifest {path} is unreadable or not JSON; {REBUILD}$"):
        read_manifest(target)


@pytest.mark.parametrize("content", ['{"model": "fake-hash-384"}', "[1, 2]"])
def test_manifest_lacking_fields(built, content):
    _, target, _ = built
    (target / MANIFEST).write_text(content, encoding="utf-8")
    path = re.escape(str(target / MANIFEST))
    with pytest.raises(IndexError_, match=rf"^the index manifest {path} lacks required fields; {REBUILD}$"):
        read_manifest(target)


# --- Engine.load ----------------------------------------------------------------------------------


def _engine(corpus_dir: Path, index_dir: Path) -> Engine:
    return Engine(Settings(corpus=corpus_dir, index_dir=index_dir, model="fake"), embedder=FakeEmbedder())


def test_engine_builds_on_first_load_then_reuses(corpus_dir, tmp_path, monkeypatch):
    engine = _engine(corpus_dir, tmp_path / "index")
    first = engine.load()
    assert engine.load() is first
    built_at = read_manifest(engine.index_dir)

    def no_rebuild(*args, **kwargs):
        raise AssertionError("a current index must not be rebuilt")

    monkeypatch.setattr("retrieval.engine.build_index", no_rebuild)
    again = _engine(corpus_dir, tmp_path / "index").load()
    assert again.manifest == built_at


def test_engine_rebuilds_a_stale_index(corpus_dir, tmp_path):
    _engine(corpus_dir, tmp_path / "index").load()
    article = corpus_dir / f"{SEED_004}.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\n\nMacron said nothing more.", encoding="utf-8")
    engine = _engine(corpus_dir, tmp_path / "index")
    loaded = engine.load()
    assert loaded.passages[-1].text == "Macron said nothing more."
    assert loaded.manifest["sources_fingerprint"] == engine.corpus.fingerprint()
    assert _leftovers(engine.index_dir) == []


def test_engine_rebuilds_when_the_model_changes(corpus_dir, tmp_path):
    _engine(corpus_dir, tmp_path / "index").load()
    engine = Engine(Settings(corpus=corpus_dir, index_dir=tmp_path / "index", model="fake"), embedder=FakeEmbedder(64))
    assert engine.load().manifest["dimension"] == 64


@pytest.mark.parametrize("name", [VECTORS, PASSAGES])
def test_engine_refuses_a_corrupt_index(corpus_dir, tmp_path, name):
    engine = _engine(corpus_dir, tmp_path / "index")
    engine.load()
    with open(engine.index_dir / name, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(IndexError_, match=rf"is corrupt: {re.escape(name)} does not match its manifest; {REBUILD}$"):
        _engine(corpus_dir, tmp_path / "index").load()


def test_engine_refuses_an_unreadable_manifest(corpus_dir, tmp_path):
    engine = _engine(corpus_dir, tmp_path / "index")
    engine.load()
    (engine.index_dir / MANIFEST).write_text("{", encoding="utf-8")
    with pytest.raises(IndexError_, match=rf"is unreadable or not JSON; {REBUILD}$"):
        _engine(corpus_dir, tmp_path / "index").load()


def test_engine_build_repairs_a_corrupt_index(corpus_dir, tmp_path):
    engine = _engine(corpus_dir, tmp_path / "index")
    engine.load()
    (engine.index_dir / MANIFEST).write_text("{", encoding="utf-8")
    _engine(corpus_dir, tmp_path / "index").build()
    assert _engine(corpus_dir, tmp_path / "index").load().manifest["passage_count"] > 0


def test_no_old_index_folder_is_left_by_a_swap(built):
    corpus, target, _ = built
    for _ in range(2):
        index_store.build_index(corpus, FakeEmbedder(), target)
    assert [p.name for p in target.parent.iterdir()] == [target.name]
