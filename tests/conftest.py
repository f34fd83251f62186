"""Shared fixtures: every test runs with its own store and with no LLM configured.

LLM tests replay cassettes from cassettes/ (pytest-recording, --record-mode=none and
--block-network by default). To record them again, run pytest with
--record-mode=rewrite: the `llm` fixture then starts the fixture server on
127.0.0.1:8765, or, with BRIEFING_RECORD_BASE_URL and BRIEFING_RECORD_API_KEY set,
records against that API instead.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Re-ask messages quote pydantic errors; without the docs URL they are stable across versions.
os.environ["PYDANTIC_ERRORS_INCLUDE_URL"] = "0"

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CASSETTES = ROOT / "cassettes"
FIXTURE_PORT = 8765
# A recognisable fake key: tests search outputs, the store and cassettes for it.
TEST_API_KEY = "sk-test-briefing-0123456789abcdef"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("BRIEFING_HOME", str(home))
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "BRIEFING_BASE_URL",
        "BRIEFING_MODEL",
        "BRIEFING_DEBUG",
        "BRIEFING_TIMEOUT",
        "BRIEFING_LEXICON",
        "BRIEFING_MODE",
        "BRIEFING_MAX_TOKENS",
        "BRIEFING_CONTEXT",
        "BRIEFING_PART_TOKENS",
        "BRIEFING_TEMPERATURE",
        "BRIEFING_REASKS",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds in tmp_path/seeds."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def _prompt_of(request: Any) -> tuple[Any, ...]:
    """What identifies an LLM call: model, the prompt (system + user), and which attempt.

    Not the whole body: instructor's JSON schema and re-ask wording change between
    releases, and a cassette must keep replaying on a fresh install.
    """
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return (request.body,)
    messages = body.get("messages", [])
    return (body.get("model"), json.dumps(messages[:2], sort_keys=True), len(messages))


def _same_prompt(first: Any, second: Any) -> None:
    assert _prompt_of(first) == _prompt_of(second)


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    vcr.register_matcher("llm_prompt", _same_prompt)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": ["authorization", "api-key", "x-api-key", "openai-organization"],
        "filter_query_parameters": ["api-key", "key", "api_key"],
        "decode_compressed_response": True,
        # Host and port differ between the fixture server and a real API.
        "match_on": ["method", "path", "llm_prompt"],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / request.module.__name__.split(".")[-1])


@pytest.fixture
def recording(request: pytest.FixtureRequest) -> bool:
    return request.config.getoption("--record-mode") not in ("none", None)


class LLMEndpoint:
    """Where LLM calls go; faults queued here reach the fixture server only while recording."""

    def __init__(self, url: str, state: Any = None) -> None:
        self.url = url
        self._state = state

    def queue_faults(self, *faults: str) -> None:
        if self._state is not None:
            self._state.faults.extend(faults)


@pytest.fixture
def llm(recording: bool, monkeypatch: pytest.MonkeyPatch) -> Iterator[LLMEndpoint]:
    """The LLM endpoint, configured in the environment as a user would configure it."""
    import briefing.llm.client

    monkeypatch.setattr(briefing.llm.client, "BACKOFF_BASE_SECONDS", 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", os.environ.get("BRIEFING_RECORD_API_KEY", TEST_API_KEY))
    real = os.environ.get("BRIEFING_RECORD_BASE_URL")
    if recording and real:
        monkeypatch.setenv("OPENAI_BASE_URL", real)
        yield LLMEndpoint(real)
        return
    url = f"http://127.0.0.1:{FIXTURE_PORT}/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    if not recording:
        yield LLMEndpoint(url)
        return
    from tests.fixture_server import serve

    server, state = serve(FIXTURE_PORT)
    try:
        yield LLMEndpoint(url, state)
    finally:
        server.shutdown()
        server.server_close()
