"""The embedded vector store: a FAISS `IndexIDMap2` over inner product, saved atomically in one folder.

Files: `vectors.faiss` (the index, ids = catalog passage ids) and `vectors.json` (format, the model whose
vectors it holds, generation, count, dimension, sha256 of the index file); a store written in a newer
format or for another model is refused on load with the way to rebuild it. A flush writes a temporary file, fsyncs it and renames it over the
old one, then the sidecar the same way, so a kill -9 leaves the old or the new index; a sidecar that does
not match is "unknown generation", and the library re-diffs against the catalog.

Restricted search reads only the asked keys' vectors (through the id map) and scores them with numpy,
so one outlet's search costs what that outlet holds, not what the library holds.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import faiss
import numpy as np

from index.errors import StoreError
from index.stores.base import check_manifest, checked_batch, manifest
from index.hashing import file_sha256

INDEX_FILE = "vectors.faiss"
SIDECAR = "vectors.json"
FIX = "delete that folder and run `storybot index build` to refill it from the catalog"


def _write_atomically(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FaissStore:
    """Vectors by passage key in a FAISS IndexIDMap2(IndexFlatIP), persisted in `folder`."""

    def __init__(self, folder: Path, dimension: int, model: str | None = None):
        self.folder = Path(folder)
        self.dimension = int(dimension)
        self.model = model
        self._generation: int | None = None
        self._clean_leftovers()
        index_path = self.folder / INDEX_FILE
        if index_path.exists():
            self.index = self._load(index_path)
        else:
            self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))

    def _clean_leftovers(self) -> None:
        """Remove temporary files a killed flush left (only ours: `.vectors.*.tmp`)."""
        if self.folder.is_dir():
            for leftover in self.folder.glob(".vectors.*.tmp"):
                leftover.unlink(missing_ok=True)

    def _load(self, index_path: Path) -> faiss.Index:
        try:
            index = faiss.read_index(str(index_path))
        except Exception:
            raise StoreError(f"the vector store {index_path} cannot be read; {FIX}") from None
        if index.d != self.dimension:
            raise StoreError(f"the vector store {index_path} holds {index.d}-dimensional vectors, the model gives "
                             f"{self.dimension}; {FIX}")
        if not isinstance(index, faiss.IndexIDMap2):
            raise StoreError(f"the vector store {index_path} is not a storybot index; {FIX}")
        sidecar = self.folder / SIDECAR
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if not isinstance(meta, dict):
            meta = {}
        check_manifest(meta, str(index_path), self.model, FIX)
        try:
            if meta["sha256"] == file_sha256(index_path) and meta["count"] == index.ntotal:
                self._generation = int(meta["generation"])
        except (OSError, ValueError, KeyError, TypeError):
            self._generation = None  # unknown: the library diffs keys against the catalog
        return index

    def _ids(self) -> np.ndarray:
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keys, vectors = checked_batch(keys, vectors, self.dimension)
        if not len(keys):
            return
        self.delete(keys)  # a key already present is replaced
        self.index.add_with_ids(vectors, keys)
        self._generation = None

    def delete(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) and self.index.ntotal:
            self.index.remove_ids(faiss.IDSelectorBatch(keys))
            self._generation = None

    def keys(self) -> np.ndarray:
        return self._ids()

    def get(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys, dtype=np.int64)
        out = np.empty((len(keys), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys.tolist()):
            try:
                out[row] = self.index.reconstruct(key)
            except RuntimeError:
                raise KeyError(f"no vector for passage {key}") from None
        return out

    def search(self, query: np.ndarray, keys: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if keys is None:
            if not self.index.ntotal or k <= 0:
                return np.zeros(0, np.int64), np.zeros(0, np.float32)
            scores, ids = self.index.search(query.reshape(1, -1), min(k, self.index.ntotal))
            keep = ids[0] >= 0
            return ids[0][keep].astype(np.int64), scores[0][keep]
        keys = np.asarray(keys, dtype=np.int64)
        if not len(keys) or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = self.get(keys) @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return keys[order], scores[order]

    def synced_generation(self) -> int | None:
        return self._generation

    def flush(self, generation: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        index_path = self.folder / INDEX_FILE
        data = faiss.serialize_index(self.index)
        _write_atomically(index_path, lambda handle: handle.write(data.tobytes()))
        meta = {**manifest(self.model), "generation": int(generation), "count": int(self.index.ntotal),
                "dimension": self.dimension, "sha256": file_sha256(index_path)}
        _write_atomically(self.folder / SIDECAR, lambda handle: handle.write(json.dumps(meta).encode("utf-8")))
        self._generation = int(generation)

    def close(self) -> None:
        pass
