"""Slow and broken servers, started here on 127.0.0.1: a call has an overall deadline that
a trickling server cannot stretch, a timeout is retried once, and a dropped answer is not
reported as a refused connection."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import briefing.llm.client
from briefing import cli, generate
from briefing.cli import main
from briefing.config import Settings
from briefing.errors import BriefingError, ConfigurationError, ExtractionError
from briefing.llm.backend import LLMBackend
from briefing.llm.client import LLMClient, LLMSettings, describe_error
from briefing.store import Store

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

# A chat completion as a server would send it: valid, so only its pace can be at fault.
COMPLETION = json.dumps(
    {
        "id": "chatcmpl-slow",
        "object": "chat.completion",
        "created": 1_735_689_600,
        "model": "slow-server",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": '{"claims": []}'},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }
).encode()
TRICKLE_SECONDS = 0.5

Answer = Callable[[socket.socket, threading.Event], None]


def _read_request(connection: socket.socket) -> None:
    """Read one HTTP request, headers and body, so that the client is done sending."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return
        body += chunk


def _headers(length: int) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def never_answers(connection: socket.socket, stop: threading.Event) -> None:
    _read_request(connection)
    stop.wait()


def trickles(connection: socket.socket, stop: threading.Event) -> None:
    """The whole valid answer, one byte every TRICKLE_SECONDS: no read ever waits long."""
    _read_request(connection)
    connection.sendall(_headers(len(COMPLETION)))
    for byte in COMPLETION:
        if stop.wait(TRICKLE_SECONDS):
            return
        connection.sendall(bytes([byte]))


