"""The same-fact model's STS pairs: soft labels, no pair twice, nothing of STS-B's dev or test set in training."""

from __future__ import annotations

import random

from evaluation.same_fact_data import STS_SCALE, sts_pairs


def _row(score, a, b, genre="main-news"):
    return "\t".join([genre, "headlines", "2015", "0001", f"{score:.3f}", a, b]) + "\n"


def test_sts_pairs_are_soft_labelled_deduplicated_and_keep_dev_and_test_out_of_training(tmp_path):
    (tmp_path / "sts-train.csv").write_text(_row(5.0, "A plane takes off.", "An airplane is taking off.")
                                            + _row(5.0, "An airplane is taking off.", "A plane takes off.")
                                            + _row(1.0, "A man plays a flute.", "A cat sleeps."), encoding="utf-8")
    (tmp_path / "sts-dev.csv").write_text(_row(3.0, "Rates were cut.", "The Fed cut rates."), encoding="utf-8")
    (tmp_path / "sts-test.csv").write_text(_row(4.0, "Troops withdrew.", "The army pulled out."), encoding="utf-8")
    (tmp_path / "sts_headlines_2013-2016.tsv").write_text(
        "source\tscore\tsentence1\tsentence2\n"
        "headlines2014\t4.2\tThe army pulled out.\tSoldiers left the town.\n"  # touches the test set: left out
        "headlines2014\t2.0\tStocks rose.\tOil fell sharply.\n", encoding="utf-8")
    pairs, files = sts_pairs(tmp_path, random.Random(1))
    train = [p for p in pairs if p["split"] == "train"]
    assert sorted(p["label"] for p in train) == [1.0 / STS_SCALE, 2.0 / STS_SCALE, 1.0]
    assert [p["label"] for p in pairs if p["split"] == "validation"] == [0.6]
    assert not any("army" in p["question"] + p["sentence"] for p in pairs)
    assert [f.name for f in files] == ["sts-train.csv", "sts-dev.csv", "sts-test.csv", "sts_headlines_2013-2016.tsv"]
