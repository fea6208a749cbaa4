"""Property-based tests of ingestion: any bytes as an article, any JSON as sources.json, any file name.

The property: every input gives a draft whose stored text splits into passages with exact offsets, or a
skip with a one-line reason — never an exception. Budgets come from the hypothesis profiles in conftest.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from index.ingest import Draft, IngestLimits, Skipped, read_inputs
from index.models import Source
from index.sentences import MAX_PASSAGE_CHARS, split_passages

prose = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=400)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1"])
line_ends = st.sampled_from(["\n", "\r\n", "\r"])
article_bytes = st.one_of(
    st.binary(max_size=600),
    st.builds(lambda text, enc, end: text.replace("\n", end).encode(enc, "replace"), prose, encodings, line_ends),
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=3), max_leaves=12)
metadata = st.one_of(
    json_values,
    st.fixed_dictionaries({"story": json_values, "sources": st.dictionaries(st.just("a"), json_values, max_size=1)}),
    st.fixed_dictionaries({"sources": st.fixed_dictionaries({"a": st.fixed_dictionaries(
        {k: json_values for k in ("outlet", "title", "url", "date", "author", "credit", "language")})})}),
)
names = st.text(alphabet=st.characters(blacklist_characters="/\x00", codec="utf-8"), min_size=1, max_size=20)


def _check(outputs: list) -> None:
    for out in outputs:
        assert isinstance(out, (Draft, Skipped))
        if isinstance(out, Skipped):
            assert out.reason and "\n" not in out.reason
            continue
        assert "\r" not in out.text and not out.text.startswith("\ufeff")
        source = Source(source_id="s", story_id="t", outlet="o", title="t", text=out.text)
        for passage in split_passages(source):
            assert out.text[passage.start : passage.end] == passage.text
            assert len(passage.text) <= MAX_PASSAGE_CHARS


@given(article_bytes, metadata, names)
def test_any_article_and_metadata(raw, meta, name):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "story"
        folder.mkdir()
        (folder / "a.txt").write_bytes(raw)
        (folder / "b.md").write_bytes(b"A headline\n\nA plain sentence about the vote.\n")
        (folder / "sources.json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            (folder / (name.replace(".", "_") + ".txt")).write_bytes(raw)
        except OSError:
            pass  # a name this file system refuses
        _check(list(read_inputs([str(folder)], IngestLimits(max_article_bytes=100_000))))


@given(st.binary(min_size=1, max_size=40))
def test_file_names_in_any_bytes(raw_name):
    with tempfile.TemporaryDirectory() as tmp:
        name = os.fsdecode(raw_name.replace(b"/", b"_").replace(b"\x00", b"_")) + ".txt"
        try:
            (Path(tmp) / name).write_bytes(b"Head\n\nBody sentence here.\n")
        except OSError:
            return
        outputs = list(read_inputs([tmp]))
        _check(outputs)
        for out in outputs:
            (out.origin if isinstance(out, Draft) else out.path).encode("utf-8")