def cuts_the_body_short(connection: socket.socket, stop: threading.Event) -> None:
    """Headers promising the whole answer, half of it, then the connection closes."""
    _read_request(connection)
    connection.sendall(_headers(len(COMPLETION)) + COMPLETION[: len(COMPLETION) // 2])


class LocalServer:
    """A raw socket server on 127.0.0.1 answering every connection with `answer`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests = 0
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.requests += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        # OSError: the client gave up and closed its end.
        with connection, contextlib.suppress(OSError):
            self.answer(connection, self.stop)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.listener.close()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Answer], LocalServer]]:
    """Start a LocalServer and point the LLM configuration at it, as a user would."""
    monkeypatch.setattr(briefing.llm.client, "BACKOFF_BASE_SECONDS", 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-timeouts")
    monkeypatch.delenv("BRIEFING_TIMEOUT", raising=False)
    started: list[LocalServer] = []

    def start(answer: Answer) -> LocalServer:
        server = LocalServer(answer)
        started.append(server)
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        return server

    yield start
    for server in started:
        server.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "convoy.txt").write_text(
        " date 2025-03-01 200\n"
        "Officials said 12 aid convoys reached the front-line towns this week.\n"
        "Volunteers said the convoys carried food, water and medicine.\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("answer", [never_answers, trickles], ids=["silent", "trickling"])
def test_a_slow_server_fails_the_article_at_the_deadline_after_one_retry(
    answer: Answer,
    serve: Callable[[Answer], LocalServer],
    corpus: Path,
    tmp_path: Path,
    isolated_environment: Path,
) -> None:
    server = serve(answer)
    started = time.monotonic()
    with pytest.raises(ExtractionError) as failure:
        generate(
            dt.date(2025, 3, 1),
            corpus=corpus,
            out=tmp_path / "briefs",
            settings=Settings(backend="llm", timeout=1),
        )
    elapsed = time.monotonic() - started
    message = str(failure.value)
    assert "1 of 1 article(s) not extracted; news/convoy.txt" in message
    assert "the call took longer than 1 s" in message
    assert "--timeout" in message and "BRIEFING_TIMEOUT" in message
    assert server.requests == 2  # the first try and one retry, not five
    assert elapsed < 8, elapsed
    db = sqlite3.connect(isolated_environment / "briefing.db")
    errors = [row[0] for row in db.execute("SELECT error FROM calls")]
    assert len(errors) == 2 and all("took longer than 1 s" in e for e in errors)
    assert not (tmp_path / "briefs").exists()


def test_the_timeout_option_ends_a_cli_run_in_one_line(
    serve: Callable[[Answer], LocalServer],
    corpus: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serve(never_answers)
    args = ["generate", "--since", "2025-03-01", "--corpus", str(corpus), "--extractor", "llm"]
    args += ["--out", str(tmp_path / "briefs")]
    started = time.monotonic()
    assert main([*args, "--timeout", "0.5"]) == 1
    monkeypatch.setenv("BRIEFING_TIMEOUT", "0.5")
    assert main(args) == 1
    assert time.monotonic() - started < 10
    lines = capsys.readouterr().err.splitlines()
    # each run: the article not read, what it spent (two calls: the first and its one
    # retry), then why the run failed
    assert len(lines) == 6, lines
    assert [line.startswith("not read: news/convoy.txt") for line in lines] == [1, 0, 0] * 2
    assert [line.startswith("LLM: 2 calls, 1 retries") for line in lines] == [0, 1, 0] * 2
    errors = lines[2::3]
    assert all("news/convoy.txt" in line and "longer than 0.5 s" in line for line in errors)


def test_the_timeout_reaches_the_client_from_generate_and_weekly(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Settings] = {}

    def fake_generate(*args: Any, settings: Settings, **kwargs: Any) -> Any:
        seen["generate"] = settings
        raise BriefingError("stop here")

    def fake_weekly(*, settings: Settings, **kwargs: Any) -> list[Any]:
        seen["weekly"] = settings
        return []

    monkeypatch.setattr(cli, "generate_brief", fake_generate)
    monkeypatch.setattr(cli, "generate_weekly", fake_weekly)
    monkeypatch.setenv("BRIEFING_TIMEOUT", "7.5")
    assert main(["generate", "--since", "2025-03-01", "--corpus", str(corpus)]) == 1
    assert main(["weekly", "--corpus", str(corpus), "--timeout", "30"]) == 0
    assert seen["generate"].timeout == 7.5 and seen["weekly"].timeout == 30
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-timeouts")
    store = Store.open(corpus.parent / "home")
    try:
        for settings, expected in [
            (seen["weekly"], 30.0),
            (replace(seen["weekly"], timeout=None), briefing.llm.client.DEFAULT_TIMEOUT_SECONDS),
        ]:
            backend = LLMBackend.from_settings(settings, store)
            assert backend.client.settings.timeout == expected
            assert backend.client._client.timeout == expected
            asyncio.run(backend.aclose())
    finally:
        store.close()


@pytest.mark.parametrize("command", ["generate", "weekly"])
def test_the_help_shows_the_timeout_and_its_environment_variable(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    assert main([command, "-h"]) == 0
    out = capsys.readouterr().out
    assert "--timeout" in out and "env var: BRIEFING_TIMEOUT" in out
    assert main(["-h"]) == 0
    assert "BRIEFING_TIMEOUT" in capsys.readouterr().out


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_a_timeout_that_is_not_a_positive_number_is_refused(value: float) -> None:
    with pytest.raises(ConfigurationError, match=r"^timeout must be a number of seconds > 0"):
        Settings(timeout=value)
    with pytest.raises(ConfigurationError, match=r"^timeout must be"):
        LLMSettings(model="m", base_url=None, timeout=value)


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf", "soon"])
def test_a_bad_timeout_is_a_usage_error_naming_the_option(
    value: str, corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["generate", "--since", "2025-03-01", "--corpus", str(corpus)]
    assert main([*args, "--timeout", value]) == 2
    monkeypatch.setenv("BRIEFING_TIMEOUT", value)
    assert main(args) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and all("'--timeout'" in line for line in lines), lines


def _failure_of_one_call(url: str) -> BaseException:
    async def call() -> BaseException:
        client = LLMClient(LLMSettings(model="m", base_url=url, attempts=1, timeout=5))
        try:
            await client.complete(model="m", messages=[{"role": "user", "content": "hi"}])
        except Exception as error:
            return error
        finally:
            await client.close()
        raise AssertionError("the call should have failed")

    return asyncio.run(call())


def test_a_body_cut_short_is_not_reported_as_cannot_connect(
    serve: Callable[[Answer], LocalServer],
) -> None:
    server = serve(cuts_the_body_short)
    reason = describe_error(_failure_of_one_call(server.url))
    assert reason == "the server closed the connection before the answer was complete"


def test_a_refused_connection_names_the_host_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-timeouts")
    # Bound but not listening: connecting is refused, and no other test can take the port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        reason = describe_error(_failure_of_one_call(f"http://127.0.0.1:{port}/v1?key=secret"))
    assert reason == f"cannot connect to the API at 127.0.0.1:{port}"
