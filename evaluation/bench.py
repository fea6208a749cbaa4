"""`storybot bench`: speed and memory on this machine, measured in one run and printed as figures.

Cold start is timed as whole fresh processes; warm latency through `Engine.ask` on real stories; encode
and build rates on the same passages (BASIL when the data set folder has it, else the seeds); search latency in
libraries grown with synthetic vectors to 10k, 100k and 1M passages, for one outlet of one story, in FAISS
or any store STORYBOT_VECTOR_STORE names (Milvus Lite, a Milvus server).
"""

from __future__ import annotations

import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from evaluation.harness import EvalQuestion, load_questions

SEED_QUESTION = "What did Paris deny?"


class ScalePoint(BaseModel):
    passages: int
    p50_ms: float
    p95_ms: float
    store_mb: float | None  # None for a server: its disk is not ours to measure
    bytes_per_passage: float | None  # on disk: the float32 vector (1,536 bytes at 384 dimensions) plus its id
    insert_s: float | None = None  # wall seconds to add the synthetic vectors and flush
    store: str = "faiss"


class BenchReport(BaseModel):
    cold_start_s: float
    cold_start_runs: list[float]
    warm_p50_ms: float
    warm_p95_ms: float
    warm_five_outlet_p50_ms: float | None = None
    warm_five_outlet_p95_ms: float | None = None
    naive_warm_p50_ms: float | None = None
    naive_warm_p95_ms: float | None = None
    raw_encode_per_s: float
    build_per_s: float
    build_passages: int
    peak_rss_mb: float  # the answering path's peak (cold-start processes included), before the scale runs
    scale: list[ScalePoint]
    embedder: str


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else 0.0


def cold_start(home: Path, model_cache: Path | None, runs: int = 5, question: str = SEED_QUESTION) -> list[float]:
    """Wall seconds of `storybot ask QUESTION` in fresh processes, the library and model export already built."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYBOT_")}
    env.update(STORYBOT_HOME=str(home), HF_HUB_OFFLINE="1")
    if model_cache is not None:
        env["STORYBOT_MODEL_CACHE"] = str(model_cache)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "bot.cli", "ask", question], env=env, capture_output=True,
                              text=True, timeout=300)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(f"storybot ask failed during the benchmark: {done.stderr.strip()}")
    return times


def warm_latencies(ask: Callable[[EvalQuestion], object], questions: list[EvalQuestion], rounds: int = 3) -> list[float]:
    """Milliseconds per answer, every question asked `rounds` times after one warm-up pass."""
    for q in questions:
        ask(q)
    times = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            ask(q)
            times.append((time.perf_counter() - started) * 1000)
    return times


def encode_and_build(embedder, articles: Path, limit: int | None) -> tuple[float, float, int]:
    """(raw encode passages/s, library build passages/s, passages) over the same `limit` articles, in one run."""
    from index.library import Library

    with tempfile.TemporaryDirectory() as tmp:
        library = Library(Path(tmp) / "lib", embedder)
        library.add_drafts(_limited(articles, library, limit), story=None, embed=False)
        texts = list(library.catalog.passage_texts([pid for pid, _ in library.catalog.passage_keys()]).values())
        library.close()
        started = time.perf_counter()
        embedder.embed(sorted(texts, key=len, reverse=True))
        raw = len(texts) / (time.perf_counter() - started)
        fresh = Library(Path(tmp) / "lib2", embedder)
        started = time.perf_counter()
        fresh.add_drafts(_limited(articles, fresh, limit))
        built = fresh.catalog.passage_count() / (time.perf_counter() - started)
        fresh.close()
    return raw, built, len(texts)


def _limited(articles: Path, library, limit: int | None):
    """Drafts of the articles folder: the first `limit` readable articles (all when None)."""
    from index.ingest import Draft, read_inputs

    taken = 0
    for draft in read_inputs([str(articles)], library.limits):
        if limit is not None and taken >= limit:
            return
        taken += isinstance(draft, Draft)
        yield draft


def scale_search(sizes: list[int], dimension: int = 384, outlet: int = 40, story: int = 200,
                 repeats: int = 200, seed: int = 7, store: str = "faiss") -> list[ScalePoint]:
    """Search latency for one outlet of one story in stores grown with synthetic vectors.

    `store` is a spec as STORYBOT_VECTOR_STORE takes it; each size gets a fresh store (in a temporary
    folder, or a collection of its own on a server), deleted afterwards.
    """
    from index.stores import open_store
    from index.stores.milvus_store import MilvusStore

    rng = np.random.default_rng(seed)
    points = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            opened = open_store(store, Path(tmp), dimension, name=f"bench_{size}_{secrets.token_hex(4)}")
            try:
                started = time.perf_counter()
                for at in range(0, size, 100_000):
                    n = min(100_000, size - at)
                    block = rng.standard_normal((n, dimension), dtype=np.float32)
                    block /= np.linalg.norm(block, axis=1, keepdims=True)
                    opened.add(np.arange(at, at + n, dtype=np.int64), block)
                opened.flush(1)
                insert_s = time.perf_counter() - started
                on_disk = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 2**20
                first = int(rng.integers(0, size - story))
                outlet_keys = np.arange(first, first + outlet, dtype=np.int64)
                times = []
                for _ in range(repeats):
                    query = rng.standard_normal(dimension).astype(np.float32)
                    query /= np.linalg.norm(query)
                    started = time.perf_counter()
                    opened.search(query, outlet_keys, outlet)
                    times.append((time.perf_counter() - started) * 1000)
            finally:
                if isinstance(opened, MilvusStore):
                    opened.drop()
                opened.close()
        store_mb = round(on_disk, 1) if on_disk else None  # nothing in the folder: the vectors are on a server
        points.append(ScalePoint(passages=size, p50_ms=round(_percentile(times, 50), 4),
                                 p95_ms=round(_percentile(times, 95), 4), store_mb=store_mb,
                                 bytes_per_passage=round(on_disk * 2**20 / size, 1) if store_mb else None,
                                 insert_s=round(insert_s, 2), store=store))
    return points


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its finished children, in MiB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024
