"""The backend seam: one factory, a fake backend through the whole pipeline, and failures
in any phase as one line with the finished work kept."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

import briefing
from briefing.backend import make_backend
from briefing.config import Settings
from briefing.errors import BudgetExceeded, ConfigurationError, LLMCallFailed, LLMError
from briefing.store import Store
from briefing.testing import FakeBackend
from tests.conftest import CASSETTES, LLMEndpoint
from tests.factories import count_pools

SINCE = dt.date(2025, 2, 1)


def test_the_factory_decides_auto_once_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(tmp_path / "home")
    try:
        assert make_backend(Settings(), store).info.name == "offline"
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
        backend = make_backend(Settings(model="local-model"), store)
        assert backend.info.name == "llm" and backend.info.model == "local-model"
        monkeypatch.delenv("OPENAI_BASE_URL")
        with pytest.raises(ConfigurationError, match="needs an API"):
            make_backend(Settings(backend="llm"), store)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("concurrency", 0, "concurrency must be at least 1"),
        ("max_calls", -1, "max_calls must be 0 or more"),
        ("max_cost_usd", float("nan"), "max_cost_usd must be"),
        ("mode", "xml", "mode must be one of"),
        ("backend", "remote", "backend must be one of"),
    ],
)
def test_settings_name_the_field_that_is_wrong(field: str, value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings(**{field: value})  # type: ignore[arg-type]


def test_a_fake_backend_runs_the_whole_pipeline(seeds_copy: Path, tmp_path: Path) -> None:
    backend = FakeBackend()
    result = briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=backend)
    assert sorted(Path(p).name for p in backend.extracted) == sorted(
        p.name for p in seeds_copy.iterdir()
    )
    assert result.brief.extractor.name == "fake"
    # One first sentence per seed (source discrepancies are found by code, in any backend).
    composed = {
        c.claim_id
        for s in result.brief.sections
        if s.heading != "Source discrepancies"
        for i in s.items
        for c in i.citations
    }
    assert len(composed) == 5
    assert all(row.verified for row in result.brief.citations)
    assert not backend.closed  # a backend passed in belongs to the caller


def test_build_returns_the_brief_without_writing(seeds_copy: Path, tmp_path: Path) -> None:
    built = briefing.build_brief(SINCE, corpus=seeds_copy, backend=FakeBackend())
    assert built.brief.sources and not (tmp_path / "briefs").exists()
    paths = briefing.write_brief(built.brief, tmp_path / "out", "x", ["md", "json"])
    assert [p.name for p in paths] == ["x.md", "x.json"]


@pytest.mark.parametrize("phase", ["relate", "compose"])
def test_a_failed_relate_or_compose_call_falls_back_to_the_offline_rules_and_says_so(
    phase: str, seeds_copy: Path, tmp_path: Path
) -> None:
    failure = LLMCallFailed(phase, 'HTTP 500 from the server: "out of memory"')
    failing = FakeBackend(**{f"fail_{phase}": failure})  # type: ignore[arg-type]
    result = briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=failing)
    assert result.stats.partial and len(result.stats.fallbacks) == 1
    assert result.stats.failed == []
    note = [n for n in result.brief.notes if "the model's call failed" in n]
    assert len(note) == 1 and f"{phase} call failed" in note[0] and "out of memory" in note[0]
    offline = briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "c", backend=FakeBackend())
    # the offline rules wrote what they write when asked: the same sections
    assert [s.heading for s in result.brief.sections] == [s.heading for s in offline.brief.sections]
    assert not offline.stats.partial


@pytest.mark.parametrize("phase", ["relate", "compose"])
def test_a_budget_stop_after_extraction_keeps_the_extractions(
    phase: str, seeds_copy: Path, tmp_path: Path
) -> None:
    failure = BudgetExceeded("the call budget is spent (max_calls=5)")
    failing = FakeBackend(**{f"fail_{phase}": failure})  # type: ignore[arg-type]
    with pytest.raises(LLMError, match=r"budget is spent.*5 extracted article\(s\) are kept"):
        briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=failing)
    assert not (tmp_path / "b").exists()
    again = FakeBackend()
    briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=again)
    assert again.extracted == []  # every extraction came from the store


def test_one_article_that_fails_is_named_and_the_brief_is_written_from_the_rest(
    seeds_copy: Path, tmp_path: Path
) -> None:
    bad = "seeds/002_98495e7bedb7fce5.txt"
    cause = LLMCallFailed("extract", "the answer was cut off at 512 tokens")
    backend = FakeBackend(fail_extract={bad: cause})
    result = briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=backend)
    assert [str(p) for p in result.stats.failed] == [f"{bad}: {cause.reason}"]
    assert result.stats.partial and result.stats.extracted == 4
    assert result.excluded == 0  # not read is not outside the period
    assert bad not in {s.path for s in result.brief.sources}
    assert all(p.exists() for p in result.paths)
    note = [n for n in result.brief.notes if n.startswith("partial brief:")]
    assert note == [
        f"partial brief: 1 article(s) could not be read and are not in it: {bad}: {cause.reason}"
    ]
    markdown = result.paths[0].read_text(encoding="utf-8")
    assert "partial brief: 1 article(s) could not be read" in markdown
    assert "98495e7bedb7fce5" in markdown  # the file, as Markdown escapes its name
    again = FakeBackend()
    second = briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=again)
    assert again.extracted == [bad] and not second.stats.partial


def test_a_refusal_every_call_would_meet_stops_the_run_and_sends_no_more(
    seeds_copy: Path, tmp_path: Path
) -> None:
    bad = "seeds/000_77f07ec1b4ff83f4.txt"
    refusal = LLMCallFailed("extract", "HTTP 500: json_schema unsupported", fatal=True)
    backend = FakeBackend(fail_extract={bad: refusal}, concurrency=1)
    with pytest.raises(briefing.ExtractionError, match=rf"5 of 5 .*{bad}: HTTP 500: json_schema"):
        briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=backend)
    assert backend.extracted == [bad]  # the other four were never sent
    assert not (tmp_path / "b").exists()


def test_when_no_article_can_be_read_there_is_no_brief(seeds_copy: Path, tmp_path: Path) -> None:
    paths = [f"seeds/{p.name}" for p in sorted(seeds_copy.iterdir())]
    cause = LLMCallFailed("extract", "no valid answer after 3 attempt(s): claims: Field required")
    backend = FakeBackend(fail_extract=dict.fromkeys(paths, cause))
    with pytest.raises(briefing.ExtractionError, match=r"5 of 5 article\(s\) not extracted"):
        briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=backend)
    assert not (tmp_path / "b").exists()


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    # The budget runs replay the full LLM run's cassette: a budget stops calls before they
    # are sent, so no call beyond those recorded there is made.
    return str(CASSETTES / "test_llm")


@pytest.mark.default_cassette("test_llm_brief_is_grounded_dated_and_complete.yaml")
@pytest.mark.vcr(record_mode="none")  # replays test_llm's cassette; never rewrites it
@pytest.mark.parametrize(("max_calls", "phase"), [(6, "relate"), (7, "relate"), (8, "compose")])
def test_a_call_budget_hit_in_any_phase_is_one_line_and_keeps_the_work(
    max_calls: int,
    phase: str,
    llm: LLMEndpoint,
    seeds_copy: Path,
    tmp_path: Path,
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from briefing.cli import main

    out = tmp_path / "b"
    args = ["generate", "--since", "2025-02-01", "--corpus", str(seeds_copy), "--out", str(out)]
    code = main([*args, "--extractor", "llm", "--max-calls", str(max_calls)])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("briefing:")]
    assert len(lines) == 1 and "Traceback" not in err
    assert f"{phase}" in lines[0] and "max_calls" in lines[0] and "kept in the store" in lines[0]
    db = sqlite3.connect(isolated_environment / "briefing.db")
    assert db.execute("SELECT count(*) FROM extractions").fetchone()[0] == 5
    assert not out.exists()


def test_an_article_that_gives_no_claim_is_counted_and_named(
    seeds_copy: Path, tmp_path: Path
) -> None:
    from briefing.testing import first_sentence_claim

    empty = "seeds/001_d5faee400927be79.txt"
    backend = FakeBackend(claims_for=lambda a: [] if a.path == empty else first_sentence_claim(a))
    result = briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=backend)
    assert result.stats.empty == [empty] and not result.stats.partial
    assert f"1 article(s) gave no claim: {empty}" in result.brief.notes


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_articles_prepared_in_worker_processes_give_the_same_brief_and_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path, seeds_copy: Path
) -> None:
    """At high concurrency an article's sentences and people are found in a worker process;
    the calls sent and the brief are those of a run that finds them on the event loop."""
    from briefing import generate, workers
    from briefing.llm import backend
    from tests.fixture_server import serve

    server, state = serve(0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-workers")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}/v1")
    pools = count_pools(monkeypatch, workers)
    try:
        inline = generate(
            SINCE, corpus=seeds_copy, out=tmp_path / "inline", settings=Settings(backend="llm")
        )
        inline_requests = sorted(json.dumps(r, sort_keys=True) for r in state.received)
        assert pools == []
        state.received.clear()
        monkeypatch.setenv("BRIEFING_HOME", str(tmp_path / "other-home"))
        concurrency = backend.PREPARE_IN_WORKERS_FROM_CONCURRENCY
        pooled = generate(
            SINCE,
            corpus=seeds_copy,
            out=tmp_path / "pooled",
            settings=Settings(backend="llm", concurrency=concurrency),
        )
    finally:
        server.shutdown()
        server.server_close()
    assert len(pools) == 1 and pooled.stats.extracted == 5 and pooled.stats.cached == 0
    assert sorted(json.dumps(r, sort_keys=True) for r in state.received) == inline_requests
    assert pooled.brief == inline.brief
