"""The catalog's Discord tables: stored answers, one vote per user per answer, follow-up threads, migration."""

from __future__ import annotations

import sqlite3

import pytest

from index.catalog import SCHEMA_VERSION, Catalog
from index.errors import StorybotError


@pytest.fixture
def catalog(tmp_path) -> Catalog:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    catalog.create_story("s1", "Story one")
    yield catalog
    catalog.close()


def test_a_vote_is_one_row_per_user_per_answer(catalog):
    catalog.store_answer("a1", "s1", "What did Paris deny?", '{"outlets": []}', channel_id=5, user_id=7)
    assert catalog.vote("a1", 100, 1) is None
    assert catalog.vote("a1", 100, 1) == 1  # confirmed, not added
    assert catalog.vote("a1", 100, -1) == 1  # changed
    assert catalog.vote("a1", 200, 1) is None
    rows = catalog.feedback()
    assert [(r.answer_id, r.vote, r.question, r.story_id) for r in rows] == [
        ("a1", -1, "What did Paris deny?", "s1"), ("a1", 1, "What did Paris deny?", "s1")]
    assert rows[0].answer_json == '{"outlets": []}' and rows[0].voted_at.endswith("Z")


def test_votes_need_a_stored_answer_and_a_plus_or_minus_one(catalog):
    with pytest.raises(StorybotError, match="no longer stored"):
        catalog.vote("missing", 1, 1)
    catalog.store_answer("a1", "s1", "q", "{}")
    with pytest.raises(ValueError):
        catalog.vote("a1", 1, 0)
    assert catalog.feedback() == []


def test_answers_and_follow_up_threads_survive_a_reopen(catalog, tmp_path):
    catalog.store_answer("a1", "s1", "q", '{"x": 1}')
    catalog.add_follow_up_thread(99, "a1", "s1", 7)
    catalog.close()
    again = Catalog(tmp_path / "catalog.sqlite")
    stored = again.stored_answer("a1")
    assert (stored.story_id, stored.question, stored.answer_json) == ("s1", "q", '{"x": 1}')
    assert again.stored_answer("nope") is None
    assert again.follow_up_threads() == {99: "s1"} and again.thread_of("a1") == 99 and again.thread_of("b") is None
    again.delete_story("s1")
    assert again.follow_up_threads() == {}, "a deleted story's threads are forgotten"
    again.close()


def test_old_answers_are_pruned_but_votes_on_them_stay(catalog):
    catalog.store_answer("old", "s1", "What did Paris deny?", '{"outlets": []}')
    catalog.store_answer("new", "s1", "q", "{}")
    catalog.vote("old", 100, 1)
    catalog.db.execute("UPDATE answers SET created_at='2020-01-01T00:00:00Z' WHERE id='old'")
    assert catalog.prune_answers(keep_days=30) == 1
    assert catalog.stored_answer("old") is None and catalog.stored_answer("new") == ("s1", "q", "{}")
    assert [row[0] for row in catalog.feedback()] == ["old"], "a vote keeps its own copy of the answer"
    with pytest.raises(StorybotError, match="no longer stored"):
        catalog.vote("old", 200, 1)
    assert catalog.prune_answers(keep_days=30) == 0


def test_a_version_2_catalog_gains_the_answer_age_index(tmp_path):
    path = tmp_path / "v2.sqlite"
    Catalog(path).close()
    db = sqlite3.connect(path)
    db.executescript("DROP INDEX answers_by_age; UPDATE meta SET value='2' WHERE key='schema_version';")
    db.close()
    migrated = Catalog(path)
    assert migrated.get_meta("schema_version") == str(SCHEMA_VERSION)
    indexes = {row[0] for row in migrated.db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "answers_by_age" in indexes
    migrated.close()


def test_a_version_1_catalog_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    Catalog(path).close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE answers; DROP TABLE follow_up_threads; "
                     "UPDATE meta SET value='1' WHERE key='schema_version';")
    db.execute("INSERT INTO stories VALUES ('kept', 'Kept', '2024-01-01T00:00:00Z')")
    db.commit()
    db.close()
    migrated = Catalog(path)
    assert migrated.get_meta("schema_version") == str(SCHEMA_VERSION)
    assert migrated.has_story("kept")
    migrated.store_answer("a1", "kept", "q", "{}")
    assert migrated.vote("a1", 1, 1) is None
    migrated.close()


def test_a_newer_catalog_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    Catalog(path).set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(StorybotError, match="schema version"):
        Catalog(path)
