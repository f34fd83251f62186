"""Backfills through the OpenAI Batch API: half the price of live calls, answered within 24 h.

`submit` writes the extraction request of every article not yet in the store (nor in a
batch still running) as one JSONL file, uploads it through the Files endpoint, creates
the batch and records it in the store. `collect` downloads a finished batch's answers and
hands each one to the live extraction path in place of its first call: the same response
model validates it, the same grounding checks its quotes, a claim that fails is re-asked
live, and the extraction is cached under the same key, so `briefing generate` then uses
it without a call.

The requests are the live ones, not copies: each is captured where the live path would
send it (`LLMClient.complete`, through `current_batch`), after instructor has built it.

Every step is recorded before the next, so a stop anywhere is resumed by running the
same command again: a submission is named by the hash of its file (the same work is the
same submission), one uploaded but not yet created is looked up among the API's batches
before it is created, and answers are stored when downloaded and never fetched twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import openai
from openai.types import Batch
from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from briefing import config, lexicon
from briefing.corpus import Corpus, FileProblem, load_corpus
from briefing.costs import Usage
from briefing.errors import BriefingError, CorpusError
from briefing.llm.backend import LLMBackend
from briefing.llm.client import backoff, current_batch, describe_error, is_transient
from briefing.llm.extract import LLMExtractor
from briefing.pipeline import Progress, RunStats, extract_all, select_period
from briefing.schemas import Article
from briefing.store import BatchRequest, Store, Submission, cache_key

ENDPOINT: Final = "/v1/chat/completions"
COMPLETION_WINDOW: Final = "24h"
# The Batch API's limits per batch (50,000 requests, 200 MB), with room to spare.
MAX_BATCH_REQUESTS = 50_000
MAX_BATCH_BYTES = 190_000_000
DEFAULT_POLL_SECONDS = 30.0
# Statuses after which a batch changes no more.
FINISHED = frozenset({"completed", "expired", "failed", "cancelled"})
# A submission uploaded but with no batch id recorded is looked for among this many batches.
FIND_BATCH_LIMIT = 1000
BATCH_FOLDER = "batches"

T = TypeVar("T")
# (submission, requests answered or failed so far, requests in all), while a batch runs.
BatchProgress = Callable[[Submission, int, int], None]


class BatchError(BriefingError):
    """A batch could not be written, sent or read; the message names the batch."""


class RequestCaptured(BaseException):
    """Raised where a live call would be sent, carrying its request: a BaseException so
    that neither instructor nor the retry policy takes it for a failed call."""

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__("request captured for a batch")
        self.request = request


class _Capture:
    def answer(self, request: dict[str, Any]) -> tuple[Any, str] | None:
        raise RequestCaptured(request)


def messages_key(messages: Sequence[Any]) -> str:
    """What identifies a request's conversation: the hash of its messages as sent."""
    text = json.dumps(list(messages), sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class BatchAnswers:
    """Answers first calls from a batch; a re-ask (the conversation continued) goes live.

    A first call the batch did not answer is refused, never sent live: it would mean the
    request changed since it was submitted (another --mode, say), and would cost a live call.
    """

    def __init__(self) -> None:
        self._answers: dict[str, tuple[ChatCompletion, str]] = {}

    def add(self, key: str, completion: ChatCompletion, batch_id: str) -> None:
        """The answer to the request whose messages have `key` (see `messages_key`)."""
        self._answers[key] = (completion, batch_id)

    def answer(self, request: dict[str, Any]) -> tuple[Any, str] | None:
        messages = list(request.get("messages") or [])
        found = self._answers.get(messages_key(messages))
        if found is not None:
            return found
        if any(messages_key(messages[:n]) in self._answers for n in range(1, len(messages))):
            return None  # a re-ask of a batch answer
        raise BatchError(
            "the batch holds no answer for this request: the request changed since it was"
            " submitted (another --mode?); submit again"
        )


async def request_bodies(extractor: LLMExtractor, article: Article) -> list[dict[str, Any]]:
    """The request each part of the article would send live, captured before sending."""
    parts, _ = extractor.parts(article)
    bodies = []
    token = current_batch.set(_Capture())
    try:
        for number, part in enumerate(parts, start=1):
            try:
                await extractor.extract_part(article, part, number, len(parts))
            except RequestCaptured as captured:
                bodies.append(captured.request)
            else:  # pragma: no cover - every call reaches the client
                raise AssertionError("an extraction call was not captured")
    finally:
        current_batch.reset(token)
    return bodies


@dataclass
class SubmitResult:
    submitted: list[Submission] = field(default_factory=list)  # sent by this run
    articles: int = 0  # articles in this run's new submissions
    cached: int = 0  # already extracted: not sent
    in_batch: int = 0  # held by a batch sent before: not sent again
    forgotten: list[str] = field(default_factory=list)  # unsent submissions whose file is gone


@dataclass
class BatchState:
    """A submission and what became of its requests, by article."""

    submission: Submission
    answered: int = 0
    failed: int = 0
    pending: int = 0
    articles: int = 0
    api_done: int | None = None  # the API's count of requests finished, while it runs
    api_total: int | None = None


@dataclass
class CollectResult:
    batches: list[BatchState] = field(default_factory=list)
    stored: int = 0  # articles extracted from batch answers by this run
    already: int = 0  # answered articles already in the store (collected before)
    reasks: int = 0
    failed: list[FileProblem] = field(default_factory=list)  # articles the batch did not answer
    not_extracted: list[FileProblem] = field(default_factory=list)  # answered, not stored
    usage: Usage = field(default_factory=Usage)

    @property
    def running(self) -> list[BatchState]:
        return [b for b in self.batches if b.submission.status not in FINISHED]


class Backfill:
    """Submit and collect extraction batches for one corpus and its store."""

    def __init__(self, corpus: Corpus, store: Store, settings: config.Settings) -> None:
        # Batches are the LLM's, whatever backend the settings name; it must be configured.
        settings = dataclasses.replace(settings, backend="llm")
        settings.backend_name()
        self.corpus = corpus
        self.store = store
        self.settings = settings
        self.folder = store.path.parent / BATCH_FOLDER
        self._backends: dict[tuple[str, str], LLMBackend] = {}

    def backend(self, model: str, mode: str) -> LLMBackend:
        key = (model, mode)
        if key not in self._backends:
            chosen = dataclasses.replace(self.settings, model=model, mode=mode)
            self._backends[key] = LLMBackend.from_settings(chosen, self.store)
        return self._backends[key]

    @property
    def default_backend(self) -> LLMBackend:
        return self.backend(self.settings.model_name(), self.settings.instructor_mode())

    async def aclose(self) -> None:
        for backend in self._backends.values():
            await backend.aclose()

    async def _api(self, doing: str, call: Callable[[], Awaitable[T]]) -> T:
        """An API call with the live calls' retry policy; failure is one line naming `doing`."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.default_backend.client.settings.attempts),
            wait=backoff,
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await call()
        except openai.OpenAIError as error:
            raise BatchError(f"cannot {doing}: {describe_error(error)}") from error
        raise AssertionError("unreachable: tenacity reraises the last error")

    # Submitting

    async def submit(
        self,
        articles: list[Article],
        *,
        max_requests: int = MAX_BATCH_REQUESTS,
        max_bytes: int = MAX_BATCH_BYTES,
    ) -> SubmitResult:
        result = SubmitResult()
        for unsent in [s for s in self.store.submissions() if s.batch_id is None]:
            sent = await self._send(unsent)
            if sent is None:
                result.forgotten.append(unsent.submission)
            else:
                result.submitted.append(sent)
        held = self.store.keys_in_batches()
        backend = self.default_backend
        chunk: list[tuple[BatchRequest, bytes]] = []
        size = 0
        for article in articles:
            self.store.record_article(article)
            key = cache_key(article, "llm", None, backend.cache_version)
            if self.store.cached_extraction(key) is not None:
                result.cached += 1
                continue
            if key in held:
                result.in_batch += 1
                continue
            lines = []
            for number, body in enumerate(await request_bodies(backend.extractor, article), 1):
                custom_id = f"{article.article_id[:40]}-{number}"
                line = {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}
                # A lone surrogate (from a record's title) is written as its JSON escape.
                data = (json.dumps(line, ensure_ascii=False) + "\n").encode(
                    "utf-8", "backslashreplace"
                )
                request = BatchRequest(
                    custom_id, article.article_id, article.path, key, messages_key(body["messages"])
                )
                lines.append((request, data))
            added = sum(len(data) for _, data in lines)
            if chunk and (len(chunk) + len(lines) > max_requests or size + added > max_bytes):
                result.submitted.append(await self._write_and_send(chunk))
                chunk, size = [], 0
            chunk.extend(lines)
            size += added
            result.articles += 1
        if chunk:
            result.submitted.append(await self._write_and_send(chunk))
        return result

    async def _write_and_send(self, chunk: list[tuple[BatchRequest, bytes]]) -> Submission:
        content = b"".join(data for _, data in chunk)
        name = hashlib.sha256(content).hexdigest()[:24]
        backend = self.default_backend
        path = self.folder / f"{name}.jsonl"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            partial.write_bytes(content)
            os.replace(partial, path)
        except OSError as error:
            raise BatchError(
                f"cannot write the batch file {path}: {error.strerror or error}"
            ) from None
        submission = Submission(
            submission=name,
            batch_id=None,
            input_file_id=None,
            corpus=str(self.corpus.root.resolve()),
            model=backend.requested_model,
            mode=backend.client.settings.mode,
            status="written",
            requests=len(chunk),
            created_at=_now(),
        )
        self.store.save_submission(submission, [request for request, _ in chunk])
        known = {s.submission: s for s in self.store.submissions()}[name]
        sent = await self._send(known)
        if sent is None:  # pragma: no cover - the file was written just now
            raise BatchError(f"batch file {path} vanished before it was sent")
        return sent

    async def _send(self, submission: Submission) -> Submission | None:
        """Upload the submission's file and create its batch, each step recorded; None when
        its file is gone and nothing was uploaded (the submission is forgotten)."""
        if submission.batch_id is not None:
            return submission
        api = self.default_backend.client.api
        name = submission.submission
        path = self.folder / f"{name}.jsonl"
        file_id = submission.input_file_id
        batch: Batch | None = None
        if file_id is None:
            if not path.is_file():
                self.store.forget_submission(name)
                return None
            data = path.read_bytes()
            uploaded = await self._api(
                f"upload batch file {path}",
                lambda: api.files.create(file=(path.name, data), purpose="batch"),
            )
            file_id = uploaded.id
            self.store.update_submission(name, input_file_id=file_id, status="uploaded")
        else:
            # Stopped after the upload: the batch may have been created before the stop.
            batch = await self._find_batch(file_id)
        if batch is None:
            created_from = file_id
            batch = await self._api(
                f"create the batch of file {file_id}",
                lambda: api.batches.create(
                    input_file_id=created_from,
                    endpoint=ENDPOINT,
                    completion_window=COMPLETION_WINDOW,
                    metadata={"briefing_submission": name},
                ),
            )
        created: Batch = batch
        self.store.update_submission(name, batch_id=created.id, status=created.status)
        path.unlink(missing_ok=True)  # the API holds it now
        return dataclasses.replace(
            submission, batch_id=created.id, input_file_id=file_id, status=created.status
        )

    async def _find_batch(self, file_id: str) -> Batch | None:
        api = self.default_backend.client.api

        async def search() -> Batch | None:
            seen = 0
            async for batch in api.batches.list(limit=100):
                if batch.input_file_id == file_id:
                    return batch
                seen += 1
                if seen >= FIND_BATCH_LIMIT:
                    break
            return None

        return await self._api(f"list batches to find the one of file {file_id}", search)

    # Collecting

    async def status(self) -> list[BatchState]:
        """Every submission, with the API's progress for those still running."""
        states = []
        for submission in self.store.submissions():
            state = self._state(submission)
            if submission.batch_id and submission.status not in FINISHED:
                batch = await self._retrieve(submission)
                state = self._state(dataclasses.replace(submission, status=batch.status), batch)
            states.append(state)
        return states

    async def _retrieve(self, submission: Submission) -> Batch:
        api = self.default_backend.client.api
        batch_id = submission.batch_id or ""
        batch = await self._api(f"read batch {batch_id}", lambda: api.batches.retrieve(batch_id))
        if batch.status != submission.status and batch.status not in FINISHED:
            # A finished status is recorded with the answers, in one transaction.
            self.store.update_submission(submission.submission, status=batch.status)
        return batch

    def _state(self, submission: Submission, batch: Batch | None = None) -> BatchState:
        requests = self.store.batch_requests(submission.submission)
        state = BatchState(submission, articles=len({r.article_id for r in requests}))
        for request in requests:
            if request.outcome == "answered":
                state.answered += 1
            elif request.outcome == "failed":
                state.failed += 1
            else:
                state.pending += 1
        counts = batch.request_counts if batch is not None else None
        if counts is not None:
            state.api_done, state.api_total = counts.completed + counts.failed, counts.total
        return state

    async def collect(
        self,
        *,
        wait: bool = False,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        on_batch: BatchProgress | None = None,
        progress: Progress | None = None,
    ) -> CollectResult:
        result = CollectResult()
        downloaded_now: list[str] = []
        running = [s for s in self.store.submissions() if s.batch_id and s.downloaded_at is None]
        while running:
            still = []
            for submission in running:
                batch = await self._retrieve(submission)
                if on_batch is not None and batch.request_counts is not None:
                    counts = batch.request_counts
                    on_batch(submission, counts.completed + counts.failed, counts.total)
                if batch.status in FINISHED:
                    await self._download(submission, batch)
                    downloaded_now.append(submission.submission)
                else:
                    still.append(submission)
            running = still
            if not (wait and running):
                break
            await asyncio.sleep(poll_seconds)
        await self._extract_answered(result, downloaded_now, progress)
        for backend in self._backends.values():
            _add_usage(result.usage, backend.usage)
        live = {s.submission: s for s in self.store.submissions()}
        result.batches = [self._state(s) for s in live.values()]
        return result

    async def _download(self, submission: Submission, batch: Batch) -> None:
        """Store a finished batch's answers and failures, in one transaction."""
        api = self.default_backend.client.api
        answers: dict[str, str] = {}
        failures: dict[str, str] = {}
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await self._api(
                f"download file {file_id} of batch {batch.id}",
                lambda file_id=file_id: api.files.content(file_id),  # type: ignore[misc]
            )
            for line in content.text.splitlines():
                if line.strip():
                    _read_result_line(line, answers, failures)
        note = None
        if batch.status == "failed" and batch.errors and batch.errors.data:
            first = batch.errors.data[0]
            note = f"the API refused the batch: {first.message or first.code}"
            failures = {r.custom_id: note for r in self.store.batch_requests(submission.submission)}
        self.store.save_batch_outcomes(submission.submission, answers, failures, batch.status)
        if note:
            self.store.update_submission(submission.submission, note=note)

    async def _extract_answered(
        self, result: CollectResult, downloaded_now: list[str], progress: Progress | None
    ) -> None:
        """Extract every article whose requests were all answered and that is not yet in the
        store, through the live path with the batch's answers as first calls."""
        by_id = {a.article_id: a for a in self.corpus.articles}
        ready: dict[tuple[str, str], list[tuple[Article, list[BatchRequest], str]]] = defaultdict(
            list
        )
        for submission in self.store.submissions():
            if submission.downloaded_at is None or submission.batch_id is None:
                continue
            by_article: dict[str, list[BatchRequest]] = defaultdict(list)
            for request in self.store.batch_requests(submission.submission):
                by_article[request.article_id].append(request)
            backend = self.backend(submission.model, submission.mode)
            for article_id, requests in by_article.items():
                failed = [r for r in requests if r.outcome == "failed"]
                if failed:
                    if submission.submission in downloaded_now:
                        reason = failed[0].error or "no answer"
                        result.failed.append(
                            FileProblem(requests[0].path, f"batch {submission.batch_id}: {reason}")
                        )
                    continue
                if any(r.outcome != "answered" for r in requests):
                    continue
                article = by_id.get(article_id)
                if article is None:
                    continue  # not in this corpus (a store shared by several)
                key = cache_key(article, "llm", None, backend.cache_version)
                if key != requests[0].cache_key:
                    if submission.submission in downloaded_now:
                        result.not_extracted.append(
                            FileProblem(
                                article.path,
                                "the article, prompt or model changed since batch"
                                f" {submission.batch_id} was submitted: submit it again",
                            )
                        )
                    continue
                if self.store.cached_extraction(key) is not None:
                    result.already += 1
                    continue
                ready[(submission.model, submission.mode)].append(
                    (article, requests, submission.batch_id)
                )
        for (model, mode), items in ready.items():
            answers = BatchAnswers()
            for _, requests, batch_id in items:
                for request in requests:
                    completion = ChatCompletion.model_validate_json(request.answer or "{}")
                    answers.add(request.messages_key, completion, batch_id)
            stats = RunStats()
            token = current_batch.set(answers)
            try:
                articles = [article for article, _, _ in items]
                await extract_all(articles, self.backend(model, mode), self.store, stats, progress)
            finally:
                current_batch.reset(token)
            result.stored += stats.extracted
            result.reasks += stats.reasks
            result.not_extracted.extend(stats.failed)


def _read_result_line(line: str, answers: dict[str, str], failures: dict[str, str]) -> None:
    """One line of a batch's output or error file: an answer, or why there is none."""
    try:
        record = json.loads(line)
        custom_id = str(record["custom_id"])
    except (ValueError, KeyError, TypeError):
        return  # a line naming no request cannot be placed; its request stays unanswered
    response = record.get("response") or {}
    body = response.get("body") if isinstance(response, dict) else None
    if isinstance(response, dict) and response.get("status_code") == 200 and body:
        try:
            ChatCompletion.model_validate(body)
        except ValidationError:
            failures[custom_id] = "the batch's answer is not a chat completion"
            return
        answers[custom_id] = json.dumps(body, ensure_ascii=False)
        return
    error = record.get("error") or (body or {}).get("error") or {}
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
    else:
        code, message = None, str(error)
    status = response.get("status_code") if isinstance(response, dict) else None
    words = ": ".join(str(part) for part in (code, message) if part) or "no answer"
    failures[custom_id] = (f"HTTP {status}: " if status else "") + " ".join(words.split())[:200]


def _add_usage(total: Usage, part: Usage) -> None:
    total.calls += part.calls
    total.prompt_tokens += part.prompt_tokens
    total.completion_tokens += part.completion_tokens
    total.cost_usd += part.cost_usd
    total.retries += part.retries
    total.unpriced_models |= part.unpriced_models


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# The library's entry points: load the corpus, open the store, run, close.


def _load(corpus: Path, settings: config.Settings) -> Corpus:
    lexicon.use(lexicon.load_lexicon(settings.lexicon_files))
    return load_corpus(corpus)


async def _with_backfill(
    corpus: Path | Corpus, settings: config.Settings, work: Callable[[Backfill], Awaitable[T]]
) -> T:
    loaded = corpus if isinstance(corpus, Corpus) else _load(corpus, settings)
    store = Store.open(config.store_home(loaded.root))
    try:
        backfill = Backfill(loaded, store, settings)
        try:
            return await work(backfill)
        finally:
            await backfill.aclose()
    finally:
        store.close()


def submit_batch(
    corpus: Path | Corpus = config.DEFAULT_CORPUS,
    *,
    settings: config.Settings | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    undated: str = "include",
    max_requests: int = MAX_BATCH_REQUESTS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> SubmitResult:
    """Send the extraction requests of the corpus's articles (in [since, until] when given)
    that are neither in the store nor in a batch already sent."""
    chosen = settings or config.Settings(backend="llm")

    async def work(backfill: Backfill) -> SubmitResult:
        articles = backfill.corpus.articles
        if since is not None:
            articles, _, _ = select_period(articles, since, until, undated)
        if not articles:
            raise CorpusError(f"no articles to send in {backfill.corpus.root}")
        return await backfill.submit(articles, max_requests=max_requests, max_bytes=max_bytes)

    return asyncio.run(_with_backfill(corpus, chosen, work))


def batch_status(
    corpus: Path | Corpus = config.DEFAULT_CORPUS, *, settings: config.Settings | None = None
) -> list[BatchState]:
    chosen = settings or config.Settings(backend="llm")
    return asyncio.run(_with_backfill(corpus, chosen, lambda backfill: backfill.status()))


def collect_batches(
    corpus: Path | Corpus = config.DEFAULT_CORPUS,
    *,
    settings: config.Settings | None = None,
    wait: bool = False,
    poll_seconds: float = DEFAULT_POLL_SECONDS,
    on_batch: BatchProgress | None = None,
    progress: Progress | None = None,
) -> CollectResult:
    """Download finished batches and extract their articles into the store; with `wait`,
    poll until every batch has finished."""
    chosen = settings or config.Settings(backend="llm")
    return asyncio.run(
        _with_backfill(
            corpus,
            chosen,
            lambda backfill: backfill.collect(
                wait=wait, poll_seconds=poll_seconds, on_batch=on_batch, progress=progress
            ),
        )
    )
