"""What a real server needs and how it fails: the answer cap on every call, a refused mode
or parameter, a context too small, a cut-off answer, and `briefing doctor`. Each runs
against tests/fixture_server.py on 127.0.0.1, made to act as a server with limits."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import briefing.llm.client
from briefing import generate
from briefing.cli import main
from briefing.config import Settings
from briefing.errors import ConfigurationError, ExtractionError, LLMCallFailed
from briefing.llm.backend import part_tokens_for_context
from briefing.llm.client import describe_error, is_fatal, is_transient
from tests.conftest import TEST_API_KEY
from tests.fixture_server import FixtureState, serve

SINCE = dt.date(2025, 2, 1)
pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Starts a fixture server with the given limits and points the environment at it."""
    monkeypatch.setattr(briefing.llm.client, "BACKOFF_BASE_SECONDS", 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    started = []

    def start(**limits: Any) -> FixtureState:
        httpd, state = serve(0, **limits)
        started.append(httpd)
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{httpd.server_address[1]}/v1")
        return state

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def run(corpus: Path, out: Path, **options: Any) -> Any:
    return generate(SINCE, corpus=corpus, out=out, settings=Settings(backend="llm", **options))


def test_every_call_carries_the_answer_cap_and_the_temperature(
    server: Any, seeds_copy: Path, tmp_path: Path
) -> None:
    state = server()
    result = run(seeds_copy, tmp_path / "b", max_tokens=3500, temperature=0.3, reasks=1)
    assert len(result.brief.sources) == 5
    assert len(state.received) == result.stats.usage.calls >= 7  # extract, relate, compose
    assert all(r["max_tokens"] == 3500 and r["temperature"] == 0.3 for r in state.received)


def test_a_model_that_takes_max_completion_tokens_is_asked_so_after_one_refusal(
    server: Any, seeds_copy: Path, tmp_path: Path
) -> None:
    state = server(wants_max_completion_tokens=True)
    result = run(seeds_copy, tmp_path / "b", concurrency=1, max_tokens=3000)
    assert len(result.brief.sources) == 5 and not result.stats.partial
    assert "max_tokens" in state.received[0]  # refused once ...
    assert all(r.get("max_completion_tokens") == 3000 for r in state.received[1:])
    assert sum("max_tokens" in r for r in state.received) == 1  # ... and never sent again


def test_a_refused_mode_fails_fast_in_the_servers_words_with_the_fix(
    server: Any, seeds_copy: Path, tmp_path: Path
) -> None:
    state = server(rejected_modes={"json_schema"})
    with pytest.raises(ExtractionError) as failure:
        run(seeds_copy, tmp_path / "b", mode="json_schema", concurrency=1)
    message = str(failure.value)
    # one request: a 500 naming what it cannot do is no fault to retry, and no other
    # article is sent to meet the same refusal
    assert len(state.received) == 1
    assert "5 of 5 article(s) not extracted" in message
    assert "HTTP 500 from the server" in message and "Input should be 'text'" in message
    assert "try another --mode" in message and "briefing doctor" in message
    assert "\n" not in message and "File " not in message


def test_a_context_overflow_names_the_article_the_limit_and_the_fix_and_the_rest_is_written(
    server: Any, seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = server(faults=["context"])
    out = tmp_path / "b"
    args = ["generate", "--since", "2025-02-01", "--corpus", str(seeds_copy), "--out", str(out)]
    code = main([*args, "--extractor", "llm", "--concurrency", "1"])
    err = capsys.readouterr().err
    assert code == 3, err
    not_read = [line for line in err.splitlines() if line.startswith("not read: ")]
    assert len(not_read) == 1 and "seeds/000_" in not_read[0]
    assert "maximum context length is" in not_read[0] and "--context" in not_read[0]
    assert "partial brief" in err and "LLM: " in err and "Traceback" not in err
    markdown = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert "partial brief: 1 article(s) could not be read" in markdown
    # the refused request was not retried
    first = state.received[0]["messages"]
    assert sum(r["messages"] == first for r in state.received) == 1


def write_long_corpus(folder: Path) -> None:
    """One long article (about 3,300 estimated tokens) and two short ones."""
    folder.mkdir()
    paragraphs = [
        f"Officials in district {n} said {n + 3} aid convoys reached the towns on the coast."
        f" Volunteers in district {n} said the convoys carried food, water and medicine"
        f" to {n + 40} families waiting at the schools and the clinics of the district."
        for n in range(60)
    ]
    (folder / "long.txt").write_text(
        " date 2025-03-02 200\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8"
    )
    for n in range(2):
        (folder / f"short{n}.txt").write_text(
            f" date 2025-03-0{n + 3} 200\nThe port of town {n} reopened on Monday after a storm.\n",
            encoding="utf-8",
        )


def test_a_small_context_is_met_by_deriving_the_part_size_from_it(
    server: Any, tmp_path: Path
) -> None:
    corpus = tmp_path / "news"
    write_long_corpus(corpus)
    state = server(context_tokens=4096, synthesize=True)
    # The defaults (a 4,096-token answer cap, 6,000-token parts) pass a 4,096 context.
    with pytest.raises(ExtractionError, match="maximum context length is 4096 tokens"):
        run(corpus, tmp_path / "b", concurrency=1)
    refused = len(state.received)
    result = run(corpus, tmp_path / "b", concurrency=1, context_tokens=4096, max_tokens=256)
    assert not result.stats.partial and len(result.brief.sources) == 3
    sent = state.received[refused:]
    long_parts = [r for r in sent if "district 0" in str(r) or "district 59" in str(r)]
    assert len(long_parts) >= 2  # the long article went in parts that fit


def test_a_context_too_small_for_the_answers_is_a_configuration_error() -> None:
    assert part_tokens_for_context(8192, 1024, 1) > part_tokens_for_context(8192, 1024, 2) > 0
    with pytest.raises(ConfigurationError, match=r"context of 2048 tokens leaves no room.*--max"):
        part_tokens_for_context(2048, 1024, 2)


def test_a_cut_off_answer_is_one_line_naming_the_cap(
    server: Any, seeds_copy: Path, tmp_path: Path
) -> None:
    server(faults=["length"])
    result = run(seeds_copy, tmp_path / "b", concurrency=1, max_tokens=3000)
    assert [p.path for p in result.stats.failed] == ["seeds/000_77f07ec1b4ff83f4.txt"]
    reason = result.stats.failed[0].reason
    assert reason.startswith("the answer was cut off at the cap of 3000 tokens")
    assert "--max-tokens" in reason and "\n" not in reason
    assert len(result.brief.sources) == 4


def test_an_answer_cap_too_small_for_any_answer_stops_with_the_cause(
    server: Any, seeds_copy: Path, tmp_path: Path
) -> None:
    server()
    with pytest.raises(
        ExtractionError, match=r"5 of 5 .*cut off at the cap of 16 tokens"
    ) as failure:
        run(seeds_copy, tmp_path / "b", max_tokens=16)
    assert failure.value.usage is not None and failure.value.usage.calls == 5


def _status_error(status: int, body: Any) -> openai.APIStatusError:
    import httpx2

    request = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    response = httpx2.Response(status, request=request, json=body)
    kinds = {400: openai.BadRequestError, 404: openai.NotFoundError}
    kind = kinds.get(status, openai.InternalServerError if status >= 500 else openai.APIStatusError)
    data = body.get("error", body) if isinstance(body, dict) else body
    return kind(f"Error code: {status}", response=response, body=data)


@pytest.mark.parametrize(
    ("status", "body", "words", "transient", "fatal"),
    [
        (
            500,
            {"error": {"message": "model crashed"}},
            'HTTP 500 from the server: "model crashed"',
            True,
            False,
        ),
        (503, "upstream busy", 'HTTP 503 from the server: "upstream busy"', True, False),
        (
            500,
            {"error": {"message": "response_format json_schema is not supported\n\n  File x.py"}},
            'json_schema is not supported" (the server cannot do what this request asks',
            False,
            True,
        ),
        (
            400,
            {
                "error": {
                    "message": "This model's maximum context length is 2048 tokens. However, you requested 2181 tokens"
                }
            },
            'maximum context length is 2048 tokens. However, you requested 2181 tokens" (the article part',
            False,
            False,
        ),
        (
            400,
            {"detail": [{"msg": "Field required"}, {"msg": "Extra inputs are not permitted"}]},
            "Field required; Extra inputs",
            False,
            True,
        ),
        (
            404,
            {"error": {"message": "model 'llama9' not found"}},
            "check --model and the base URL: \"model 'llama9' not found\"",
            False,
            True,
        ),
    ],
)
def test_a_server_error_is_told_in_its_own_words(
    status: int, body: Any, words: str, transient: bool, fatal: bool
) -> None:
    error = _status_error(status, body)
    described = describe_error(error)
    assert words in described and "\n" not in described
    assert is_transient(error) is transient and is_fatal(error) is fatal


def test_a_server_echoing_the_key_never_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    error = _status_error(400, {"error": {"message": f"bad request from {TEST_API_KEY}"}})
    assert TEST_API_KEY not in describe_error(error) and "***" in describe_error(error)


def test_an_odd_answer_instructor_cannot_read_fails_the_call_not_the_run() -> None:
    from pydantic import BaseModel

    from briefing.llm.calls import StructuredCalls
    from briefing.llm.client import CallScope, LLMClient, LLMSettings

    class Answer(BaseModel):
        text: str

    calls = StructuredCalls(LLMClient(LLMSettings(model="m", base_url="http://127.0.0.1:9/v1")))

    async def choke(**kwargs: Any) -> Any:
        raise TypeError("'NoneType' object is not subscriptable")

    calls._create = choke
    with pytest.raises(LLMCallFailed) as failure:
        asyncio.run(calls.call([], Answer, scope=CallScope("extract"), context={}, max_reasks=0))
    assert str(failure.value) == (
        "extract call failed: the answer could not be read:"
        " TypeError: 'NoneType' object is not subscriptable"
    )


def test_doctor_names_the_mode_that_works_the_context_and_the_settings(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    state = server(rejected_modes={"json_schema"}, context_tokens=8192)
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].endswith("(reachable)")
    assert "the server lists briefing-fixture-server" in out
    assert "answers name the model: briefing-fixture-server" in out
    assert "context: 8192 tokens (from the server's /props (n_ctx))" in out
    modes = {line.split()[1]: line.split()[2] for line in lines if line.startswith("mode ")}
    assert modes == {"tools": "works", "json_schema": "fails", "json": "works", "md_json": "works"}
    refused = next(line for line in lines if line.startswith("mode json_schema"))
    assert "HTTP 500 from the server" in refused and "Input should be 'text'" in refused
    assert "use: --mode tools" in out
    assert "export BRIEFING_MODE=tools" in out and "export BRIEFING_CONTEXT=8192" in out
    assert "--concurrency 1" in out  # a local server that tells no slot count
    # one check per mode and one speed check, each small
    assert len(state.received) == 5
    assert all(r["max_tokens"] <= 200 for r in state.received)
    assert "tokens/s writing an answer in the extraction schema" in out
    assert TEST_API_KEY not in out


def test_the_suggested_settings_fit_the_context_the_doctor_found(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    server(context_tokens=4096)
    assert main(["doctor"]) == 0
    suggested = dict(
        line.split("export ", 1)[1].split("=", 1)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("  export ")
    )
    settings = Settings(
        context_tokens=int(suggested["BRIEFING_CONTEXT"]),
        max_tokens=int(suggested["BRIEFING_MAX_TOKENS"]),
        reasks=int(suggested["BRIEFING_REASKS"]),
    )
    assert settings.max_tokens is not None and settings.reasks is not None
    assert part_tokens_for_context(4096, settings.max_tokens, settings.reasks) >= 200


def test_doctor_says_when_nothing_answers_and_when_no_mode_works(
    server: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "NOT reachable: cannot connect to the API at 127.0.0.1:9" in out
    server(rejected_modes={"tools", "json_schema", "json", "md_json"})
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert out.count(" fails ") == 4 and "no mode works" in out


@pytest.mark.parametrize("command", ["generate", "weekly"])
def test_the_settings_a_server_needs_are_options_and_environment_variables(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main([command, "-h"]) == 0
    out = capsys.readouterr().out
    for option, variable in [
        ("--timeout", "BRIEFING_TIMEOUT"),
        ("--max-tokens", "BRIEFING_MAX_TOKENS"),
        ("--context", "BRIEFING_CONTEXT"),
        ("--part-tokens", "BRIEFING_PART_TOKENS"),
        ("--temperature", "BRIEFING_TEMPERATURE"),
        ("--reasks", "BRIEFING_REASKS"),
    ]:
        assert option in out and f"env var: {variable}" in out, option


def test_the_environment_reaches_the_backend(
    seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from briefing import cli
    from briefing.errors import BriefingError
    from briefing.llm.backend import LLMBackend
    from briefing.store import Store

    seen: dict[str, Settings] = {}

    def fake_generate(*args: Any, settings: Settings, **kwargs: Any) -> Any:
        seen["settings"] = settings
        raise BriefingError("stop here")

    monkeypatch.setattr(cli, "generate_brief", fake_generate)
    for name, value in [
        ("BRIEFING_MAX_TOKENS", "700"),
        ("BRIEFING_CONTEXT", "8192"),
        ("BRIEFING_TEMPERATURE", "0.4"),
        ("BRIEFING_REASKS", "1"),
    ]:
        monkeypatch.setenv(name, value)
    assert main(["generate", "--since", "2025-02-01", "--corpus", str(seeds_copy)]) == 1
    settings = seen["settings"]
    assert (settings.max_tokens, settings.context_tokens) == (700, 8192)
    assert (settings.temperature, settings.reasks, settings.part_tokens) == (0.4, 1, None)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    store = Store.open(seeds_copy.parent / "home")
    try:
        backend = LLMBackend.from_settings(settings, store)
        assert backend.client.settings.max_tokens == 700
        assert backend.client.settings.temperature == 0.4
        assert backend.extractor.max_reasks == 1 and backend.reasks == 1
        part = part_tokens_for_context(8192, 700, 1)
        assert backend.extractor.max_part_chars == part * 4
        explicit = LLMBackend.from_settings(Settings(part_tokens=900), store)
        assert explicit.extractor.max_part_chars == 900 * 4
        asyncio.run(backend.aclose())
        asyncio.run(explicit.aclose())
    finally:
        store.close()


def test_no_compose_call_is_made_without_findings() -> None:
    from briefing.aggregate import group_syndicated
    from briefing.assemble import BriefContext
    from briefing.backend import Related
    from briefing.llm.backend import LLMBackend
    from briefing.llm.client import LLMClient, LLMSettings
    from briefing.schemas import ExtractorInfo, Period

    backend = LLMBackend(LLMClient(LLMSettings(model="m", base_url="http://127.0.0.1:9/v1")))
    context = BriefContext(
        period=Period(since=SINCE, until=SINCE),
        articles=[],
        groups=group_syndicated([]),
        extractor=ExtractorInfo(name="llm"),
        corpus="corpus",
    )
    composition = asyncio.run(backend.compose(Related([]), context))
    assert composition.sections == [] or all(not s.items for s in composition.sections)
    assert backend.usage.calls == 0  # nothing listens at :9; a call would have failed
    asyncio.run(backend.aclose())


@pytest.mark.parametrize(
    ("title", "stands"),
    [
        ("Ferry talks in Saltmarch stall", True),
        ("Moscow welcomes the ferry deal", False),  # a place no claim names
        ("12 ferries stopped", False),  # a number no claim has
        ("", False),
        ("The ferry " * 20, False),  # not a title
    ],
)
def test_the_models_title_is_checked_like_its_sentences(title: str, stands: bool) -> None:
    from briefing.llm.backend import _title_stands
    from briefing.testing import first_sentence_claim
    from tests.factories import make_article

    article = make_article(
        "Ferry talks in Saltmarch stalled on Monday, the port authority said.\n",
        published="2025-03-03",
    )
    claims = {c.claim_id: c for c in first_sentence_claim(article)}
    assert _title_stands(title, claims) is stands


def test_an_answer_as_long_as_the_cap_is_cut_off_whatever_the_server_reports() -> None:
    from openai.types.chat import ChatCompletion

    from briefing.llm.client import _flag_cut_off

    def answer(written: int) -> ChatCompletion:
        return ChatCompletion.model_validate(
            {
                "id": "c",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",  # llama-cpp-python's, for a cut-off call
                        "message": {"role": "assistant", "content": '{"claims": [{"sta'},
                    }
                ],
                "usage": {"prompt_tokens": 9, "completion_tokens": written, "total_tokens": 9},
            }
        )

    cut, whole = answer(512), answer(300)
    _flag_cut_off(cut, 512)
    _flag_cut_off(whole, 512)
    assert cut.choices[0].finish_reason == "length"
    assert whole.choices[0].finish_reason == "tool_calls"


def test_a_weekly_run_with_an_article_not_read_logs_it_and_exits_partial(
    server: Any, seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server(faults=["context"])
    log = tmp_path / "weekly.log"
    args = ["weekly", "--since", "2025-02-01", "--corpus", str(seeds_copy), "--extractor", "llm"]
    code = main([*args, "--out", str(tmp_path / "b"), "--concurrency", "1", "--log", str(log)])
    err = capsys.readouterr().err
    assert code == 3, err
    logged = log.read_text(encoding="utf-8")
    # the first week's one article was refused: that week has no brief, the others do
    first_week = next(line for line in logged.splitlines() if "no brief:" in line)
    assert (
        "1 of 1 article(s) not extracted" in first_week and "maximum context length" in first_week
    )
    assert logged.count(": wrote ") >= 1 and "Traceback" not in err


def test_doctor_suggests_what_a_slow_server_can_write_in_time() -> None:
    from briefing.llm.doctor import Diagnosis, ModeCheck

    slow = Diagnosis("http://127.0.0.1:8080/v1", "small", reachable=True, local=True)
    slow.checks = [ModeCheck("tools", True, 0.5, "answered")]
    slow.tokens_per_second = 5.0
    suggested = slow.suggested_settings(Settings())
    # about a minute of writing (never below 512 tokens), one re-ask, time for two answers
    assert suggested["BRIEFING_MAX_TOKENS"] == "512"
    assert suggested["BRIEFING_REASKS"] == "1"
    assert suggested["BRIEFING_TIMEOUT"] == "210"
    assert slow.concurrency == 1
    fast = Diagnosis("https://api.openai.com/v1", "gpt-4o-mini", reachable=True)
    fast.checks = [ModeCheck("tools", True, 0.5, "answered")]
    fast.tokens_per_second = 200.0
    suggested = fast.suggested_settings(Settings())
    assert suggested["BRIEFING_MAX_TOKENS"] == "4096" and suggested["BRIEFING_REASKS"] == "2"
    assert "BRIEFING_TIMEOUT" not in suggested and fast.concurrency is None
    # what the user set is kept
    assert slow.suggested_settings(Settings(max_tokens=900))["BRIEFING_MAX_TOKENS"] == "900"
