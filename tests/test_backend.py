"""The backend seam: one factory, a fake backend through the whole pipeline, and failures
in any phase as one line with the finished work kept."""

from __future__ import annotations

import datetime as dt
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
def test_a_failure_after_extraction_keeps_the_extractions(
    phase: str, seeds_copy: Path, tmp_path: Path, isolated_environment: Path
) -> None:
    failure = LLMCallFailed(phase, "HTTP 500 from the API")
    failing = FakeBackend(**{f"fail_{phase}": failure})  # type: ignore[arg-type]
    with pytest.raises(LLMError, match=rf"{phase} call failed.*5 extracted article\(s\) are kept"):
        briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=failing)
    assert not (tmp_path / "b").exists()
    again = FakeBackend()
    briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=again)
    assert again.extracted == []  # every extraction came from the store


def test_one_article_that_fails_is_named_and_the_others_are_kept(
    seeds_copy: Path, tmp_path: Path
) -> None:
    bad = "seeds/002_98495e7bedb7fce5.txt"
    backend = FakeBackend(fail_extract={bad: BudgetExceeded("the call budget is spent")})
    with pytest.raises(briefing.ExtractionError, match=rf"1 of 5 .*{bad}: the call budget"):
        briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=backend)
    again = FakeBackend()
    briefing.generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", backend=again)
    assert again.extracted == [bad]


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    # The budget runs replay the full LLM run's cassette: a budget stops calls before they
    # are sent, so no call beyond those recorded there is made.
    return str(CASSETTES / "test_llm")


@pytest.mark.default_cassette("test_llm_brief_is_grounded_dated_and_complete.yaml")
@pytest.mark.vcr(record_mode="none")  # replays test_llm's cassette; never rewrites it
@pytest.mark.parametrize(("max_calls", "phase"), [(6, "relate"), (7, "compose")])
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
