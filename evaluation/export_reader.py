"""Export a trained reader to ONNX and ship it beside its weights, so scoring needs no torch.

    python -m evaluation.export_reader [--folder retrieval/data/reader] [--int8] [--check PAIRS_DIR]

Writes `FOLDER/onnx/` (model.onnx, tokenizer.json, manifest.json with the weights' and the model's
sha256). `--int8` quantises the weights to 8 bits (onnxruntime dynamic quantisation). `--check DIR`
scores the validation pairs `evaluation.reader_data` wrote with torch, the fp32 export and (with
`--int8`) the quantised one, and prints each one's AUC, the largest probability gap to torch and the
milliseconds one 40-pair batch takes — what quantising costs, measured before it is shipped.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from index.hashing import file_sha256
from index.onnx_embedder import MANIFEST, MODEL_FILE
from retrieval.reader import PACKAGED, OnnxReader, TorchReader, export_reader, read_manifest, sigmoid


def quantise(folder: Path) -> None:
    """Replace the export's model with its int8 dynamic quantisation and update the manifest."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = folder / MODEL_FILE
    quantised = folder / "model.int8.onnx"
    import onnx

    # the export is already graph-optimised (fused ops of onnxruntime's own domain carry no inferred types)
    quantize_dynamic(str(model), str(quantised), weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    quantised.replace(model)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(model_sha256=file_sha256(model), model_size=model.stat().st_size, quantised="int8 (dynamic)")
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def check(folder: Path, exports: dict[str, Path], pairs_dir: Path, limit: int = 1500) -> dict:
    """AUC, gap to torch and batch latency of each export on the validation pairs."""
    from evaluation.train_reader import auc, read_pairs

    pairs = [p for p in read_pairs(pairs_dir / "pairs.jsonl") if p["split"] == "validation"][:limit]
    labels = np.asarray([p["label"] >= 0.5 for p in pairs])  # a soft label (a similarity score) counts from 0.5
    by_question: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_question.setdefault(p["question"], []).append(i)
    sha = read_manifest(folder)["weights_sha256"]
    scorers = {"torch": TorchReader(folder)} | {name: OnnxReader(path, sha) for name, path in exports.items()}
    out, reference = {}, None
    for name, scorer in scorers.items():
        probabilities = np.zeros(len(pairs))
        for question, rows in by_question.items():
            probabilities[rows] = sigmoid(scorer.logits([(question, pairs[i]["sentence"]) for i in rows]))
        batch = [pairs[i % len(pairs)]["sentence"] for i in range(40)]
        timings = []
        for _ in range(15):
            started = time.perf_counter()
            scorer.logits([(pairs[0]["question"], sentence) for sentence in batch])
            timings.append((time.perf_counter() - started) * 1000)
        reference = probabilities if reference is None else reference
        out[name] = {"auc": round(auc(probabilities, labels), 4),
                     "max_gap_to_torch": round(float(np.abs(probabilities - reference).max()), 5),
                     "ms_per_40_pairs_median": round(float(np.median(timings)), 1),
                     "size_mb": round((exports[name] / MODEL_FILE).stat().st_size / 1e6, 1) if name in exports else None}
    return {"pairs": len(pairs), **out}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=PACKAGED)
    parser.add_argument("--int8", action="store_true", help="Ship the int8 quantisation.")
    parser.add_argument("--check", type=Path, help="A folder evaluation.reader_data wrote: measure before shipping.")
    args = parser.parse_args(argv)
    staging = Path(tempfile.mkdtemp(prefix="reader-export-"))
    try:
        export_reader(args.folder, staging / "fp32")
        chosen = staging / "fp32"
        exports = {"onnx_fp32": staging / "fp32"}
        if args.int8:
            shutil.copytree(staging / "fp32", staging / "int8")
            quantise(staging / "int8")
            exports["onnx_int8"] = chosen = staging / "int8"
        if args.check:
            print(json.dumps(check(args.folder, exports, args.check), indent=2), flush=True)
        target = args.folder / "onnx"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(chosen, target)
        print(f"shipped {target} ({(target / MODEL_FILE).stat().st_size / 1e6:.1f} MB)", flush=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


if __name__ == "__main__":
    main()
