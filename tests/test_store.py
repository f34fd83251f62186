"""The SQLite store: migrations, cache keys, atomic saves."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from briefing.cli import main
from briefing.corpus import load_corpus
from briefing.errors import StoreError
from briefing.offline.extract import OfflineExtractor
from briefing.store import DB_FILENAME, MIGRATIONS, Store, cache_key

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


def _generate(corpus: Path, out: Path) -> int:
    args = ["--corpus", str(corpus), "--out", str(out), "--extractor", "offline"]
    return main(["generate", "--since", "2025-02-01", *args])


def _overwrite_table_page(db_file: Path, table: str) -> None:
    """Garbage over the first page of one table: the file opens, reading that table fails."""
    db = sqlite3.connect(db_file)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    db.close()
    with db_file.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


@pytest.mark.parametrize("damage", ["whole file", "one table"])
def test_a_damaged_store_is_one_line_naming_it_with_what_to_do(
    damage: str,
    seeds_copy: Path,
    tmp_path: Path,
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _generate(seeds_copy, tmp_path / "b") == 0
    db_file = isolated_environment / DB_FILENAME
    if damage == "whole file":  # fails as the store opens
        db_file.write_bytes(b"\x5a" * db_file.stat().st_size)
    else:  # opens, then fails at the first read of the articles (record_article)
        _overwrite_table_page(db_file, "articles")
    capsys.readouterr()
    assert _generate(seeds_copy, tmp_path / "b") == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"briefing: cannot {'open' if damage == 'whole file' else 'use'} the")
    assert str(db_file) in err and "may be damaged: move it aside and run again" in err
    assert "unexpected error" not in err and "Traceback" not in err


def test_each_read_and_write_of_a_damaged_table_is_a_store_error(tmp_path: Path) -> None:
    article = load_corpus(SEEDS).articles[0]
    extraction = OfflineExtractor().extract(article)
    store = Store.open(tmp_path)
    store.save_extraction("k", article, extraction)
    store.record_review("c", "accepted", "me", None)
    store.close()
    for table in ("extractions", "reviews"):
        _overwrite_table_page(tmp_path / DB_FILENAME, table)
    store = Store.open(tmp_path)
    try:
        for failing in (
            lambda: store.cached_extraction("k"),
            lambda: store.save_extraction("k2", article, extraction),
            store.reviews,
            store.rejected_quotes,
        ):
            with pytest.raises(StoreError, match="may be damaged") as failure:
                failing()
            assert str(tmp_path / DB_FILENAME) in str(failure.value)
            assert isinstance(failure.value.__cause__, sqlite3.DatabaseError)
    finally:
        store.close()


def test_a_full_disk_is_a_store_error_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    article = load_corpus(SEEDS).articles[0]
    extraction = OfflineExtractor().extract(article)
    store = Store.open(tmp_path)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # the file cannot grow: SQLITE_FULL
    try:
        with pytest.raises(StoreError, match=r"the disk is full: free some space") as failure:
            store.save_extraction("k", article, extraction)
        assert str(tmp_path / DB_FILENAME) in str(failure.value)
        assert store.cached_extraction("k") is None
        assert not store.db.in_transaction
    finally:
        store.close()


def _make_read_only(path: Path) -> None:
    path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_citations_read_a_store_that_cannot_be_written(
    seeds_copy: Path,
    tmp_path: Path,
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _generate(seeds_copy, tmp_path / "b") == 0
    brief_file = tmp_path / "b" / "brief-2025-02-01_2025-05-28.json"
    claim = json.loads(brief_file.read_text())["citations"][0]["claim_id"]
    assert main(["review", claim, "--reject", "--corpus", str(seeds_copy)]) == 0
    db_file = isolated_environment / DB_FILENAME
    _make_read_only(db_file)
    _make_read_only(isolated_environment)
    try:
        capsys.readouterr()
        assert main(["citations", str(brief_file), "--format", "json", "--rejected"]) == 0
        rows = json.loads(capsys.readouterr().out)
        assert rows and {row["claim_id"] for row in rows} == {claim}
        assert {row["review"] for row in rows} == {"rejected"}
        store = Store.open(isolated_environment, read_only=True)
        try:
            # Where chmod binds (not root), the citations above read a store whose folder
            # cannot hold a -shm file; where it does not (root), mode=ro still refuses writes.
            with pytest.raises(StoreError, match="not writable"):
                store.record_review(claim, "accepted", "me", None)
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                store.db.execute("CREATE TABLE more (x)")
            assert store.reviews()[claim].decision == "rejected"
        finally:
            store.close()
    finally:
        isolated_environment.chmod(0o755)
        db_file.chmod(0o644)


def test_a_read_only_open_writes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.db.execute("PRAGMA journal_mode = DELETE")  # a store as an older version left it
    store.db.execute("DELETE FROM _migrations WHERE name = ?", (MIGRATIONS[-1][0],))
    store.close()
    db_file = tmp_path / DB_FILENAME
    before = db_file.read_bytes()
    store = Store.open(tmp_path, read_only=True)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS[:-1]]
    assert store.reviews() == {}
    store.close()
    assert db_file.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [DB_FILENAME]


def test_a_read_only_open_of_a_missing_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such file"):
        Store.open(tmp_path / "nowhere", read_only=True)
    assert not (tmp_path / "nowhere").exists()


def test_articles_and_extractions_saved_together_are_as_saved_one_by_one(tmp_path: Path) -> None:
    """record_articles and save_extractions write in one transaction what record_article
    and save_extraction write one at a time: the same rows."""
    articles = load_corpus(SEEDS).articles
    finished = [
        (cache_key(a, "offline", None, "v"), a, OfflineExtractor().extract(a)) for a in articles
    ]
    one_by_one, together = Store.open(tmp_path / "one"), Store.open(tmp_path / "together")
    for article in articles:
        one_by_one.record_article(article)
    for key, article, extraction in finished:
        one_by_one.save_extraction(key, article, extraction)
    together.record_articles(articles)
    together.save_extractions(finished)
    for table in ("articles", "extractions", "claims"):
        # The time of saving is the one column that may differ.
        rows = [
            sorted(
                row[:-1] if table != "claims" else row
                for row in store.db.execute(f"SELECT * FROM {table}")
            )
            for store in (one_by_one, together)
        ]
        assert rows[0] == rows[1] and rows[0], table
    one_by_one.close()
    together.close()
