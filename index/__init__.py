"""The story library: what is stored (SQLite catalog, vector stores) and how it gets there (ingestion)."""
