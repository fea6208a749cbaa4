"""storybot's core: corpus loading, sentence passages, the index, retrieval and answers.

Nothing in this package imports discord; the front ends in `bot/` translate to and from it.
"""
