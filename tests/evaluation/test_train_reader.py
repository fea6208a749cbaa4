"""The reader's training losses and batching (no model: logits are given)."""

from __future__ import annotations

import random

import pytest

from tests.conftest import needs_torch


def _list(question: str, outlet: str | None, labels: list[int]) -> list[dict]:
    return [{"question": question, "sentence": f"{question} {outlet} {i}", "label": label,
             **({"outlet": outlet} if outlet else {})} for i, label in enumerate(labels)]


def test_lists_keep_each_question_and_outlet_whole_and_squad_pairs_alone():
    from evaluation.train_reader import lists

    pairs = _list("q1", "ap", [0, 1, 0]) + _list("q1", "cnn", [0, 0]) + _list("q2", "ap", [1, 0, 0, 0]) \
        + _list("s1", None, [1]) + _list("s2", None, [0])
    batches = lists(pairs, 5, random.Random(0))
    assert sorted(map(id, (p for b in batches for p in b))) == sorted(map(id, pairs))
    for batch in batches:
        keys = {(p["question"], p["outlet"]) for p in batch if p.get("outlet")}
        for key in keys:  # a list is never split across batches
            assert sum(1 for p in pairs if (p["question"], p.get("outlet")) == key) \
                == sum(1 for p in batch if (p["question"], p.get("outlet")) == key)
        assert len(batch) <= 5 or len(keys) == 1


@needs_torch
@pytest.mark.parametrize("labels, good, bad", [
    pytest.param([0, 1, 0], [-2.0, 3.0, -2.0], [3.0, -2.0, -2.0], id="the gold sentence on top"),
    pytest.param([0, 0, 0], [-3.0, -3.0, -3.0], [2.0, -3.0, -3.0], id="nothing here: every sentence below it"),
])
def test_the_listwise_loss_rewards_the_right_order_and_nothing_here(labels, good, bad):
    import torch

    from evaluation.train_reader import listwise_loss

    batch = _list("q", "ap", labels)
    assert listwise_loss(torch.tensor(good), batch) < listwise_loss(torch.tensor(bad), batch)


@needs_torch
def test_the_listwise_loss_is_the_softmax_mass_on_gold_and_bce_on_squad_pairs():
    import math

    import torch

    from evaluation.train_reader import listwise_loss

    batch = _list("q", "ap", [0, 1]) + _list("s", None, [1])
    logits = torch.tensor([0.5, 1.5, 2.0])
    listed = -math.log(math.exp(1.5) / (1 + math.exp(0.5) + math.exp(1.5)))
    squad = -math.log(1 / (1 + math.exp(-2.0)))
    assert listwise_loss(logits, batch).item() == pytest.approx((listed + squad) / 2, rel=1e-5)
