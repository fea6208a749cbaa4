"""One suite over every vector store (FAISS, Milvus Lite), with random vectors: no model needed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from index.errors import StoreError, UsageError
from index.stores import open_store
from tests.conftest import PROJECT_ROOT

DIM = 16


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(params=["faiss", "milvus:lite.db"], ids=["faiss", "milvus-lite"])
def spec(request):
    return request.param


@pytest.fixture
def store(spec, tmp_path):
    opened = open_store(spec, tmp_path / "model", DIM)
    yield opened
    opened.close()


def test_add_get_replace_delete(store):
    keys = np.arange(10, 30, dtype=np.int64)
    vectors = _vectors(20)
    store.add(keys, vectors)
    assert sorted(store.keys().tolist()) == keys.tolist()
    np.testing.assert_allclose(store.get(keys[[3, 0]]), vectors[[3, 0]], atol=1e-6)
    store.add(keys[:1], vectors[5:6])  # replace
    np.testing.assert_allclose(store.get(keys[:1]), vectors[5:6], atol=1e-6)
    assert len(store.keys()) == 20
    store.delete(np.asarray([10, 11, 999], dtype=np.int64))
    assert sorted(store.keys().tolist()) == list(range(12, 30))
    with pytest.raises(KeyError, match="no vector for passage 10"):
        store.get(np.asarray([10], dtype=np.int64))


def test_restricted_search_is_brute_force_over_those_keys(store):
    keys = np.arange(100, dtype=np.int64)
    vectors = _vectors(100, seed=1)
    store.add(keys, vectors)
    query = _vectors(1, seed=2)[0]
    allowed = np.asarray([3, 17, 40, 41, 99], dtype=np.int64)
    found, scores = store.search(query, allowed, 3)
    expected = allowed[np.argsort(-(vectors[allowed] @ query))][:3]
    assert found.tolist() == expected.tolist()
    np.testing.assert_allclose(scores, np.sort(vectors[allowed] @ query)[::-1][:3], atol=1e-5)
    found, _ = store.search(query, allowed, 50)  # k beyond the keys
    assert sorted(found.tolist()) == allowed.tolist()
    everything, _ = store.search(query, None, 5)
    assert everything.tolist() == np.argsort(-(vectors @ query))[:5].tolist()


def test_the_two_stores_agree(tmp_path):
    keys = np.arange(50, dtype=np.int64)
    vectors = _vectors(50, seed=3)
    query = _vectors(1, seed=4)[0]
    results = []
    for spec in ("faiss", "milvus:lite.db"):
        store = open_store(spec, tmp_path / spec.replace(":", "_"), DIM)
        store.add(keys, vectors)
        results.append(store.search(query, keys[::2], 10)[0].tolist())
        store.close()
    assert results[0] == results[1]


def test_persistence_and_generation(spec, tmp_path):
    store = open_store(spec, tmp_path / "model", DIM)
    assert store.synced_generation() is None
    store.add(np.arange(5, dtype=np.int64), _vectors(5))
    store.flush(7)
    assert store.synced_generation() == 7
    store.close()
    again = open_store(spec, tmp_path / "model", DIM)
    assert again.synced_generation() == 7
    assert sorted(again.keys().tolist()) == [0, 1, 2, 3, 4]
    again.delete(np.asarray([0], dtype=np.int64))
    assert again.synced_generation() is None  # changed since the last flush
    again.close()


def test_bad_spec_names_the_forms(tmp_path):
    with pytest.raises(UsageError, match=r"unknown vector store 'redis://x'; use faiss, milvus:PATH.db"):
        open_store("redis://x", tmp_path, DIM)


def test_faiss_corrupt_file_and_wrong_dimension_are_refused(tmp_path):
    store = open_store("faiss", tmp_path / "m", DIM)
    store.add(np.arange(3, dtype=np.int64), _vectors(3))
    store.flush(1)
    with pytest.raises(StoreError, match="holds 16-dimensional vectors, the model gives 8; delete that folder"):
        open_store("faiss", tmp_path / "m", 8)
    (tmp_path / "m" / "vectors.faiss").write_bytes(b"garbage" * 10)
    with pytest.raises(StoreError, match="cannot be read; delete that folder and run `storybot index build`"):
        open_store("faiss", tmp_path / "m", DIM)


def test_faiss_sidecar_mismatch_means_unknown_generation(tmp_path):
    store = open_store("faiss", tmp_path / "m", DIM)
    store.add(np.arange(3, dtype=np.int64), _vectors(3))
    store.flush(4)
    sidecar = tmp_path / "m" / "vectors.json"
    meta = json.loads(sidecar.read_text())
    meta["count"] = 99
    sidecar.write_text(json.dumps(meta))
    assert open_store("faiss", tmp_path / "m", DIM).synced_generation() is None


_FLUSHER = """
import sys
import numpy as np
from index.stores.faiss_store import FaissStore
store = FaissStore(sys.argv[1], 16)
rng = np.random.default_rng(0)
for generation in range(1, 100000):
    store.add(np.arange(generation * 100, generation * 100 + 100, dtype=np.int64), rng.standard_normal((100, 16)).astype(np.float32))
    store.flush(generation)
"""


@pytest.mark.parametrize("delay", [0.6, 0.9, 1.3])
def test_faiss_killed_mid_flush_leaves_a_whole_state(tmp_path, delay):
    folder = tmp_path / "m"
    worker = subprocess.Popen([sys.executable, "-c", _FLUSHER, str(folder)], cwd=PROJECT_ROOT)
    time.sleep(delay)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    store = open_store("faiss", folder, DIM)
    keys = np.sort(store.keys())
    generations = len(keys) // 100
    assert len(keys) % 100 == 0 and keys.tolist() == list(range(100, 100 + 100 * generations))
    assert store.synced_generation() in (None, generations)
    assert not list(folder.glob(".*.tmp"))
