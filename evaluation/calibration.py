"""Fit the answerability model on development questions: a small logistic regression in numpy.

Each (question, outlet) pair gives the features of `answerability.answer_features` and a label: does the
gold say this outlet answers? The fitted weights, bias and threshold are printed as STORYBOT_*
settings, so the result lives in configuration and can be refitted when the dev sets grow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.answerability import ANSWER_FEATURES


@dataclass
class Fitted:
    weights: tuple[float, ...]
    bias: float
    threshold: float
    covered_when_gold: float
    abstain_when_null: float
    pairs: int

    def as_env(self) -> str:
        weights = "[" + ",".join(f"{w:.4f}" for w in self.weights) + "]"
        return (f"STORYBOT_ANSWER_WEIGHTS={weights}\nSTORYBOT_ANSWER_BIAS={self.bias:.4f}\n"
                f"STORYBOT_ANSWER_THRESHOLD={self.threshold:.2f}\n")


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 4000, rate: float = 0.5):
    """Gradient descent on standardised features; returns weights and bias in the raw feature scale."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / scale
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = p - y
        w -= rate * (z.T @ g / len(y) + l2 * w)
        b -= rate * float(g.mean())
    raw_w = w / scale
    return raw_w, b - float(raw_w @ mean)


def fit(x: np.ndarray, y: np.ndarray) -> Fitted:
    """Fit the model and choose the threshold that maximises balanced accuracy on the same pairs."""
    if len(set(y.tolist())) < 2:
        raise ValueError("calibration needs pairs that answer and pairs that do not")
    weights, bias = fit_logistic(x, y)
    prob = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    best = (-1.0, 0.5, 0.0, 0.0)
    for threshold in np.arange(0.05, 0.96, 0.01):
        covered = float(((prob >= threshold) & (y == 1)).sum() / (y == 1).sum())
        abstain = float(((prob < threshold) & (y == 0)).sum() / (y == 0).sum())
        if covered + abstain > best[0]:
            best = (covered + abstain, float(threshold), covered, abstain)
    return Fitted(tuple(float(w) for w in weights), float(bias), round(best[1], 2), best[2], best[3], len(y))


__all__ = ["ANSWER_FEATURES", "Fitted", "fit", "fit_logistic"]
