"""The SQLite store: migrations, cache keys, atomic saves."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from briefing.corpus import load_corpus
from briefing.errors import StoreError
from briefing.offline.extract import OfflineExtractor
from briefing.store import MIGRATIONS, Store, cache_key

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_migrations_apply_once_and_in_order(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.close()
    store = Store.open(tmp_path)
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_extraction_round_trips_and_claims_are_indexed(tmp_path: Path) -> None:
    article = load_corpus(SEEDS).articles[0]
    extraction = OfflineExtractor().extract(article)
    store = Store.open(tmp_path)
    key = cache_key(article, "offline", None, "offline-1")
    assert store.cached_extraction(key) is None
    store.save_extraction(key, article, extraction)
    store.save_extraction(key, article, extraction)  # saving again replaces, never duplicates
    assert store.cached_extraction(key) == extraction
    rows = store.claim_rows()
    assert len(extraction.claims) >= 5  # seed 000 has several claims: the checks below bite
    assert len(rows) == sum(len(c.evidence) for c in extraction.claims)
    assert {r["claim_id"] for r in rows} == {c.claim_id for c in extraction.claims}
    assert all(article.raw_text[r["quote_start"] : r["quote_end"]] == r["quote"] for r in rows)
    store.close()


def test_cache_key_changes_with_model_prompt_and_content() -> None:
    article = load_corpus(SEEDS).articles[0]
    base = cache_key(article, "llm", "m1", "p1")
    assert base != cache_key(article, "llm", "m2", "p1")
    assert base != cache_key(article, "llm", "m1", "p2")
    assert base != cache_key(article, "offline", "m1", "p1")
    edited = article.model_copy(update={"content_hash": "0" * 64})
    assert base != cache_key(edited, "llm", "m1", "p1")


def test_an_unwritable_home_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store.open(blocker / "home")


def test_a_failed_save_leaves_nothing_half_written(tmp_path: Path) -> None:
    article = load_corpus(SEEDS).articles[0]
    extraction = OfflineExtractor().extract(article)
    store = Store.open(tmp_path)
    store.db.execute(
        "CREATE TRIGGER no_claims BEFORE INSERT ON claims BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        store.save_extraction("k", article, extraction)
    assert store.cached_extraction("k") is None
    store.close()
