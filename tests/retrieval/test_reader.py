"""The reader: a deterministic fake, and the shipped cross-encoder through ONNX (no torch) and torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from retrieval.reader import PACKAGED, CrossEncoderReader, FakeReader, make_reader, read_manifest
from tests.conftest import PROJECT_ROOT, needs_torch

SHIPPED_EXPORT = PACKAGED / "onnx" / "model.onnx"

# (question, a sentence that answers it, a sentence on the same topic that does not)
HAND_PAIRS = [
    ("How many people were killed in the attack?",
     "The attack on the market killed 12 people and wounded dozens more, police said.",
     "The attack on the market was condemned by the mayor, who called for calm."),
    ("When did the senator announce her resignation?",
     "The senator announced her resignation on Tuesday, ending a 20-year career.",
     "The senator has faced growing criticism from members of her own party."),
    ("Who was named to lead the investigation?",
     "The attorney general named Robert Mueller, a former FBI director, to lead the investigation.",
     "The investigation is expected to take several months, officials said."),
    ("Where did the plane crash?",
     "The plane crashed in a field near Shanksville, Pennsylvania, shortly after 10 a.m.",
     "The plane was carrying 44 passengers and crew, the airline said."),
    ("What did Paris deny?",
     "The French Ministry of Defense denied that France had proposed talks on Ukraine.",
     "Shoigu and Lecornu spoke by telephone for the first time since 2022."),
]


def test_the_fake_is_deterministic_bounded_and_prefers_shared_words():
    fake = FakeReader()
    question, answering, other = HAND_PAIRS[0]
    first = fake.score(question, [answering, other, ""])
    assert np.array_equal(first, fake.score(question, [answering, other, ""]))
    assert first.shape == (3,) and ((first >= 0) & (first <= 1)).all()
    assert first[0] > first[1] > first[2]
    assert fake.score(question, []).shape == (0,)
    assert isinstance(make_reader("fake"), FakeReader)


def test_the_shipped_reader_is_described_and_small():
    manifest = read_manifest()
    assert (PACKAGED / "model.safetensors").stat().st_size <= 100_000_000
    for key in ("base_model", "init", "seed", "epochs", "steps", "command", "data", "weights_sha256", "history"):
        assert key in manifest
    assert "/tmp" not in json.dumps(manifest) and "/work" not in json.dumps(manifest)  # no run's folders


def test_the_shipped_reader_never_trained_on_an_evaluation_story():
    from evaluation.reader_data import dev_stories
    from evaluation.written_questions import held_out

    trained = {story for stories in read_manifest()["data"]["train_stories"].values() for story in stories}
    assert trained and not trained & dev_stories()
    assert not any(held_out(story) for story in trained)


@pytest.fixture(scope="module")
def onnx_reader(tmp_path_factory):
    reader = CrossEncoderReader(export_root=tmp_path_factory.mktemp("reader-models"))
    reader.warm_up()
    return reader


@pytest.mark.slow
def test_the_reader_loads_offline_and_ranks_the_answering_sentence_first(onnx_reader):
    assert onnx_reader.backend == "onnx"
    for question, answering, other in HAND_PAIRS:
        answer_p, other_p = onnx_reader.score(question, [answering, other])
        assert answer_p > other_p, (question, answer_p, other_p)


@pytest.mark.slow
@needs_torch
def test_onnx_matches_torch(tmp_path):
    """A full-precision export scores as torch does. (The shipped export may be quantised: its own check is
    `python -m evaluation.export_reader --check`.)"""
    from retrieval.reader import OnnxReader, TorchReader, export_reader, sigmoid

    export_reader(PACKAGED, tmp_path / "fp32")
    onnx_reader = OnnxReader(tmp_path / "fp32", read_manifest()["weights_sha256"])
    torch_reader = TorchReader()
    long = "The committee heard evidence for many hours about the case. " * 30  # past 128 tokens: truncated alike
    for question, answering, other in HAND_PAIRS:
        sentences = [answering, other, long, "x"]
        a, b = sigmoid(onnx_reader.logits([(question, s) for s in sentences])), sigmoid(torch_reader.logits([(question, s) for s in sentences]))
        assert np.abs(a - b).max() < 2e-3, (question, a, b)


@pytest.mark.slow
def test_scoring_through_onnx_imports_no_torch(onnx_reader):
    code = ("import sys, retrieval.engine; from pathlib import Path; from retrieval.reader import CrossEncoderReader; "
            f"r = CrossEncoderReader(export_root=Path({str(onnx_reader.export_root)!r})); "
            "p = r.score('Who won?', ['Smith won the vote.', 'It rained.']); "
            "print(r.backend, p.shape, sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "onnx (2,) []"


@pytest.mark.slow
@needs_torch
@pytest.mark.parametrize("max_length", [None, 128], ids=["default", "manifest-128"])
def test_training_and_inference_tokenise_pairs_alike(max_length):
    from transformers import AutoTokenizer

    from evaluation.train_reader import MAX_LENGTH as TRAINING_LENGTH
    from index.embedding import model_folder
    from retrieval.reader import MAX_LENGTH, TOKENIZER_MODEL, _encode, _tokenizer

    folder = model_folder(TOKENIZER_MODEL)
    hf = AutoTokenizer.from_pretrained(str(folder))
    if max_length is None:  # the default: the length the reader is trained with
        assert MAX_LENGTH == TRAINING_LENGTH
        ours, max_length = _tokenizer(folder / "tokenizer.json"), MAX_LENGTH
    else:  # a reader whose manifest names its own length
        ours = _tokenizer(folder / "tokenizer.json", max_length)
    long = "word " * 300
    for question, sentence in [(q, s) for q, s, _ in HAND_PAIRS] + [("a long one?", long), (long, "short")]:
        expected = hf(question, sentence, truncation="longest_first", max_length=max_length)["input_ids"]
        assert _encode(ours, [(question, sentence)])["input_ids"][0].tolist() == expected


def test_the_reader_ships_as_package_data():
    text = (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"data/reader/*"' in text
    config = json.loads((PACKAGED / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == ["BertForSequenceClassification"] and len(config["id2label"]) == 1


def test_the_shipped_reader_export_matches_its_manifest_and_the_weights(tmp_path):
    """The reader is on by default, so a plain install (no torch) scores only through this export."""
    import tomllib

    from index.hashing import file_sha256
    from index.onnx_embedder import MANIFEST

    export = SHIPPED_EXPORT.parent
    assert SHIPPED_EXPORT.is_file(), "no reader export beside the weights"
    manifest = json.loads((export / MANIFEST).read_text(encoding="utf-8"))
    assert file_sha256(SHIPPED_EXPORT) == manifest["model_sha256"], "re-export the reader"
    for name, entry in manifest.get("files", {}).items():  # what python -m index.export_onnx --reader records
        assert file_sha256(export / name) == entry["sha256"], name
    assert manifest["weights_sha256"] == read_manifest()["weights_sha256"] == file_sha256(PACKAGED / "model.safetensors")
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "data/reader/onnx/*" in project["tool"]["setuptools"]["package-data"]["retrieval"]
    reader = CrossEncoderReader(export_root=tmp_path)  # the shipped export serves: nothing is exported
    reader.warm_up()
    assert reader.backend == "onnx" and not list(tmp_path.iterdir())
