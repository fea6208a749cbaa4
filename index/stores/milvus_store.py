"""Milvus behind the store protocol: Milvus Lite for a local `.db` file, any Milvus server by URI.

Collection `storybot_passages` (or one per model): INT64 primary key `id` = catalog passage id, FLOAT_VECTOR
`vector`, inner-product metric. The catalog generation the store mirrors is kept in a second, tiny
collection (`<name>_meta`, one row), so it works the same for Lite and a server.
"""

from __future__ import annotations

import numpy as np

from index.errors import StoreError

BATCH = 1000  # keys per insert, delete, get or filtered search: keeps expressions and requests small


class MilvusStore:
    """Vectors by passage key in a Milvus collection."""

    def __init__(self, uri: str, dimension: int, collection: str = "storybot_passages"):
        try:
            from pymilvus import DataType, MilvusClient
        except ImportError:
            raise StoreError("the Milvus store needs pymilvus (pip install pymilvus milvus-lite)") from None
        self.dimension = int(dimension)
        self.collection = collection
        self.meta = f"{collection}_meta"
        try:
            self.client = MilvusClient(uri=uri, timeout=10)
        except Exception as exc:
            raise StoreError(f"cannot reach Milvus at {uri}: {type(exc).__name__}: {str(exc)[:200]}") from None
        if not self.client.has_collection(collection):
            schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dimension)
            index = self.client.prepare_index_params()
            index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            self.client.create_collection(collection, schema=schema, index_params=index)
        else:
            described = self.client.describe_collection(collection)
            dims = [f.get("params", {}).get("dim") for f in described.get("fields", []) if f.get("name") == "vector"]
            if dims and int(dims[0]) != self.dimension:
                raise StoreError(f"the Milvus collection {collection} holds {dims[0]}-dimensional vectors, the model "
                                 f"gives {self.dimension}; drop it and run `storybot index build`")
        if not self.client.has_collection(self.meta):
            schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("id", DataType.INT64, is_primary=True)
            schema.add_field("generation", DataType.INT64)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)
            index = self.client.prepare_index_params()
            index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            self.client.create_collection(self.meta, schema=schema, index_params=index)
        self.client.load_collection(collection)
        self.client.load_collection(self.meta)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        vectors = np.asarray(vectors, dtype=np.float32)
        for at in range(0, len(keys), BATCH):
            rows = [{"id": int(k), "vector": v.tolist()} for k, v in zip(keys[at : at + BATCH], vectors[at : at + BATCH])]
            self.client.upsert(self.collection, rows)
        self._forget_generation()

    def delete(self, keys: np.ndarray) -> None:
        keys = [int(k) for k in np.asarray(keys, dtype=np.int64)]
        for at in range(0, len(keys), BATCH):
            self.client.delete(self.collection, ids=keys[at : at + BATCH])
        if keys:
            self._forget_generation()

    def keys(self) -> np.ndarray:
        found: list[int] = []
        iterator = self.client.query_iterator(self.collection, batch_size=BATCH, filter="id >= 0", output_fields=["id"])
        while True:
            rows = iterator.next()
            if not rows:
                iterator.close()
                break
            found += [int(r["id"]) for r in rows]
        return np.asarray(found, dtype=np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        keys = [int(k) for k in np.asarray(keys, dtype=np.int64)]
        by_id: dict[int, list[float]] = {}
        for at in range(0, len(keys), BATCH):
            for row in self.client.get(self.collection, ids=keys[at : at + BATCH], output_fields=["vector"]):
                by_id[int(row["id"])] = row["vector"]
        missing = [k for k in keys if k not in by_id]
        if missing:
            raise KeyError(f"no vector for passage {missing[0]}")
        return np.asarray([by_id[k] for k in keys], dtype=np.float32).reshape(len(keys), self.dimension)

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
                                        search_params={"metric_type": "IP"}, output_fields=[])
            hits += [(int(h["id"]), float(h["distance"])) for h in result[0]]
        hits.sort(key=lambda h: (-h[1], h[0]))
        hits = hits[:k]
        return np.asarray([h[0] for h in hits], dtype=np.int64), np.asarray([h[1] for h in hits], dtype=np.float32)

    def _forget_generation(self) -> None:
        self.client.delete(self.meta, ids=[0])

    def synced_generation(self) -> int | None:
        rows = self.client.get(self.meta, ids=[0], output_fields=["generation"])
        return int(rows[0]["generation"]) if rows else None

    def flush(self, generation: int) -> None:
        self.client.upsert(self.meta, [{"id": 0, "generation": int(generation), "vector": [1.0, 0.0]}])
        try:
            self.client.flush(self.collection)
            self.client.flush(self.meta)
        except Exception:  # Lite may not implement flush; its writes are already durable
            pass

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass
