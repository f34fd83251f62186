"""Backfills through the Batch API, replayed from cassettes of tests/fixture_server.py.

Each test is one user's story: submit, stop, collect in a new process (every library call
opens its own store and backend, as a new process would), with a batch that partly fails
or expires, and a submission stopped half way that must not be sent twice. To record the
cassettes again: pytest tests/test_batch.py --record-mode=rewrite (starts the server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.policy
import json
import sqlite3
from collections.abc import Iterator
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from openai.types import Batch, FileObject
from openai.types.chat import ChatCompletion

from briefing import config, generate
from briefing.cli import main
from briefing.config import Settings
from briefing.corpus import load_corpus
from briefing.errors import ConfigurationError
from briefing.llm.backend import LLMBackend
from briefing.llm.batch import (
    BatchAnswers,
    BatchError,
    batch_status,
    collect_batches,
    messages_key,
    request_bodies,
    submit_batch,
)
from briefing.store import Store
from tests.conftest import CASSETTES, FIXTURE_PORT, TEST_API_KEY
from tests.fixture_server import (
    MODEL_NAME,
    BatchPlan,
    choose_payload,
    completion_body,
    load_fixtures,
)

SINCE = dt.date(2025, 2, 1)


def _canonical_upload(request: Any) -> Any:
    """A batch file upload as what identifies it: each line's id, model and prompt.

    The multipart boundary is random, and the tool schema in each line changes with
    instructor's releases; like the `llm_prompt` matcher, compare the prompts only. They
    are folded into one message so that the matcher sees all of them.
    """
    content_type = request.headers.get("Content-Type") or request.headers.get("content-type") or ""
    if not str(content_type).startswith("multipart/form-data") or not request.body:
        return request
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    )
    lines: list[Any] = []
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            for line in payload.decode().splitlines() if isinstance(payload, bytes) else []:
                record = json.loads(line)
                body = record["body"]
                lines.append([record["custom_id"], body["model"], body["messages"][:2]])
    if not lines:  # already in this form (a recorded request, as loaded)
        return request
    summary = json.dumps(lines, sort_keys=True, ensure_ascii=False)
    request.body = json.dumps({"messages": [{"role": "batch-file", "content": summary}]})
    request.headers["Content-Type"] = "application/json"
    return request


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return {**vcr_config, "before_record_request": _canonical_upload}


class BatchAPI:
    """The fixture server's Files and Batch endpoints; a plan reaches it only while recording."""

    def __init__(self, state: Any = None) -> None:
        self.state = state

    def plan(self, **plan: Any) -> None:
        if self.state is not None:
            self.state.batches.plan = BatchPlan(**plan)

    def created(self) -> int | None:
        return self.state.batches.created if self.state is not None else None


@pytest.fixture
def batch_api(recording: bool, monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchAPI]:
    import briefing.llm.client

    monkeypatch.setattr(briefing.llm.client, "BACKOFF_BASE_SECONDS", 0.0)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{FIXTURE_PORT}/v1")
    if not recording:
        yield BatchAPI()
        return
    from tests.fixture_server import serve

    server, state = serve(FIXTURE_PORT)
    try:
        yield BatchAPI(state)
    finally:
        server.shutdown()
        server.server_close()


def llm_settings() -> Settings:
    return Settings(backend="llm")


def stored_extractions(home: Path) -> dict[str, dict[str, Any]]:
    db = sqlite3.connect(home / "briefing.db")
    try:
        rows = db.execute("SELECT article_id, result FROM extractions").fetchall()
    finally:
        db.close()
    return {article_id: json.loads(result) for article_id, result in rows}


def batch_creations(cassette: Any) -> int:
    return sum(
        r.method == "POST" and r.path.rstrip("/").endswith("/batches") for r in cassette.requests
    )


