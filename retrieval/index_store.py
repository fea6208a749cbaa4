"""Build and load the on-disk index: FAISS vectors, passage metadata and a manifest.

One folder per corpus under the index directory:
  manifest.json   format and segmenter version, model, dimension, passage count, source fingerprint,
                  and the SHA-256 of the two data files
  vectors.faiss   an inner-product flat index (cosine, as vectors are L2-normalised)
  passages.jsonl  one passage per line, in vector order (story by story, source by source)

A build writes a fresh temporary folder and renames it into place, so an interrupted build leaves
the previous index (or none) — never a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from retrieval.corpus import Corpus
from index.embedding import Embedder
from index.errors import IndexError_
from retrieval.models import Passage
from index.sentences import SEGMENTER_VERSION, split_passages

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
PASSAGES = "passages.jsonl"
REBUILD_HINT = "run `storybot index build` to rebuild it"


def index_path(index_dir: Path, corpus: Corpus) -> Path:
    """The folder for this corpus's index: its folder name plus a hash of its full path."""
    resolved = str(Path(corpus.root).resolve())
    return Path(index_dir) / f"{Path(resolved).name}-{hashlib.sha256(resolved.encode()).hexdigest()[:8]}"


@dataclass
class PassageIndex:
    """Loaded vectors and passages, with each source's contiguous range of vector ids."""

    index: faiss.Index
    passages: list[Passage]
    ranges: dict[str, tuple[int, int]]
    manifest: dict

    def source_scores(self, query: np.ndarray, source_id: str) -> tuple[np.ndarray, np.ndarray]:
        """Score every passage of one source against a normalised query: (passage ids, cosines).

        Searching each source on its own range means an outlet's best evidence is found even
        when another outlet's sentences dominate the overall ranking.
        """
        lo, hi = self.ranges[source_id]
        params = faiss.SearchParameters(sel=faiss.IDSelectorRange(lo, hi))
        scores, ids = self.index.search(query.reshape(1, -1).astype(np.float32), hi - lo, params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_passages(corpus: Corpus) -> list[Passage]:
    """Every passage of the corpus, in index order."""
    return [p for source in corpus.sources() for p in split_passages(source)]


def build_index(corpus: Corpus, embedder: Embedder, target: Path, progress: bool = False) -> dict:
    """Embed every passage of the corpus and atomically replace the index at `target`."""
    passages = corpus_passages(corpus)
    vectors = _embed_in_batches(embedder, [p.text for p in passages], progress)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in [*target.parent.glob(f".{target.name}.tmp-*"), *target.parent.glob(f".{target.name}.old-*")]:
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted build or swap
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        faiss.write_index(index, str(staging / VECTORS))
        with open(staging / PASSAGES, "w", encoding="utf-8") as handle:
            for passage in passages:
                handle.write(passage.model_dump_json() + "\n")
        manifest = {
            "format_version": FORMAT_VERSION,
            "segmenter_version": SEGMENTER_VERSION,
            "model": embedder.name,
            "dimension": int(vectors.shape[1]),
            "passage_count": len(passages),
            "source_count": len(corpus.sources()),
            "sources_fingerprint": corpus.fingerprint(),
            "corpus": str(Path(corpus.root).resolve()),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": {name: _sha256(staging / name) for name in (VECTORS, PASSAGES)},
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _embed_in_batches(embedder: Embedder, texts: list[str], progress: bool) -> np.ndarray:
    from tqdm import tqdm

    batch = max(1, getattr(embedder, "batch_size", 64))
    parts = []
    with tqdm(total=len(texts), desc="embedding passages", unit="passage", disable=not progress) as bar:
        for at in range(0, len(texts), batch):
            parts.append(embedder.embed(texts[at : at + batch]))
            bar.update(len(texts[at : at + batch]))
    if not parts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    return np.vstack(parts).astype(np.float32)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Move a complete staging folder to `target`; the old index is removed only after."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(target: Path) -> dict | None:
    """The manifest at `target`, None when there is no index; IndexError_ when it is unreadable."""
    path = Path(target) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise IndexError_(f"the index manifest {path} is unreadable or not JSON; {REBUILD_HINT}") from None
    required = {"format_version", "segmenter_version", "model", "dimension", "passage_count",
                "sources_fingerprint", "files"}
    if not isinstance(manifest, dict) or not required <= manifest.keys():
        raise IndexError_(f"the index manifest {path} lacks required fields; {REBUILD_HINT}")
    return manifest


def staleness(manifest: dict, corpus: Corpus, embedder: Embedder) -> str | None:
    """Why an index no longer matches its corpus or model, or None when it is current."""
    if manifest["format_version"] != FORMAT_VERSION:
        return f"index format {manifest['format_version']} is not the current {FORMAT_VERSION}"
    if manifest["segmenter_version"] != SEGMENTER_VERSION:
        return "the sentence splitter has changed"
    if manifest["model"] != embedder.name:
        return f"it was built with model {manifest['model']!r}, not {embedder.name!r}"
    if manifest["sources_fingerprint"] != corpus.fingerprint():
        return "the source articles have changed"
    return None


def load_index(target: Path, manifest: dict | None = None) -> PassageIndex:
    """Load and verify an index folder; any inconsistency raises IndexError_ naming the fix."""
    target = Path(target)
    manifest = manifest or read_manifest(target)
    if manifest is None:
        raise IndexError_(f"no index at {target}; {REBUILD_HINT}")
    for name in (VECTORS, PASSAGES):
        path = target / name
        if not path.exists():
            raise IndexError_(f"the index at {target} is missing {name}; {REBUILD_HINT}")
        if _sha256(path) != manifest["files"].get(name):
            raise IndexError_(f"the index at {target} is corrupt: {name} does not match its manifest; {REBUILD_HINT}")
    try:
        index = faiss.read_index(str(target / VECTORS))
        with open(target / PASSAGES, encoding="utf-8") as handle:
            passages = [Passage.model_validate_json(line) for line in handle]
    except Exception:
        raise IndexError_(f"the index at {target} cannot be read; {REBUILD_HINT}") from None
    if index.ntotal != manifest["passage_count"] or len(passages) != manifest["passage_count"]:
        raise IndexError_(
            f"the index at {target} is inconsistent: the manifest says {manifest['passage_count']} passages, "
            f"the files hold {index.ntotal} vectors and {len(passages)} passages; {REBUILD_HINT}"
        )
    if index.d != manifest["dimension"]:
        raise IndexError_(
            f"the index at {target} is inconsistent: the manifest says dimension {manifest['dimension']}, "
            f"the vectors have {index.d}; {REBUILD_HINT}"
        )
    ranges: dict[str, tuple[int, int]] = {}
    for i, passage in enumerate(passages):
        lo, _ = ranges.get(passage.source_id, (i, i))
        ranges[passage.source_id] = (lo, i + 1)
    return PassageIndex(index=index, passages=passages, ranges=ranges, manifest=manifest)
