"""Vector stores behind one small protocol (`base.VectorStore`); `open_store` picks one by name."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from index.errors import DamagedStoreError, UsageError
from index.stores.base import VectorStore

log = logging.getLogger(__name__)

FORMS = "faiss, milvus:PATH.db (Milvus Lite) or http(s)://host:port (a Milvus server)"


def open_store(spec: str, folder: Path, dimension: int, name: str | None = None, model: str | None = None
               ) -> VectorStore:
    """Open the store named by `spec` for one model's vectors; `folder` is that model's data folder.

    `name` tells this store apart from others kept in the same Milvus file or server (default: the folder's
    name); the library passes its own id with the model's, so two libraries never share a collection.
    `model` names the embedding model: every store records it and refuses to open for another.
    """
    spec = spec.strip()
    folder = Path(folder)
    if spec == "faiss":
        from index.stores.faiss_store import FaissStore

        return FaissStore(folder, dimension, model)
    collection = "storybot_" + re.sub(r"[^A-Za-z0-9_]", "_", name or folder.name)[:200]
    if spec.startswith("milvus:") and spec.endswith(".db") and len(spec) > len("milvus:.db"):
        from index.stores.milvus_store import MilvusStore

        path = Path(spec[len("milvus:") :])
        owned = not path.is_absolute()  # a file in the library's own folder, not one the user named
        if owned:
            path = folder / path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return MilvusStore(str(path), dimension, collection, model)
        except DamagedStoreError as exc:
            if not owned:
                raise
            # The vectors mirror the catalog: keep the damaged file aside and refill a new one from the
            # catalog's embedding cache (the library's sync does that), so nothing is lost.
            aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
            os.replace(path, aside)
            log.warning("%s; it was moved to %s and the vectors are refilled from the catalog", exc, aside)
            return MilvusStore(str(path), dimension, collection, model)
    if re.fullmatch(r"https?://[^\s/]+(:\d+)?/?", spec):
        from index.stores.milvus_store import MilvusStore

        return MilvusStore(spec, dimension, collection, model)
    raise UsageError(f"unknown vector store {spec!r}; use {FORMS}")
