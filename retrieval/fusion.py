"""Score fusion: small pure functions over aligned score arrays."""

from __future__ import annotations

import numpy as np


def max_normalize(scores: np.ndarray, ceiling: float | None = None) -> np.ndarray:
    """Scale non-negative scores into [0, 1] by their maximum (or a given ceiling); all-zero stays zero."""
    scores = np.asarray(scores, dtype=np.float64)
    top = float(scores.max()) if ceiling is None and scores.size else (ceiling or 0.0)
    if top <= 0:
        return np.zeros_like(scores)
    return np.clip(scores / top, 0.0, 1.0)


def convex(dense: np.ndarray, lexical: np.ndarray, dense_weight: float) -> np.ndarray:
    """Mix two aligned score arrays already on a [0, 1] scale: w·dense + (1−w)·lexical."""
    if not 0.0 <= dense_weight <= 1.0:
        raise ValueError(f"dense_weight must be within [0, 1], got {dense_weight}")
    return dense_weight * np.asarray(dense, dtype=np.float64) + (1.0 - dense_weight) * np.asarray(lexical, dtype=np.float64)

