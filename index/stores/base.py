"""The one protocol every vector store keeps: vectors addressed by catalog passage keys.

Keys are the catalog's passage ids (int64, never reused), so a vector always names one passage and a
store can be rebuilt, diffed or swapped without touching the catalog. Vectors are L2-normalised
float32, so inner product equals cosine similarity.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from index.errors import StoreError

FORMAT = 1  # the layout every store records beside its vectors; a newer one is refused, not misread


def manifest(model: str | None) -> dict:
    """What a store records about its vectors: the layout's format and the model that made them."""
    return {"format": FORMAT, "model": model}


def check_manifest(meta: dict, where: str, model: str | None, fix: str) -> None:
    """Refuse a store written by a newer storybot, or holding another model's vectors (a store with no
    manifest, from before manifests, is taken as it is: its dimension is still checked)."""
    if isinstance(meta.get("format"), int) and meta["format"] > FORMAT:
        raise StoreError(f"the vector store {where} was written by a newer storybot (format {meta['format']}); "
                         f"upgrade storybot, or {fix}")
    if model and meta.get("model") not in (None, model):
        raise StoreError(f"the vector store {where} holds vectors of the model {meta['model']!r}, not {model!r}; {fix}")


def checked_batch(keys, vectors, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """Keys as int64 and vectors as contiguous float32, one row per key of the store's dimension, or
    a StoreError saying what does not fit."""
    keys = np.asarray(keys, dtype=np.int64)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(keys) != len(vectors) or (len(vectors) and vectors.shape[1] != dimension):
        raise StoreError(f"cannot add {len(keys)} keys with vectors of shape {vectors.shape} to a "
                         f"{dimension}-dimensional store")
    return keys, vectors


class VectorStore(Protocol):
    """Add, delete, fetch and search vectors by passage key."""

    dimension: int

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store vectors under int64 keys; a key already present is replaced."""

    def delete(self, keys: np.ndarray) -> None:
        """Remove these keys; keys not present are ignored."""

    def keys(self) -> np.ndarray:
        """Every key in the store (int64, any order)."""

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The vectors of these keys, row by row in the order given; KeyError naming a missing key."""

    def search(self, query: np.ndarray, keys: np.ndarray | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best (keys, inner-product scores), best first, among `keys` (None: the whole store).

        A search restricted to keys must cost what those keys cost, not what the whole store holds.
        """

    def synced_generation(self) -> int | None:
        """The catalog generation this store last mirrored, or None when unknown."""

    def flush(self, generation: int) -> None:
        """Make every change so far durable (atomically) and record the catalog generation it mirrors."""

    def close(self) -> None:
        """Release files and connections."""
