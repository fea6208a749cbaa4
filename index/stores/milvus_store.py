"""Milvus behind the store protocol: Milvus Lite for a local `.db` file, any Milvus server by URI.

One collection per library and model: INT64 primary key `id` = catalog passage id, FLOAT_VECTOR `vector`,
a FLAT index over inner product (exact search, as FAISS). The collection's properties hold its manifest
(format and model, JSON), checked on open as FAISS checks its sidecar. The catalog generation the store
mirrors is kept in a second, one-row collection (`<name>_meta`), so it works the same for Lite and a server.

Crash safety: both Lite (its WAL) and a server (its log broker) keep a write once it is acknowledged, so
the order of writes is what matters. The generation row is deleted before any vector changes and written
again only after them, so a kill -9 at any moment leaves either the generation of a whole state or none
("unknown": the library diffs keys against the catalog). Reads are Strong-consistent: a server's default
(Bounded) can miss the last seconds of writes, and the library's diff must see them.
"""

from __future__ import annotations

import fcntl
import functools
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from index.errors import DamagedStoreError, StoreError
from index.stores.base import check_manifest, checked_batch, manifest

BATCH = 1000  # keys per insert, delete, get or filtered search: keeps expressions and requests small
STRONG = {"consistency_level": "Strong"}
CLIENT_LOGGERS = ("pymilvus", "pymilvus.milvus_client", "pymilvus.bulk_writer")
MANIFEST = "storybot.manifest"  # the collection property holding the manifest (JSON)
FIX = "drop it and run `storybot index build` to refill it from the catalog"
LITE_WAIT_SECONDS = 15  # how long to wait for another process to let go of a Milvus Lite file
_lite_open: dict[str, int] = {}  # Lite files this process serves → stores open on each


def _route_client_logs() -> None:
    """Send pymilvus's records through the application's logging instead of its own stderr handlers.

    pymilvus configures handlers of its own on import (at INFO for `pymilvus.milvus_client`), which
    bypass STORYBOT_LOG_LEVEL and the CLI's one-line format. Milvus Lite logs a traceback for every
    failure it also returns to pymilvus, which this store reports as a StoreError: its logger is kept at
    CRITICAL unless the application set a level for it.
    """
    for name in CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    lite = logging.getLogger("milvus_lite")
    if lite.level == logging.NOTSET:
        lite.setLevel(logging.CRITICAL)


def _lite_held_elsewhere(path: str) -> bool:
    """Whether another process holds this Milvus Lite file (Lite keeps an exclusive flock on `PATH/LOCK`)."""
    lock = Path(path) / "LOCK"
    if path in _lite_open or not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _wait_for_lite_file(path: str) -> None:
    """Wait for another process to let go of a Lite file: Milvus Lite opens a file in one process at a time."""
    deadline = time.monotonic() + LITE_WAIT_SECONDS
    while _lite_held_elsewhere(path):
        if time.monotonic() > deadline:
            raise StoreError(f"the Milvus Lite file {path} is held by another process (Milvus Lite opens a file in "
                             f"one process at a time, e.g. a running `storybot discord`); stop it, or keep the "
                             f"vectors in a Milvus server (STORYBOT_VECTOR_STORE=http://host:19530)")
        time.sleep(0.1)


def _manifest_of(described: dict) -> dict:
    """The manifest a collection's properties hold ({} for one made before manifests)."""
    try:
        meta = json.loads((described.get("properties") or {}).get(MANIFEST) or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _reason(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "message", None) or exc).split())[:300]


