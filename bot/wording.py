"""Counted nouns for every front end: "1 source", "2 sources"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` and the noun, singular for exactly one ("1 group", "0 groups", "2 stories" with many=)."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
