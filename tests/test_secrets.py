"""The API key is never printed, logged, stored or recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.cli import main
from tests.conftest import CASSETTES, TEST_API_KEY, LLMEndpoint


@pytest.mark.vcr
def test_the_key_appears_in_no_output_log_store_cassette_or_error(
    llm: LLMEndpoint,
    seeds_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, log = tmp_path / "briefs", tmp_path / "weekly.log"
    base = ["--corpus", str(seeds_copy), "--out", str(out)]
    assert (
        main(
            [
                "generate",
                "--since",
                "2025-02-01",
                *base,
                "--format",
                "md,json,html",
                "--extractor",
                "llm",
            ]
        )
        == 0
    )
    assert (
        main(["citations", str(out / "brief-2025-02-01_2025-05-28.json"), "--format", "csv"]) == 0
    )
    assert (
        main(
            ["weekly", "--since", "2025-02-01", *base, "--extractor", "offline", "--log", str(log)]
        )
        == 0
    )
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: an error
    monkeypatch.setenv("BRIEFING_DEBUG", "1")
    assert (
        main(
            [
                "generate",
                "--since",
                "2025-02-01",
                "--corpus",
                str(seeds_copy),
                "--out",
                str(tmp_path / "x"),
                "--extractor",
                "llm",
                "--model",
                "another-model",
            ]
        )
        == 1
    )
    captured = capsys.readouterr()
    texts = [captured.out, captured.err]
    for path in [*tmp_path.rglob("*"), *CASSETTES.rglob("*")]:
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    assert log.exists() and any(p.name == "briefing.db" for p in tmp_path.rglob("*"))
    assert not [t for t in texts if TEST_API_KEY in t]
