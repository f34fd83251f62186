"""The LLM path end to end, replayed from cassettes recorded against tests/fixture_server.py."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from openai.types.chat import ChatCompletion

from briefing import generate
from briefing.config import Settings
from briefing.errors import ExtractionError
from briefing.llm.extract import numbered_text, split_into_parts
from briefing.sentences import number_sentences
from tests.conftest import CASSETTES, TEST_API_KEY, LLMEndpoint
from tests.test_pipeline import MAIN_DEVELOPMENTS

SINCE = dt.date(2025, 2, 1)


def llm_generate(corpus: Path, out: Path, **options: object) -> object:
    return generate(SINCE, corpus=corpus, out=out, settings=Settings(backend="llm", **options))  # type: ignore[arg-type]


@pytest.mark.vcr
def test_llm_brief_is_grounded_dated_and_complete(
    llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path, isolated_environment: Path
) -> None:
    result = llm_generate(seeds_copy, tmp_path / "b")
    brief = result.brief  # type: ignore[attr-defined]
    stats = result.stats  # type: ignore[attr-defined]
    # the brief names the model the server says answered, not the one requested (gpt-4o-mini)
    assert brief.extractor.name == "llm" and brief.extractor.model == "briefing-fixture-server"
    assert brief.extractor.prompt_version.startswith("extract_claims@")
    # every quote verbatim at its offsets in the raw file
    for row in brief.citations:
        raw = (seeds_copy.parent / row.path).read_text(encoding="utf-8")
        assert raw[row.start : row.end] == row.quote
    # the three undated seeds carry inferred dates; the two dated ones their header dates
    by_seed = {Path(s.path).name[:3]: s for s in brief.sources}
    assert {k: s.date_source for k, s in by_seed.items()} == {
        "000": "header",
        "001": "header",
        "002": "inferred",
        "003": "inferred",
        "004": "inferred",
    }
    assert all(s.published is not None and s.cited for s in brief.sources)
    # seed 003's first answer had an ungrounded quote: it was sent back and corrected
    assert stats.reasks == 1
    assert stats.dropped_claims == 0
    # the fixture server has no known price: the cost is unknown, not gpt-4o-mini's
    assert stats.usage.prompt_tokens > 0 and stats.usage.completion_tokens > 0
    assert not stats.usage.priced and stats.usage.unpriced_models == {"briefing-fixture-server"}
    assert stats.dropped_sentences == 0
    # findings cover the main developments of every seed
    quoted: dict[str, str] = {}
    for row in brief.citations:
        key = Path(row.path).name[:3]
        quoted[key] = quoted.get(key, "") + " " + " ".join(row.quote.split())
    for seed, phrases in MAIN_DEVELOPMENTS.items():
        covered = [p for p in phrases if p in quoted.get(seed, "")]
        assert len(covered) >= len(phrases) - 1, (seed, set(phrases) - set(covered))
    # the composed brief: every item cites a verified quote; the seeds' conflicts, both sides cited
    sections = {section.heading: section.items for section in brief.sections}
    assert list(sections)[:5] == [
        "Summary",
        "Key developments",
        "Positions by actor",
        "Conflicting reports",
        "Open questions",
    ]
    # every item's citations stand verbatim at their offsets in their source files
    paths = {source.id: source.path for source in brief.sources}
    for items in sections.values():
        for item in items:
            for citation in item.citations:
                raw = (seeds_copy.parent / paths[citation.source]).read_text(encoding="utf-8")
                assert raw[citation.start : citation.end] == citation.quote
    assert all(row.verified for row in brief.citations)
    conflicts = sections["Conflicting reports"]
    texts = " ".join(item.text for item in conflicts)
    assert "backstop" in texts and "Putin" in texts and "normal pace" in texts
    for item in conflicts:
        assert len({c.claim_id for c in item.citations}) >= 2
    assert sum(len({c.source for c in item.citations}) >= 2 for item in conflicts) >= 2
    assert "Source discrepancies" in sections
    updates = sections["Differing estimates and later updates"]
    assert any(item.text.startswith("Differing estimates, not a conflict") for item in updates)
    # a finding stands in one section: no side of a conflict is shown again as an update
    sides = {c.claim_id for item in conflicts for c in item.citations}
    assert not any(sides & {c.claim_id for c in item.citations} for item in updates)
    for heading in ("Key developments", "Positions by actor"):  # nor retold there
        assert not any(
            {c.claim_id for c in i.citations} <= sides for i in sections.get(heading, [])
        )
    # the call log has every call, and no key anywhere in the store
    db = sqlite3.connect(isolated_environment / "briefing.db")
    calls = dict(db.execute("SELECT purpose, count(*) FROM calls WHERE status = 'ok' GROUP BY 1"))
    assert calls["extract"] == 5 + stats.reasks
    # one call per seed plus the re-ask; the seeds' first 200 candidate pairs judged in two
    # calls of 100; compose's first draft (compose.json "first_answer") is sent back once
    assert calls == {"extract": 5 + stats.reasks, "relate": 2, "compose": 2}
    assert sum(calls.values()) == stats.usage.calls
    logged_models = {row[0] for row in db.execute("SELECT DISTINCT model FROM calls")}
    assert logged_models == {"briefing-fixture-server"}
    dump = "\n".join(db.iterdump())
    assert TEST_API_KEY not in dump
    assert "inferred" in dump


@pytest.mark.vcr
def test_second_run_makes_no_call(llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path) -> None:
    first = llm_generate(seeds_copy, tmp_path / "b")
    # the cassette holds each exchange once: any new call would fail to replay
    second = llm_generate(seeds_copy, tmp_path / "b")
    assert second.stats.usage.calls == 0 and second.stats.cached == 5  # type: ignore[attr-defined]
    # the same brief, naming the model that answered the first run's calls
    assert second.brief == first.brief  # type: ignore[attr-defined]
    assert second.brief.extractor.model == "briefing-fixture-server"  # type: ignore[attr-defined]


@pytest.mark.vcr
def test_rate_limit_and_broken_bodies_are_retried(
    llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path
) -> None:
    llm.queue_faults("429", "malformed", "503")
    result = llm_generate(seeds_copy, tmp_path / "b", concurrency=1)
    usage = result.stats.usage  # type: ignore[attr-defined]
    assert usage.retries == 3
    assert len(result.brief.sources) == 5  # type: ignore[attr-defined]


@pytest.mark.vcr
def test_max_calls_stops_cleanly_and_keeps_finished_work(
    llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path, isolated_environment: Path
) -> None:
    with pytest.raises(
        ExtractionError, match=r"budget is spent \(max_calls=2\).*2 finished are kept"
    ):
        llm_generate(seeds_copy, tmp_path / "b", concurrency=1, max_calls=2)
    db = sqlite3.connect(isolated_environment / "briefing.db")
    assert db.execute("SELECT count(*) FROM extractions").fetchone()[0] == 2
    assert not (tmp_path / "b").exists()


def test_unreachable_server_names_the_article_and_keeps_nothing_half_done(
    seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import briefing.llm.client

    monkeypatch.setattr(briefing.llm.client, "BACKOFF_BASE_SECONDS", 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    with pytest.raises(ExtractionError) as failure:
        llm_generate(seeds_copy, tmp_path / "b")
    message = str(failure.value)
    assert "5 of 5 article(s) not extracted" in message and "seeds/00" in message
    assert "cannot connect to the API" in message
    assert TEST_API_KEY not in message


def test_recorded_responses_are_chat_completions_from_the_fixture_server() -> None:
    # test_real_model's cassettes hold a real model's answers (tests/test_real_model.py)
    cassettes = sorted(p for p in CASSETTES.glob("**/*.yaml") if p.parent.name != "test_real_model")
    assert cassettes, "no cassettes recorded"
    parsed = 0
    for path in cassettes:
        text = path.read_text(encoding="utf-8")
        assert TEST_API_KEY not in text and "Bearer" not in text
        for interaction in yaml.safe_load(text)["interactions"]:
            response = interaction["response"]
            if response["status"]["code"] != 200:
                continue
            if not interaction["request"]["uri"].endswith("/chat/completions"):
                continue  # the Files and Batch endpoints: see test_batch.py
            body = response["body"]["string"]
            try:
                payload = json.loads(body)
            except json.JSONDecodeError:
                continue  # the recorded malformed body, retried by the client
            completion = ChatCompletion.model_validate(payload)
            assert completion.model == "briefing-fixture-server"
            parsed += 1
    assert parsed >= 6


def test_long_articles_are_split_between_paragraphs_within_budget() -> None:
    paragraphs = [
        " ".join(f"Paragraph {n} says thing {k} about troops." for k in range(20))
        for n in range(30)
    ]
    sentences = number_sentences("\n\n".join(paragraphs))
    parts = split_into_parts(sentences, 4000)
    assert len(parts) > 1
    assert all(len(numbered_text(part)) <= 4000 for part in parts)
    # every sentence is sent once, in order, and its number is the same in every part
    assert [s.number for part in parts for s in part] == list(range(1, len(sentences) + 1))
    # parts are cut where a paragraph opens, not inside one
    assert all(part[0].opens_paragraph for part in parts)


@pytest.mark.vcr
def test_an_auth_error_names_the_article_and_the_fix(
    llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path
) -> None:
    llm.queue_faults("401")
    with pytest.raises(ExtractionError) as failure:
        llm_generate(seeds_copy, tmp_path / "b", concurrency=1)
    message = str(failure.value)
    # a refused key refuses every call: the run stops at the first, and sends no more
    assert "5 of 5 article(s) not extracted" in message
    assert "seeds/000_77f07ec1b4ff83f4.txt: the API refused the key (HTTP 401)" in message
    assert "The 0 finished are kept in the store" in message
    assert failure.value.usage is not None and failure.value.usage.calls == 1


@pytest.mark.vcr
def test_cli_llm_run_never_shows_the_key(
    llm: LLMEndpoint,
    seeds_copy: Path,
    tmp_path: Path,
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from briefing.cli import main

    out = tmp_path / "b"
    code = main(
        [
            "generate",
            "--since",
            "2025-02-01",
            "--corpus",
            str(seeds_copy),
            "--out",
            str(out),
            "--format",
            "md,json,html",
            "--extractor",
            "llm",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "LLM: " in captured.err and " calls, 1 re-asks" in captured.err
    written = [p.read_text(encoding="utf-8") for p in out.iterdir()]
    store = sqlite3.connect(isolated_environment / "briefing.db")
    everything = "\n".join([captured.out, captured.err, *written, *store.iterdump()])
    assert TEST_API_KEY not in everything
    assert "(inferred)" in (out / "brief-2025-02-01_2025-05-28.md").read_text(encoding="utf-8")


def test_max_cost_stops_before_the_budget_is_passed() -> None:
    import asyncio

    from briefing.errors import BudgetExceeded
    from briefing.llm.client import Budget, LLMClient, LLMSettings

    client = LLMClient(
        LLMSettings(
            model="gpt-4o", base_url="http://127.0.0.1:9/v1", budget=Budget(max_cost_usd=0.001)
        )
    )
    client.usage.cost_usd = 0.0009
    with pytest.raises(BudgetExceeded, match=r"cost budget would be passed \(max_cost_usd=0.00"):
        asyncio.run(
            client.complete(model="gpt-4o", messages=[{"role": "user", "content": "x" * 4000}])
        )
    assert client.usage.calls == 0
    asyncio.run(client.close())
