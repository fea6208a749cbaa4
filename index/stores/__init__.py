"""Vector stores behind one small protocol (`base.VectorStore`); `open_store` picks one by name."""