@pytest.mark.vcr
def test_submit_stop_and_collect_in_a_new_process(
    batch_api: BatchAPI,
    seeds_copy: Path,
    tmp_path: Path,
    isolated_environment: Path,
    vcr: Any,
) -> None:
    batch_api.plan(polls=1)
    sent = submit_batch(seeds_copy, settings=llm_settings())
    assert [s.requests for s in sent.submitted] == [5] and sent.articles == 5
    batch_id = sent.submitted[0].batch_id
    assert batch_id and sent.submitted[0].status in ("validating", "in_progress")
    # the file is the API's now; nothing is left beside the store
    assert list((isolated_environment / "batches").iterdir()) == []

    again = submit_batch(seeds_copy, settings=llm_settings())
    assert (again.submitted, again.in_batch, again.articles) == ([], 5, 0)

    # a later process: the batch is still running; nothing is stored yet
    early = collect_batches(seeds_copy, settings=llm_settings())
    assert [b.submission.status for b in early.running] == ["in_progress"]
    assert early.stored == 0 and stored_extractions(isolated_environment) == {}

    done = collect_batches(seeds_copy, settings=llm_settings(), wait=True, poll_seconds=0)
    assert done.running == [] and done.failed == [] and done.not_extracted == []
    assert done.stored == 5
    # seed 003's batch answer quotes a sentence its article lacks: re-asked live, corrected
    assert done.reasks == 1
    extractions = stored_extractions(isolated_environment)
    assert len(extractions) == 5 and all(e["dropped"] == 0 for e in extractions.values())
    # every quote stands verbatim at its offsets in its article's raw text
    articles = {a.article_id: a for a in load_corpus(seeds_copy).articles}
    for article_id, extraction in extractions.items():
        raw = articles[article_id].raw_text
        assert extraction["claims"]
        for claim in extraction["claims"]:
            for evidence in claim["evidence"]:
                assert raw[evidence["start"] : evidence["end"]] == evidence["quote"]
    # the call log: five answers from the batch (no latency: nothing waited on), one live re-ask
    db = sqlite3.connect(isolated_environment / "briefing.db")
    calls = db.execute(
        "SELECT batch_id, latency_ms FROM calls WHERE purpose = 'extract'"
    ).fetchall()
    db.close()
    assert sorted(b or "" for b, _ in calls) == ["", *[batch_id] * 5]
    assert all(latency is None for b, latency in calls if b)

    # collecting twice stores nothing twice and downloads nothing again
    twice = collect_batches(seeds_copy, settings=llm_settings())
    assert (twice.stored, twice.already) == (0, 5)
    assert stored_extractions(isolated_environment) == extractions

    # the brief uses the stored extractions: no extraction call
    result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", settings=llm_settings())
    assert (result.stats.extracted, result.stats.cached) == (0, 5)
    assert result.brief.citations and all(row.verified for row in result.brief.citations)
    assert batch_creations(vcr) == 1


