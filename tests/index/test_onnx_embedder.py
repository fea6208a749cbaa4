"""The ONNX question path: same vectors as sentence-transformers, no torch imported, bad exports refused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from index.embedding import DEFAULT_MODEL, SentenceTransformerEmbedder, model_folder
from index.onnx_embedder import MANIFEST, MODEL_FILE, OnnxEmbedder, OnnxUnavailable, export_onnx
from tests.conftest import DEV_QUESTIONS, PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    target = tmp_path_factory.mktemp("onnx") / "export"
    export_onnx(DEFAULT_MODEL, model_folder(DEFAULT_MODEL), target)
    return target


@pytest.fixture(scope="module")
def pytorch():
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    embedder.warm_up()
    return embedder


def _questions() -> list[str]:
    paths = [DEV_QUESTIONS, *sorted((PROJECT_ROOT / "tests" / "data").glob("*_dev_questions.jsonl"))]
    found = [json.loads(line)["q"] for path in paths if path.is_file()
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(found) >= 100
    return found


def test_onnx_vectors_match_pytorch_on_every_dev_question(exported, pytorch):
    onnx = OnnxEmbedder(DEFAULT_MODEL, exported, model_folder(DEFAULT_MODEL))
    onnx.verify()
    questions = _questions()
    cosines = (onnx.embed(questions) * pytorch.embed(questions)).sum(axis=1)
    assert cosines.min() >= 0.9999, float(cosines.min())


def test_long_passages_and_mixed_batches_match(exported, pytorch):
    onnx = OnnxEmbedder(DEFAULT_MODEL, exported)
    texts = ["word " * 600, "short", "A medium sentence about the French defence ministry's denial. " * 5, "x"] * 20
    cosines = (onnx.embed(texts) * pytorch.embed(texts)).sum(axis=1)
    assert cosines.min() >= 0.9999
    assert onnx.embed(texts).shape == (80, 384) and onnx.name == pytorch.name


def test_the_question_path_imports_no_torch(exported):
    code = (f"import sys; from index.onnx_embedder import OnnxEmbedder; "
            f"e = OnnxEmbedder({DEFAULT_MODEL!r}, {str(exported)!r}); v = e.embed(['What did Paris deny?']); "
            "print(v.shape, sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(1, 384) []"


def test_missing_tampered_or_foreign_exports_are_refused(exported, tmp_path):
    with pytest.raises(OnnxUnavailable, match="no ONNX export"):
        OnnxEmbedder(DEFAULT_MODEL, tmp_path / "nothing")
    copy = tmp_path / "copy"
    shutil.copytree(exported, copy)
    with pytest.raises(OnnxUnavailable, match="for another model"):
        OnnxEmbedder("another-model", copy)
    data = bytearray((copy / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(OnnxUnavailable, match="does not match its manifest"):
        OnnxEmbedder(DEFAULT_MODEL, copy).verify()
    (copy / MODEL_FILE).write_bytes(bytes(data[:1000]))
    with pytest.raises(OnnxUnavailable, match="missing or truncated"):
        OnnxEmbedder(DEFAULT_MODEL, copy)
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["source_fingerprint"] = "0" * 64
    (copy / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(OnnxUnavailable, match="stale"):
        OnnxEmbedder(DEFAULT_MODEL, copy, model_folder(DEFAULT_MODEL))


def test_engine_falls_back_once_when_the_export_cannot_be_made(tmp_path, monkeypatch, capsys):
    from index import embedding, onnx_embedder

    def broken(*args, **kwargs):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(onnx_embedder, "export_onnx", broken)
    monkeypatch.setattr(embedding, "_SAID", set())
    fast = embedding.FastEmbedder(DEFAULT_MODEL, 16, tmp_path / "models")
    vectors = fast.embed(["What did Paris deny?"])
    assert fast.backend == "sentence-transformers" and vectors.shape == (1, 384)
    fast.embed(["again"])
    err = capsys.readouterr().err
    assert err.count("the ONNX export failed (RuntimeError); using sentence-transformers") == 1
    again = embedding.FastEmbedder(DEFAULT_MODEL, 16, tmp_path / "models")  # the next start: no second try
    again.embed(["What did Paris deny?"])
    assert again.backend == "sentence-transformers"
    assert "the ONNX export failed before (RuntimeError: exporter exploded" in capsys.readouterr().err


def test_a_model_without_token_type_ids_exports_and_matches(tmp_path):
    """MPNet (the optional `mpnet` model) takes no token_type_ids and pads with <pad>, not [PAD]: a tiny random
    MPNet with the packaged tokenizer checks that path without the 400 MB weights."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import MPNetConfig, MPNetModel

    torch.manual_seed(0)
    hf = tmp_path / "hf"
    MPNetModel(MPNetConfig(vocab_size=30527, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=130)).save_pretrained(hf)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (model_folder(DEFAULT_MODEL) / name).is_file():
            shutil.copy(model_folder(DEFAULT_MODEL) / name, hf / name)
    folder = tmp_path / "tiny-mpnet"
    SentenceTransformer(modules=[models.Transformer(str(hf), max_seq_length=128), models.Pooling(32, "mean"),
                                 models.Normalize()], device="cpu").save(str(folder))
    manifest = export_onnx("tiny-mpnet", folder, tmp_path / "export")
    onnx = OnnxEmbedder("tiny-mpnet", tmp_path / "export", folder)
    onnx.verify()
    onnx.warm_up()
    assert "token_type_ids" not in onnx._inputs and manifest["pad_token"] == "[PAD]"
    reference = SentenceTransformerEmbedder(str(folder))
    texts = ["What did Paris deny?", "short", "word " * 300, "Otherwise, France would have left the talks."] * 3
    cosines = (onnx.embed(texts) * reference.embed(texts)).sum(axis=1)
    assert cosines.min() >= 0.9999, float(cosines.min())
