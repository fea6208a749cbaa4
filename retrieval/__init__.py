"""One question → per-outlet evidence → an answer: question analysis, lexical and dense evidence,
ranking, answerability, quotes, attribution and the comparison across outlets.

The story library it reads (catalog, ingestion, sentence passages, vector stores, embedders) is in
`index/`. Nothing in this package imports discord; the front ends in `bot/` translate to and from it.
"""
