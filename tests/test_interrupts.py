"""Ctrl-C and SIGTERM end a run honestly: one line, exit 130 or 143, finished work kept.

Each test starts the real entry point on a corpus big enough to take several seconds,
waits until the store holds a first extraction, sends the signal, and checks the exit
code, the single line on stderr, and that the store kept what the line counts.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from briefing.store import DB_FILENAME

ARTICLES = 1500
# The line, with the number of extractions saved by this run.
INTERRUPTED_RE = re.compile(
    r"^briefing: interrupted: (\d+) articles? finished and kept; run again to continue$"
)
WEEKLY_LINE = "briefing: interrupted; finished work is kept in the store: run again to continue"


@pytest.fixture
def big_corpus(tmp_path: Path) -> Path:
    """Many small dated articles: extracting them all takes far longer than the test waits."""
    corpus = tmp_path / "many"
    corpus.mkdir()
    for i in range(ARTICLES):
        (corpus / f"a{i:05d}.txt").write_text(
            f" date 2025-03-{1 + i % 28:02d} 200\n"
            f"Officials in Town{i} said on Monday that {i} families were moved after the river"
            f" rose by {i % 9} metres.\nThe mayor of Town{i} told reporters that schools would"
            " stay closed until Friday, according to the council.\n",
            encoding="utf-8",
        )
    return corpus


def _extractions(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as connection:
            return int(connection.execute("SELECT count(*) FROM extractions").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    # A shell without job control starts background commands with SIGINT ignored, and
    # Python then keeps ignoring it; a user's terminal does not, so restore the default.
    # Its own process group, as a terminal gives a command: Ctrl-C signals the group.
    return subprocess.Popen(
        [sys.executable, "-m", "briefing", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,
    )


def _interrupt_once_working(
    process: subprocess.Popen[str],
    db: Path,
    signum: int,
    *,
    after: int = 0,
    whole_group: bool = False,
) -> tuple[str, str]:
    """Send `signum` once the store holds more than `after` extractions (to the run's
    whole process group, its worker processes too, as a terminal's Ctrl-C does, or to
    the run alone); the child's stdout and stderr."""
    deadline = time.monotonic() + 60
    while _extractions(db) <= after:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"not {after + 1} extractions within 60 s"
        time.sleep(0.05)
    time.sleep(0.3)
    assert process.poll() is None, "the run finished before it could be interrupted"
    if whole_group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    return process.communicate(timeout=60)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_offline_generate_exits_with_one_honest_line(
    big_corpus: Path, tmp_path: Path, isolated_environment: Path, signum: int, code: int
) -> None:
    process = _start(
        [
            "generate",
            "--since",
            "2025-03-01",
            "--corpus",
            str(big_corpus),
            "--out",
            str(tmp_path / "briefs"),
            "--extractor",
            "offline",
        ]
    )
    db = isolated_environment / DB_FILENAME
    stdout, stderr = _interrupt_once_working(process, db, signum)
    assert process.returncode == code, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    match = INTERRUPTED_RE.match(lines[0])
    assert match, stderr
    finished = int(match.group(1))
    saved = _extractions(db)
    assert 0 < finished < ARTICLES
    assert finished <= saved <= finished + 1  # a save may commit just as the signal lands
    assert stdout == ""  # no brief was written, so no path is printed
    assert not (tmp_path / "briefs").exists() or not any((tmp_path / "briefs").iterdir())


