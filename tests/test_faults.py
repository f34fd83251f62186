"""200 generated articles against a server that faults 20% of calls: nothing is lost."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

import briefing.llm.client
from briefing import generate
from briefing.errors import ExtractionError
from briefing.config import Settings
from tests.fixture_server import serve

ARTICLES = 200


def write_articles(folder: Path) -> None:
    folder.mkdir()
    for n in range(ARTICLES):
        (folder / f"a{n:03d}.txt").write_text(
            f" date 2025-03-{1 + n % 28:02d} 200\n"
            f"Officials in district {n} said {n + 3} aid convoys reached the front-line towns this week.\n"
            f"Local volunteers in district {n} said the convoys carried food, water and medicine.\n",
            encoding="utf-8",
        )


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_faulted_calls_end_extracted_or_reported_and_a_rerun_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path
) -> None:
    monkeypatch.setattr(briefing.llm.client, "BACKOFF_BASE_SECONDS", 0.0)
    corpus = tmp_path / "news"
    write_articles(corpus)
    server, state = serve(0, fault_rate=0.2, synthesize=True)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-faults")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    run = lambda: generate(  # noqa: E731
        dt.date(2025, 3, 1),
        corpus=corpus,
        out=tmp_path / "b",
        settings=Settings(backend="llm", concurrency=8),
    )
    try:
        try:
            first = run()
            failed: list[str] = []
        except ExtractionError as error:
            failed = [line for line in str(error).split("; ") if "news/a" in line]
            assert "run again to continue" in str(error)
        assert state.faulted >= 0.1 * state.requests  # faults really happened
        db = sqlite3.connect(isolated_environment / "briefing.db")
        stored = db.execute("SELECT count(*) FROM extractions").fetchone()[0]
        calls = dict(db.execute("SELECT status, count(*) FROM calls GROUP BY status"))
        assert calls.get("error", 0) > 0
        if failed:
            assert stored < ARTICLES and all(": " in line for line in failed)
        state.fault_rate = 0.0  # the API recovers; the rerun finishes the rest
        second = run()
        assert second.stats.cached == stored and second.stats.extracted == ARTICLES - stored
        # every stored claim went into the brief's aggregation: none lost on the way
        claims = db.execute("SELECT count(DISTINCT article_id || claim_id) FROM claims").fetchone()[
            0
        ]
        assert second.stats.claims_used == claims == ARTICLES
        assert len(second.brief.sources) == ARTICLES
        assert all(row.verified for row in second.brief.citations)
        if not failed:
            assert first.stats.extracted == ARTICLES
    finally:
        server.shutdown()
        server.server_close()
