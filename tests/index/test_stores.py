"""One suite over every vector store (FAISS, Milvus Lite, a Milvus server), with random vectors: no model needed.

The server is the `milvus` package's standalone Milvus, started once per session (tests/index/conftest.py)
and shared: each test names its own collections after its temporary folder.
"""

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
from tests.index.conftest import ON_THE_SERVER

DIM = 16


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


SERVER = pytest.param("server", marks=ON_THE_SERVER, id="milvus-server")
MILVUS = [pytest.param("milvus:lite.db", id="milvus-lite"), SERVER]


def _spec(request) -> str:
    return request.getfixturevalue("milvus_server") if request.param == "server" else request.param


@pytest.fixture(params=[pytest.param("faiss", id="faiss"), *MILVUS])
def spec(request) -> str:
    return _spec(request)


@pytest.fixture(params=MILVUS)
def milvus_spec(request) -> str:
    return _spec(request)


def _open(spec: str, folder, dimension: int = DIM):
    """The store `spec` for `folder`, its collections named after the test's folder (unique per session)."""
    return open_store(spec, folder, dimension, name=f"{folder.parent.name}_{folder.name}")


@pytest.fixture
def store(spec, tmp_path):
    opened = _open(spec, tmp_path / "model")
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


def test_milvus_gives_the_keys_and_scores_faiss_gives(milvus_spec, tmp_path):
    keys = np.arange(1000, 1500, dtype=np.int64)
    vectors = _vectors(500, seed=3)
    queries = _vectors(5, seed=4)
    results = []
    for spec, folder in (("faiss", tmp_path / "faiss"), (milvus_spec, tmp_path / "milvus")):
        store = _open(spec, folder)
        store.add(keys, vectors)
        results.append([(store.search(q, keys[::3], 10), store.search(q, None, 10)) for q in queries])
        store.close()
    for (faiss_some, faiss_all), (milvus_some, milvus_all) in zip(*results):
        for (faiss_keys, faiss_scores), (milvus_keys, milvus_scores) in ((faiss_some, milvus_some), (faiss_all, milvus_all)):
            assert milvus_keys.tolist() == faiss_keys.tolist()
            np.testing.assert_allclose(milvus_scores, faiss_scores, atol=1e-5)


def test_persistence_and_generation(spec, tmp_path):
    store = _open(spec, tmp_path / "model")
    assert store.synced_generation() is None
    store.add(np.arange(5, dtype=np.int64), _vectors(5))
    store.flush(7)
    assert store.synced_generation() == 7
    store.close()
    again = _open(spec, tmp_path / "model")
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


def test_a_faiss_store_records_its_model_and_format_and_refuses_another(tmp_path):
    store = open_store("faiss", tmp_path / "m", DIM, model="all-MiniLM-L6-v2")
    store.add(np.arange(3, dtype=np.int64), _vectors(3))
    store.flush(2)
    meta = json.loads((tmp_path / "m" / "vectors.json").read_text())
    assert meta["format"] == 1 and meta["model"] == "all-MiniLM-L6-v2"
    assert open_store("faiss", tmp_path / "m", DIM, model="all-MiniLM-L6-v2").synced_generation() == 2
    with pytest.raises(StoreError, match="holds vectors of the model 'all-MiniLM-L6-v2', not 'mpnet'; delete that"):
        open_store("faiss", tmp_path / "m", DIM, model="mpnet")
    (tmp_path / "m" / "vectors.json").write_text(json.dumps({**meta, "format": 7}))
    with pytest.raises(StoreError, match="written by a newer storybot \\(format 7\\); upgrade storybot, or delete"):
        open_store("faiss", tmp_path / "m", DIM, model="all-MiniLM-L6-v2")
    (tmp_path / "m" / "vectors.json").write_text("[1, 2]")
    assert open_store("faiss", tmp_path / "m", DIM, model="all-MiniLM-L6-v2").synced_generation() is None


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


def _open_for(spec: str, folder, model: str, dimension: int = DIM):
    return open_store(spec, folder, dimension, name=f"{folder.parent.name}_{folder.name}", model=model)


