"""The light embedding path: an ONNX export of the model run with onnxruntime + tokenizers, no torch.

The packaged all-MiniLM-L6-v2's export ships with storybot (`SHIPPED`, made by `python -m
index.export_onnx` with fp16 weights); another model is exported by `export_onnx` (which needs torch)
into the model cache on first use. `OnnxEmbedder` embeds with no torch, transformers or
sentence-transformers import: mean pooling over the attention mask and L2 normalisation in numpy,
truncation at the model's max_seq_length, as sentence-transformers does. Its vectors match the PyTorch
model's (cosine ≥ 0.9999, tested), and it keeps the PyTorch embedder's name, so vectors stored by
either serve both.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from index.hashing import file_sha256

MANIFEST = "manifest.json"
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
FORMAT = 1
T = TypeVar("T")
log = logging.getLogger(__name__)
# The packaged all-MiniLM-L6-v2's export, shipped as package data (made by `python -m index.export_onnx`).
SHIPPED = Path(__file__).resolve().parent / "data" / "onnx" / "all-minilm-l6-v2"


class OnnxUnavailable(Exception):
    """The ONNX export is missing, stale or corrupt; the caller falls back to sentence-transformers."""


def source_fingerprint(model_dir: Path) -> str:
    """What identifies the source model: size and mtime of its weights and config files (cheap to check)."""
    parts = []
    for name in sorted(os.listdir(model_dir)):
        if name.endswith((".safetensors", ".bin", ".json", ".txt")):
            stat = (Path(model_dir) / name).stat()
            parts.append(f"{name}:{stat.st_size}:{int(stat.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def export_onnx(name: str, model_dir: Path, target: Path, optimise: bool = True) -> dict:
    """Export the sentence-transformers model in `model_dir` to ONNX in `target` (atomically); without
    `optimise`, the graph is left as traced (standard operators only, for shrinking and shipping)."""
    with warnings.catch_warnings():  # the tracer's notes are for torch developers, not storybot users
        warnings.simplefilter("ignore")
        return _export(name, Path(model_dir), Path(target), optimise)


def _export(name: str, model_dir: Path, target: Path, optimise: bool) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    transformer = model[0]
    bert = transformer.auto_model.eval()
    sample = dict(transformer.tokenizer(["a sample sentence", "another"], padding=True, return_tensors="pt"))
    # BERT-shaped models take token_type_ids; MPNet has none (its graph then leaves that input out).
    typed = "token_type_ids" in inspect.signature(bert.forward).parameters
    sample.setdefault("token_type_ids", torch.zeros_like(sample["input_ids"]))

    manifest = {"format": FORMAT, "model": name, "source_fingerprint": source_fingerprint(Path(model_dir)),
                "max_seq_length": int(model.max_seq_length),
                "do_lower_case": bool(getattr(transformer, "do_lower_case", False)), "pooling": "mean",
                "pad_token": transformer.tokenizer.pad_token, "pad_id": int(transformer.tokenizer.pad_token_id),
                "normalize": True, "dimension": int((getattr(model, "get_embedding_dimension", None)
                                                     or model.get_sentence_embedding_dimension)())}
    return write_export(bert, sample, "last_hidden_state", Path(model_dir) / TOKENIZER_FILE,
                        Path(target), manifest, optimise, typed=typed)


def write_export(model, sample, output: str, tokenizer_file: Path, target: Path, manifest: dict,
                 optimise: bool = True, typed: bool = True) -> dict:
    """Trace a transformers model (input_ids, attention_mask and, when `typed`, token_type_ids → its
    `output` field) to ONNX, optimise it (unless told not to), and write it with the tokenizer and
    `manifest` (plus the model's sha256 and size) to `target` atomically: a reader of `target` sees the
    old export or the new one, never half of one."""
    import torch

    class _Traced(torch.nn.Module):  # plain tensors in, one tensor out: what the ONNX tracer needs
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            extra = {"token_type_ids": token_type_ids} if typed else {}
            return getattr(self.inner(input_ids=input_ids, attention_mask=attention_mask, **extra), output)

    module = _Traced(model)

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        inputs = (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"])
        axes = {0: "batch", 1: "sequence"}
        with torch.no_grad():
            torch.onnx.export(module.eval(), inputs, str(staging / MODEL_FILE), dynamo=False, opset_version=17,
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=[output],
                              dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                            output: {0: "batch"} if output == "logits" else axes})
        if optimise:
            _optimise(staging / MODEL_FILE)
        shutil.copy(tokenizer_file, staging / TOKENIZER_FILE)
        manifest = {**manifest, "model_sha256": file_sha256(staging / MODEL_FILE),
                    "model_size": (staging / MODEL_FILE).stat().st_size}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        if target.exists():
            os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def failed_before(marker: Path) -> str | None:
    """Why an earlier export failed, if one did (then it is not tried on every start; deleting `marker`
    retries)."""
    return marker.read_text(encoding="utf-8").strip() if marker.is_file() else None


def export_once(what: str, marker: Path, export: Callable[[], object], open_export: Callable[[], T],
                fallback: str = "torch") -> T | None:
    """Export a model to ONNX and open the export; None when that fails, and why is written to `marker`
    so later starts do not try again. The caller falls back to `fallback` (named in the message)."""
    from index.embedding import _say, waiting

    try:
        with waiting(f"exporting {what} to ONNX"):
            export()
        return open_export()
    except Exception as exc:  # torch's exporter raises many kinds; the caller's fallback keeps answering
        log.debug("ONNX export of %s failed (%s: %s)", what, type(exc).__name__, exc)
        _say(f"the ONNX export of {what} failed ({type(exc).__name__}); using {fallback}")
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(f"{type(exc).__name__}: {str(exc)[:200]}\n", encoding="utf-8")
        except OSError:
            pass
        return None


def open_session(model: Path, threads: int):
    """An onnxruntime CPU session over `model`, quiet, with `threads` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def _optimise(path: Path) -> None:
    """Replace the exported graph by onnxruntime's portable (extended-level) optimisation of it, so each
    later start-up skips that work."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.log_severity_level = 3
    optimised = path.with_name("optimised.onnx")
    options.optimized_model_filepath = str(optimised)
    ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    os.replace(optimised, path)


class OnnxEmbedder:
    """Embeds with an exported ONNX model; raises OnnxUnavailable when the export cannot be used."""

    def __init__(self, name: str, folder: Path, model_dir: Path | None = None, threads: int = 2):
        self.name = name
        self.folder = Path(folder)
        self.model_dir = model_dir
        self.threads = threads
        self.batch_size = 64
        self._session = None
        self._tokenizer = None
        self.manifest = self._read_manifest()
        self.dimension = int(self.manifest["dimension"])

    def _read_manifest(self) -> dict:
        path = self.folder / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise OnnxUnavailable(f"no ONNX export at {self.folder}") from None
        if manifest.get("format") != FORMAT or manifest.get("model") != self.name:
            raise OnnxUnavailable(f"the ONNX export at {self.folder} is for another model or format")
        if self.model_dir is not None and manifest.get("source_fingerprint") != source_fingerprint(self.model_dir):
            raise OnnxUnavailable(f"the ONNX export at {self.folder} is stale: the model has changed")
        model = self.folder / MODEL_FILE
        if not model.is_file() or model.stat().st_size != manifest.get("model_size"):
            raise OnnxUnavailable(f"the ONNX model at {model} is missing or truncated")
        return manifest

    def verify(self) -> None:
        """Check model.onnx (and every file the manifest lists) against its recorded sha256 (a full read:
        done after an export and in tests)."""
        recorded = {name: entry["sha256"] for name, entry in self.manifest.get("files", {}).items()}
        recorded[MODEL_FILE] = self.manifest["model_sha256"]
        for name, sha256 in sorted(recorded.items()):
            path = self.folder / name
            if not path.is_file() or file_sha256(path) != sha256:
                raise OnnxUnavailable(f"the ONNX export's {path} does not match its manifest")

    def warm_up(self) -> None:
        """Load the session and tokenizer; a no-op the second time."""
        if self._session is not None:
            return
        from tokenizers import Tokenizer

        try:
            self._session = open_session(self.folder / MODEL_FILE, self.threads)
            tokenizer = Tokenizer.from_file(str(self.folder / TOKENIZER_FILE))
        except Exception as exc:
            raise OnnxUnavailable(f"the ONNX model at {self.folder} cannot be loaded ({type(exc).__name__})") from None
        tokenizer.enable_truncation(max_length=int(self.manifest["max_seq_length"]))
        pad_token = self.manifest.get("pad_token", "[PAD]")  # exports made before pad_token was recorded: BERT's
        pad_id = self.manifest.get("pad_id", tokenizer.token_to_id(pad_token) or 0)
        tokenizer.enable_padding(pad_id=int(pad_id), pad_token=pad_token)
        self._tokenizer = tokenizer
        self._inputs = {i.name for i in self._session.get_inputs()}

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        self.warm_up()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for at in range(0, len(order), self.batch_size):
            rows = order[at : at + self.batch_size]
            encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
            mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.asarray([e.type_ids for e in encoded], dtype=np.int64)
            hidden = self._session.run(None, feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out