@pytest.mark.vcr
def test_a_partly_failed_batch_names_the_article_and_keeps_the_rest(
    batch_api: BatchAPI,
    seeds_copy: Path,
    isolated_environment: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    failing = load_corpus(seeds_copy).articles[1]
    batch_api.plan(polls=0, fail=[f"{failing.article_id[:40]}-1"])
    assert main(["batch", "submit", "--corpus", str(seeds_copy)]) == 0
    first_id = capsys.readouterr().out.strip()
    assert first_id.startswith("batch_")

    assert main(["batch", "collect", "--corpus", str(seeds_copy), "--wait", "--poll", "0"]) == 1
    out, err = capsys.readouterr()
    assert f"{first_id}  completed" in out and "4 answered, 1 failed" in out
    # the failed article is named with the API's reason; the last line says what to do
    named = [line for line in err.splitlines() if line.startswith("not extracted:")]
    assert named == [
        f"not extracted: {failing.path}: batch {first_id}: HTTP 500: fixture server fault"
    ]
    assert err.strip().splitlines()[-1].startswith("briefing: 1 article(s) not extracted")
    assert "batch submit" in err.strip().splitlines()[-1]
    assert len(stored_extractions(isolated_environment)) == 4

    # submitting again sends the one article left, and collecting it completes the store
    batch_api.plan(polls=0)
    assert main(["batch", "submit", "--corpus", str(seeds_copy)]) == 0
    out, err = capsys.readouterr()
    assert "1 article sent (1 request in 1 batch)" in err and "4 already in the store" in err
    assert main(["batch", "collect", "--corpus", str(seeds_copy), "--wait", "--poll", "0"]) == 0
    assert set(stored_extractions(isolated_environment)) == {
        a.article_id for a in load_corpus(seeds_copy).articles
    }
    # the key is never printed nor stored
    out, err = capsys.readouterr()
    assert TEST_API_KEY not in out + err
    assert TEST_API_KEY.encode() not in (isolated_environment / "briefing.db").read_bytes()


@pytest.mark.vcr
def test_an_expired_batch_keeps_its_answers_and_names_the_rest(
    batch_api: BatchAPI, seeds_copy: Path, isolated_environment: Path
) -> None:
    batch_api.plan(polls=0, expire_after=2)
    submit_batch(seeds_copy, settings=llm_settings())
    result = collect_batches(seeds_copy, settings=llm_settings())
    assert [b.submission.status for b in result.batches] == ["expired"]
    assert (result.batches[0].answered, result.batches[0].failed) == (2, 3)
    assert result.stored == 2
    assert len(result.failed) == 3
    assert all("batch_expired" in problem.reason for problem in result.failed)
    by_path = {a.path: a.article_id for a in load_corpus(seeds_copy).articles}
    assert {by_path[p.path] for p in result.failed}.isdisjoint(
        stored_extractions(isolated_environment)
    )
    # the next submission sends only the three the batch did not answer
    again = submit_batch(seeds_copy, settings=llm_settings())
    assert (again.articles, again.cached) == (3, 2)


@pytest.mark.vcr
def test_a_submission_stopped_half_way_is_resumed_not_sent_twice(
    batch_api: BatchAPI,
    seeds_copy: Path,
    isolated_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
    vcr: Any,
) -> None:
    batch_api.plan(polls=0)
    real_update = Store.update_submission

    def stop_when(field: str) -> Any:
        def update(self: Store, submission: str, **fields: Any) -> None:
            if fields.get(field):
                raise KeyboardInterrupt  # the stop comes after the API did the work
            real_update(self, submission, **fields)

        return update

    # stopped after the upload, before its file id was recorded
    monkeypatch.setattr(Store, "update_submission", stop_when("input_file_id"))
    with pytest.raises(KeyboardInterrupt):
        submit_batch(seeds_copy, settings=llm_settings())
    # stopped after the batch was created, before its id was recorded
    monkeypatch.setattr(Store, "update_submission", stop_when("batch_id"))
    with pytest.raises(KeyboardInterrupt):
        submit_batch(seeds_copy, settings=llm_settings())
    monkeypatch.setattr(Store, "update_submission", real_update)
    resumed = submit_batch(seeds_copy, settings=llm_settings())
    # the batch created before the stop is found and recorded, not created again
    assert [s.requests for s in resumed.submitted] == [5] and resumed.articles == 0
    assert batch_creations(vcr) == 1
    assert batch_api.created() in (None, 1)
    states = batch_status(seeds_copy, settings=llm_settings())
    assert len(states) == 1 and states[0].submission.batch_id == resumed.submitted[0].batch_id
    collected = collect_batches(seeds_copy, settings=llm_settings())
    assert collected.stored == 5


# Offline: what a batch sends is what a live call sends, and how answers are placed.


def test_a_batch_request_is_the_request_a_live_call_sends(
    seeds_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    fixtures = load_fixtures()
    sent: list[dict[str, Any]] = []

    async def send(**request: Any) -> ChatCompletion:
        sent.append(request)
        payload = choose_payload(fixtures, request, synthesize=True)
        return ChatCompletion.model_validate(completion_body(request, payload or {}))

    async def both(mode: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        store = Store.open(seeds_copy.parent / "home")
        backend = LLMBackend.from_settings(Settings(backend="llm", mode=mode), store)
        # The live request as the client posts it (tests/test_client.py holds that body
        # to what the SDK's `create` would send).
        monkeypatch.setattr(backend.client, "_post_chat", lambda body: send(**body))
        try:
            article = load_corpus(seeds_copy).articles[0]
            bodies = await request_bodies(backend.extractor, article)
            sent.clear()
            await backend.extract(article)
            return bodies, sent[:1]
        finally:
            await backend.aclose()
            store.close()

    for mode in config.INSTRUCTOR_MODES:
        batched, live = asyncio.run(both(mode))
        assert batched == live, mode


def test_batch_answers_answer_first_calls_and_let_re_asks_go_live() -> None:
    first = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
    completion = ChatCompletion.model_validate(
        {"id": "x", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
    )
    answers = BatchAnswers()
    answers.add(messages_key(first), completion, "batch_1")
    assert answers.answer({"messages": first}) == (completion, "batch_1")
    reask = [*first, {"role": "assistant", "content": "{}"}, {"role": "user", "content": "fix"}]
    assert answers.answer({"messages": reask}) is None
    with pytest.raises(BatchError, match="no answer for this request"):
        answers.answer({"messages": [{"role": "user", "content": "another"}]})


def test_batch_commands_need_an_api_and_say_so_in_one_line(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("submit", "status", "collect"):
        assert main(["batch", command, "--corpus", str(seeds_copy)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "OPENAI_API_KEY" in err
    # from the library too, whatever backend the settings name
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        submit_batch(seeds_copy, settings=Settings(backend="offline"))


@pytest.mark.parametrize("command", ["submit", "status", "collect"])
def test_every_batch_command_has_help_ending_with_an_example(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["batch", command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"Usage: briefing batch {command} [OPTIONS]" in out
    last = [line.strip() for line in out.splitlines() if line.strip()][-1]
    assert last.startswith(f"briefing batch {command}")


def test_recorded_batch_responses_are_the_fixture_servers_files_and_batches() -> None:
    answers = 0
    for path in sorted((CASSETTES / "test_batch").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert TEST_API_KEY not in text and "Bearer" not in text
        for interaction in yaml.safe_load(text)["interactions"]:
            uri, response = interaction["request"]["uri"], interaction["response"]
            body = response["body"]["string"]
            if response["status"]["code"] != 200:
                continue
            if uri.endswith("/content"):  # a batch's output or error file: one result a line
                for line in body.splitlines():
                    result = json.loads(line)
                    reply = (result.get("response") or {}).get("body") or {}
                    if (result.get("response") or {}).get("status_code") == 200:
                        assert ChatCompletion.model_validate(reply).model == MODEL_NAME
                        answers += 1
            elif "/batches" in uri and "/batches?" not in uri:
                assert Batch.model_validate(json.loads(body)).endpoint == "/v1/chat/completions"
            elif uri.endswith("/files"):
                assert FileObject.model_validate(json.loads(body)).purpose == "batch"
    assert answers >= 5