def test_a_milvus_collection_records_its_model_and_refuses_another_model_dimension_or_newer_format(
        milvus_spec, tmp_path, monkeypatch):
    import index.stores.milvus_store as milvus_store

    store = _open_for(milvus_spec, tmp_path / "m", "all-MiniLM-L6-v2")
    store.add(np.arange(3, dtype=np.int64), _vectors(3))
    store.flush(1)
    store.close()
    again = _open_for(milvus_spec, tmp_path / "m", "all-MiniLM-L6-v2")
    assert again.synced_generation() == 1 and sorted(again.keys().tolist()) == [0, 1, 2]
    again.close()
    with pytest.raises(StoreError, match=r"holds vectors of the model 'all-MiniLM-L6-v2', not 'mpnet'; drop it and run"):
        _open_for(milvus_spec, tmp_path / "m", "mpnet")
    with pytest.raises(StoreError, match=r"holds 16-dimensional vectors, the model gives 8; drop it and run `storybot"):
        _open_for(milvus_spec, tmp_path / "m", "all-MiniLM-L6-v2", 8)
    monkeypatch.setattr(milvus_store, "manifest", lambda model: {"format": 7, "model": model})
    _open_for(milvus_spec, tmp_path / "newer", "all-MiniLM-L6-v2").close()
    monkeypatch.undo()
    with pytest.raises(StoreError, match=r"written by a newer storybot \(format 7\); upgrade storybot, or drop it"):
        _open_for(milvus_spec, tmp_path / "newer", "all-MiniLM-L6-v2")


def test_an_unreachable_milvus_server_is_one_line(tmp_path):
    with pytest.raises(StoreError, match=r"^cannot open the Milvus store at http://127\.0\.0\.1:1: Fail connecting") as caught:
        open_store("http://127.0.0.1:1", tmp_path / "m", DIM)
    assert "\n" not in str(caught.value) and "<" not in str(caught.value)


_MILVUS_WRITER = """
import sys
import numpy as np
from index.stores import open_store
store = open_store(sys.argv[1], sys.argv[2], 16, name=sys.argv[3])
rng = np.random.default_rng(0)
for generation in range(1, 100000):
    store.add(np.arange(generation * 100, generation * 100 + 100, dtype=np.int64), rng.standard_normal((100, 16)).astype(np.float32))
    if generation % 3 == 0:
        store.delete(np.arange(generation * 100 - 50, generation * 100, dtype=np.int64))
    store.flush(generation)
    if generation == 1:
        print("ready", flush=True)
"""


def _expected_keys(generation: int) -> list[int]:
    keys = set()
    for g in range(1, generation + 1):
        keys |= set(range(g * 100, g * 100 + 100))
        if g % 3 == 0:
            keys -= set(range(g * 100 - 50, g * 100))
    return sorted(keys)


@pytest.mark.parametrize("delay", [0.2, 0.7])
def test_milvus_killed_mid_write_never_claims_a_state_it_does_not_hold(milvus_spec, tmp_path, delay):
    """The generation recorded is None (the library re-diffs) or that of exactly the keys held."""
    folder = tmp_path / "m"
    name = f"{tmp_path.name}_m"
    worker = subprocess.Popen([sys.executable, "-c", _MILVUS_WRITER, milvus_spec, str(folder), name], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert worker.stdout.readline() == "ready\n", worker.stderr.read()
    time.sleep(delay)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    store = open_store(milvus_spec, folder, DIM, name=name)
    generation = store.synced_generation()
    keys = sorted(store.keys().tolist())
    if generation is not None:
        assert keys == _expected_keys(generation)
    store.close()


_HOLDER = """
import sys, time
from index.stores import open_store
store = open_store("milvus:lite.db", sys.argv[1], 16)
print("ready", flush=True)
time.sleep(60)
"""


def test_a_lite_file_held_by_another_process_is_waited_for_then_named(tmp_path, monkeypatch):
    from index.stores import milvus_store

    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / "m")], cwd=PROJECT_ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "ready\n", holder.stderr.read()
        monkeypatch.setattr(milvus_store, "LITE_WAIT_SECONDS", 0.5)
        with pytest.raises(StoreError, match=r"lite\.db is held by another process \(Milvus Lite opens a file in one "
                                             r"process at a time, e\.g\. a running `storybot discord`\); stop it, or"):
            open_store("milvus:lite.db", tmp_path / "m", DIM)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    open_store("milvus:lite.db", tmp_path / "m", DIM).close()  # free again once the holder is gone


@pytest.mark.parametrize("spec_name", ["faiss", pytest.param("milvus:bench.db", id="milvus-lite"), SERVER])
def test_the_scale_benchmark_measures_any_store_and_leaves_nothing(spec_name, request):
    from evaluation.render import render_scale
    from evaluation.bench import scale_search

    spec = request.getfixturevalue("milvus_server") if spec_name == "server" else spec_name
    points = scale_search([500], dimension=DIM, outlet=10, story=50, repeats=5, store=spec)
    assert [(p.passages, p.store) for p in points] == [(500, spec)]
    assert points[0].p50_ms > 0 and points[0].insert_s is not None
    assert (points[0].store_mb is None) == (spec_name == "server")
    rendered = render_scale(points)
    assert rendered.startswith(f"one-outlet search in a library of ({spec}):\n        500 passages   p50 ")
    if spec_name == "server":
        from pymilvus import MilvusClient

        assert not [c for c in MilvusClient(uri=spec).list_collections() if "bench_" in c]