def _as_store_errors(method):
    """Report a failed Milvus call as a StoreError naming the store, not a pymilvus traceback."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        from pymilvus.exceptions import MilvusException

        try:
            return method(self, *args, **kwargs)
        except MilvusException as exc:
            raise StoreError(f"the Milvus store at {self.uri} failed: {_reason(exc)}") from None

    return wrapper


class MilvusStore:
    """Vectors by passage key in a Milvus collection."""

    def __init__(self, uri: str, dimension: int, collection: str = "storybot_passages", model: str | None = None):
        try:
            from pymilvus import DataType, MilvusClient
        except ImportError:
            raise StoreError("the Milvus store needs pymilvus (pip install pymilvus milvus-lite)") from None
        _route_client_logs()
        self.dimension = int(dimension)
        self.collection = collection
        self.model = model
        self.meta = f"{collection}_meta"
        self.server = uri.startswith(("http://", "https://"))
        self.uri = uri if self.server else os.path.abspath(uri)
        if not self.server:
            _wait_for_lite_file(self.uri)
        self.client = None
        self._counted = False
        try:
            self.client = MilvusClient(uri=self.uri, timeout=10)
            self._counted = not self.server
            if self._counted:
                _lite_open[self.uri] = _lite_open.get(self.uri, 0) + 1
            if not self.client.has_collection(collection):
                self._create(collection, self.dimension, DataType)
            else:
                described = self.client.describe_collection(collection)
                dims = [f.get("params", {}).get("dim") for f in described.get("fields", []) if f.get("name") == "vector"]
                if dims and int(dims[0]) != self.dimension:
                    raise StoreError(f"the Milvus collection {collection} holds {dims[0]}-dimensional vectors, the "
                                     f"model gives {self.dimension}; {FIX}")
                check_manifest(_manifest_of(described), f"{self.uri} (collection {collection})", model, FIX)
            if not self.client.has_collection(self.meta):
                self._create(self.meta, 2, DataType, generation=True)
            self.client.load_collection(collection)
            self.client.load_collection(self.meta)
        except Exception as exc:
            # A refused or failed open lets go of the file at once: the process may go on (or retry) with
            # another store, and a Lite file stays held until its server is released.
            self.close()
            if isinstance(exc, StoreError):
                raise
            damaged = not self.server and os.path.exists(self.uri)
            raise (DamagedStoreError if damaged else StoreError)(
                f"cannot open the Milvus store at {uri}: {_reason(exc)}") from None

    def _create(self, name: str, dimension: int, DataType, generation: bool = False) -> None:
        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        if generation:
            schema.add_field("generation", DataType.INT64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        properties = {} if generation else {MANIFEST: json.dumps(manifest(self.model))}
        self.client.create_collection(name, schema=schema, consistency_level="Strong", properties=properties)
        index = self.client.prepare_index_params()
        index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        # sync=False: waiting for the index calls AllocTimestamp, which Milvus Lite does not implement
        # (its gRPC server logs a traceback for it). A FLAT index needs no build, and load waits for it.
        self.client.create_index(name, index, sync=False)

    @_as_store_errors
    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keys, vectors = checked_batch(keys, vectors, self.dimension)
        if not len(keys):
            return
        self._forget_generation()
        for at in range(0, len(keys), BATCH):
            rows = [{"id": int(k), "vector": v.tolist()} for k, v in zip(keys[at : at + BATCH], vectors[at : at + BATCH])]
            self.client.upsert(self.collection, rows)

    @_as_store_errors
    def delete(self, keys: np.ndarray) -> None:
        keys = [int(k) for k in np.asarray(keys, dtype=np.int64)]
        if not keys:
            return
        self._forget_generation()
        for at in range(0, len(keys), BATCH):
            self.client.delete(self.collection, ids=keys[at : at + BATCH])

    @_as_store_errors
    def keys(self) -> np.ndarray:
        # One query without a limit (Milvus caps only limit + offset). A query iterator would page, but it
        # asks for a session timestamp that Lite and older servers do not return, and warns on every call.
        rows = self.client.query(self.collection, filter="id >= 0", output_fields=["id"], **STRONG)
        return np.asarray([int(r["id"]) for r in rows], dtype=np.int64)

    @_as_store_errors
    def get(self, keys: np.ndarray) -> np.ndarray:
        keys = [int(k) for k in np.asarray(keys, dtype=np.int64)]
        by_id: dict[int, list[float]] = {}
        for at in range(0, len(keys), BATCH):
            for row in self.client.get(self.collection, ids=keys[at : at + BATCH], output_fields=["vector"], **STRONG):
                by_id[int(row["id"])] = row["vector"]
        missing = [k for k in keys if k not in by_id]
        if missing:
            raise KeyError(f"no vector for passage {missing[0]}")
        return np.asarray([by_id[k] for k in keys], dtype=np.float32).reshape(len(keys), self.dimension)

    @_as_store_errors
    def search(self, query: np.ndarray, keys: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        query = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        if k <= 0 or (keys is not None and not len(keys)):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        hits: list[tuple[int, float]] = []
        chunks = [None] if keys is None else [keys[at : at + BATCH] for at in range(0, len(keys), BATCH)]
        for chunk in chunks:
            expression = "" if chunk is None else f"id in [{','.join(str(int(x)) for x in chunk)}]"
            limit = min(k, 16384) if chunk is None else min(k, len(chunk), 16384)
            result = self.client.search(self.collection, data=[query], filter=expression, limit=limit,
                                        search_params={"metric_type": "IP"}, output_fields=[], **STRONG)
            hits += [(int(h["id"]), float(h["distance"])) for h in result[0]]
        hits.sort(key=lambda h: (-h[1], h[0]))
        hits = hits[:k]
        return np.asarray([h[0] for h in hits], dtype=np.int64), np.asarray([h[1] for h in hits], dtype=np.float32)

    def _forget_generation(self) -> None:
        self.client.delete(self.meta, ids=[0])

    @_as_store_errors
    def synced_generation(self) -> int | None:
        rows = self.client.get(self.meta, ids=[0], output_fields=["generation"], **STRONG)
        return int(rows[0]["generation"]) if rows else None

    @_as_store_errors
    def flush(self, generation: int) -> None:
        if not self.server:
            # Lite: turn its WAL into segments, so the next open replays little. A server needs no flush
            # (its writes are durable once acknowledged) and a manual one costs about 3 s.
            self.client.flush(self.collection)
        self.client.upsert(self.meta, [{"id": 0, "generation": int(generation), "vector": [1.0, 0.0]}])
        if not self.server:
            self.client.flush(self.meta)

    @_as_store_errors
    def drop(self) -> None:
        """Delete this store's collections (the benchmark's synthetic stores)."""
        self.client.drop_collection(self.collection)
        self.client.drop_collection(self.meta)

    def close(self) -> None:
        try:
            if self.client is not None:
                self.client.close()
            if self._counted:
                self._counted = False
                _lite_open[self.uri] -= 1
                if not _lite_open[self.uri]:  # pymilvus keeps a Lite file's server (and its lock) until exit
                    del _lite_open[self.uri]
                    from milvus_lite.server_manager import server_manager_instance

                    server_manager_instance.release_server(self.uri)
        except Exception:  # closing must not mask the error that ended the command
            pass