@pytest.fixture
def synthesizing_server() -> Iterator[str]:
    """The fixture LLM server, answering every generated article with its first sentence."""
    from tests.fixture_server import serve

    server, _ = serve(0, synthesize=True)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_llm_generate_exits_with_one_honest_line(
    big_corpus: Path,
    tmp_path: Path,
    isolated_environment: Path,
    synthesizing_server: str,
    signum: int,
    code: int,
) -> None:
    process = _start(
        [
            "generate",
            "--since",
            "2025-03-01",
            "--corpus",
            str(big_corpus),
            "--out",
            str(tmp_path / "briefs"),
            "--extractor",
            "llm",
            "--model",
            "gpt-4o-mini",
        ],
        env={"OPENAI_API_KEY": "sk-test-interrupt", "OPENAI_BASE_URL": synthesizing_server},
    )
    db = isolated_environment / DB_FILENAME
    _, stderr = _interrupt_once_working(process, db, signum)
    assert process.returncode == code, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    match = INTERRUPTED_RE.match(lines[0])
    assert match, stderr
    finished = int(match.group(1))
    assert 0 < finished <= _extractions(db)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupted_weekly_says_so_on_stderr_and_in_its_log(
    big_corpus: Path, tmp_path: Path, isolated_environment: Path, signum: int, code: int
) -> None:
    log = tmp_path / "weekly.log"
    process = _start(
        [
            "weekly",
            "--since",
            "2025-03-01",
            "--corpus",
            str(big_corpus),
            "--out",
            str(tmp_path / "briefs"),
            "--extractor",
            "offline",
            "--log",
            str(log),
        ]
    )
    _, stderr = _interrupt_once_working(process, isolated_environment / DB_FILENAME, signum)
    assert process.returncode == code, stderr
    assert stderr.splitlines()[-1] == WEEKLY_LINE, stderr
    assert "Traceback" not in stderr
    assert (
        log.read_text(encoding="utf-8")
        .splitlines()[-1]
        .endswith(" interrupted; finished work is kept in the store: run again to continue")
    )


@pytest.mark.parametrize("extractor", ["offline", "llm"])
def test_ctrl_c_in_a_terminal_stops_the_worker_processes_without_a_traceback(
    big_corpus: Path,
    tmp_path: Path,
    isolated_environment: Path,
    synthesizing_server: str,
    extractor: str,
) -> None:
    """A terminal's Ctrl-C reaches every process of the run: the worker processes that
    extract (offline, past its first articles) or prepare articles (LLM, at 16 calls in
    flight) leave it to the run, which says its one line."""
    from briefing.llm.backend import PREPARE_IN_WORKERS_FROM_CONCURRENCY
    from briefing.offline.backend import POOL_AFTER_ARTICLES

    workers_from = POOL_AFTER_ARTICLES if extractor == "offline" else 0
    process = _start(
        [
            "generate",
            "--since",
            "2025-03-01",
            "--corpus",
            str(big_corpus),
            "--out",
            str(tmp_path / "briefs"),
            "--extractor",
            extractor,
            "--concurrency",
            str(PREPARE_IN_WORKERS_FROM_CONCURRENCY),
        ],
        env={"OPENAI_API_KEY": "sk-test-interrupt", "OPENAI_BASE_URL": synthesizing_server},
    )
    db = isolated_environment / DB_FILENAME
    _, stderr = _interrupt_once_working(
        process, db, signal.SIGINT, after=workers_from + 20, whole_group=True
    )
    assert process.returncode == 130, stderr
    assert len(stderr.splitlines()) == 1 and INTERRUPTED_RE.match(stderr.strip()), stderr


def test_a_stop_signal_while_workers_are_forked_is_raised_once_they_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A signal raised inside fork's callbacks would be swallowed and the run go on: the
    pool starts with the stopping signals held, and they are raised right after."""
    from briefing import workers

    events: list[str] = []

    class SignalledWhileForking(workers.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            events.append("forking")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", SignalledWhileForking)
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: events.append("signal"))
    try:
        pool = workers.start_pool(1)
        events.append("started")
        try:
            assert pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN
        finally:
            pool.shutdown()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert events == ["forking", "signal", "started"]


def test_a_stop_while_the_pool_starts_stops_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Raised as the held signals are let through, the stop leaves no worker behind."""
    from briefing import workers

    started: list[Any] = []

    class Kept(workers.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(self)
            super().__init__(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGTERM)

    class Stopped(Exception):
        pass

    def stop(signum: int, frame: Any) -> None:
        raise Stopped

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Kept)
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(Stopped):
            workers.start_pool(1)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert len(started) == 1 and started[0]._shutdown_thread
