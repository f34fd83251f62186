"""A local OpenAI-compatible chat-completions server that answers from curated responses.

    python tests/fixture_server.py --port 8765 [--fault 429 --fault malformed ...]
                                   [--fixtures bench/devcorpus/llm ...]

It serves POST /v1/chat/completions for every call the pipeline makes on the seeds.
Each curated response (tests/fixtures/llm/*.json) names a phrase of its article; the
server finds the article a prompt carries by that phrase and answers in the format the
request asks for (a tool call, a JSON object, or JSON in a Markdown fence). --fixtures
adds a folder of curated answers for other articles (its *.json files, in subfolders
too) and the judged pairs in its relations.json (the development corpus's, for
bench/quality.py --backend llm); the seeds' answers stay as they are. A request
that carries a re-ask (more than system + user messages) gets the corrected "answer";
a first request gets "first_answer" where one exists (it holds an ungrounded quote).

Faults for the next requests are queued with --fault or POST /fixture/faults
{"faults": ["401", "429", "500", "503", "malformed", "slow", "drop", "length", "context"]}
("length": the answer cut off, finish_reason "length"; "context": a 400 saying the
request passes the model's context).

It can also act as a server with limits, as real ones have: --context N refuses a
request whose prompt and max_tokens pass N tokens (with the OpenAI-style message that
llama-cpp-python and vLLM send) and serves N at GET /props (as llama.cpp's server
does); --reject-mode json_schema refuses that mode with a 500 naming it (as
llama-cpp-python does); --max-completion-tokens refuses `max_tokens` as OpenAI's
newer models do. An answer longer than the request's max_tokens is cut off there,
with finish_reason "length". With --fault-rate a
share of requests is faulted at random, but reproducibly: whether a request is faulted, and
how, depends only on --seed, what it asks (the article it carries, or its whole prompt)
and how many times the same request came before, never on the order in which concurrent
requests arrive. Every response names this server, never a real OpenAI model, in its
`model` field.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import email.policy
import hashlib
import json
import random
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "llm"
MODEL_NAME = "briefing-fixture-server"
CREATED = 1_735_689_600  # fixed, so that recorded cassettes are stable
SLOW_SECONDS = 5.0


def load_fixtures(folder: Path | None = None, extra: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """The per-article extraction answers (files that name an article): the seeds' (or
    `folder`'s), then those of each `extra` folder and its subfolders."""
    paths = sorted((folder or FIXTURES).glob("*.json"))
    for more in extra:
        paths += sorted(more.rglob("*.json"))
    loaded = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    return [fixture for fixture in loaded if isinstance(fixture, dict) and "article" in fixture]


def load_relations(extra: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """The judged pairs: the seeds' relations.json, then each `extra` folder's."""
    judged: list[dict[str, Any]] = list(_curated("relations.json"))
    for more in extra:
        path = more / "relations.json"
        if path.exists():
            judged += json.loads(path.read_text(encoding="utf-8"))
    return judged


def _curated(name: str) -> Any:
    """relations.json (a list of judged pairs) or compose.json (the composed brief)."""
    path = FIXTURES / name
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"answer": {"title": "", "sections": []}} if name == "compose.json" else []


# Faults drawn at random with --fault-rate: every kind the client must survive.
RANDOM_FAULTS = (
    "429",
    "500",
    "503",
    "drop",
    "malformed",
    "truncated_json",
    "schema_invalid",
    "ungrounded",
)


class FixtureState:
    def __init__(
        self,
        fixtures: list[dict[str, Any]],
        faults: list[str] | None = None,
        fault_rate: float = 0.0,
        seed: int = 0,
        synthesize: bool = False,
        context_tokens: int | None = None,
        rejected_modes: set[str] | None = None,
        wants_max_completion_tokens: bool = False,
        relations: list[dict[str, Any]] | None = None,
    ) -> None:
        self.relations = relations  # judged pairs; None: the seeds' relations.json
        self.context_tokens = context_tokens  # the model's context, when it has a limit
        self.rejected_modes = rejected_modes or set()  # modes refused, as a real server may
        self.wants_max_completion_tokens = wants_max_completion_tokens
        self.received: list[dict[str, Any]] = []  # every chat request, in order
        self.fixtures = fixtures
        self.faults: deque[str] = deque(faults or [])
        self.fault_rate = fault_rate
        self.seed = seed
        self.seen: Counter[str] = Counter()  # requests so far, by request_key
        self.synthesize = synthesize  # answer articles without a curated response
        self.requests = 0
        self.faulted = 0
        self.lock = threading.Lock()
        self.batches = BatchBook()  # /v1/files and /v1/batches (see below)

    def next_fault(self, key: str = "") -> str | None:
        """A queued fault, else a drawn one for the `occurrence`-th request with this key."""
        with self.lock:
            self.requests += 1
            occurrence = self.seen[key]
            self.seen[key] += 1
            fault: str | None = None
            if self.faults:
                fault = self.faults.popleft()
            elif self.fault_rate:
                draw = random.Random(f"{self.seed}|{key}|{occurrence}")
                if draw.random() < self.fault_rate:
                    fault = draw.choice(RANDOM_FAULTS)
            self.faulted += fault is not None
            return fault


def request_key(request: dict[str, Any]) -> str:
    """What identifies a request across runs: the article it carries (else its prompt) and
    how many messages it has (a re-ask has more)."""
    messages = request.get("messages", [])
    prompt = _text_of(messages[:2]) if isinstance(messages, list) else ""
    article = re.search(r"<article>\n(.*?)\n</article>", prompt, re.S)
    basis = article.group(1) if article else prompt
    return f"{len(messages)}|{hashlib.sha256(basis.encode()).hexdigest()}"


def _text_of(messages: list[dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return "\n".join(parts)


def _json_lines(prompt: str, tag: str) -> list[dict[str, Any]]:
    """The JSON objects the prompt lists between <tag> and </tag>, one per line."""
    match = re.search(rf"<{tag}>\n(.*?)</{tag}>", prompt, re.S)
    lines = match.group(1).splitlines() if match else []
    return [json.loads(line) for line in lines if line.strip()]


def relate_payload(prompt: str, relations: list[dict[str, Any]]) -> dict[str, Any]:
    """Judgements for the prompt's pairs from the curated relation table; others unrelated."""
    judgements = []
    for pair in _json_lines(prompt, "pairs"):
        for entry in relations:
            forward = entry["first"] in pair["first"] and entry["second"] in pair["second"]
            backward = entry["first"] in pair["second"] and entry["second"] in pair["first"]
            if forward or backward:
                judgements.append(
                    {"pair": pair["pair"], "relation": entry["relation"], "note": entry["note"]}
                )
                break
    return {"judgements": judgements}


def compose_payload(prompt: str, composed: dict[str, Any]) -> dict[str, Any]:
    """The curated brief, its sentences' statement fragments mapped to the prompt's claim ids."""
    findings = _json_lines(prompt, "findings")

    def claim_id(fragment: str) -> str | None:
        for finding in findings:
            if fragment in finding["statement"]:
                return str(finding["claim_ids"][0])
        return None

    sections = []
    for section in composed["sections"]:
        sentences = []
        for sentence in section["sentences"]:
            ids = [cid for cid in map(claim_id, sentence["claims"]) if cid]
            if ids:
                sentences.append({"text": sentence["text"], "claim_ids": list(dict.fromkeys(ids))})
        sections.append({"heading": section["heading"], "sentences": sentences})
    return {"title": composed["title"], "sections": sections}


def synthesized_payload(prompt: str) -> dict[str, Any] | None:
    """For a generated article: its first numbered sentence, restated, as the one claim."""
    match = re.search(r"<article>\n(.*?)\n</article>", prompt, re.S)
    if not match:
        return None
    sentence = re.search(r"^\[(\d+)\] (.+)$", match.group(1), re.M)
    if not sentence:
        return None
    claim = {
        "sentences": [int(sentence.group(1))],
        "quote": None,
        "statement": sentence.group(2),
        "speaker": None,
        "actors": [],
        "reporting_chain": [],
        "attribution": "asserted",
        "claim_type": "event",
        "event_date": None,
        "event_date_text": None,
        "date_precision": None,
    }
    return {"claims": [claim], "publication_date": None}


def synthesized_compose(prompt: str) -> dict[str, Any]:
    """For findings with no curated brief: each finding's statement as a key development,
    citing its claims, and each listed conflict as both sides' statements citing the claims
    of both (what a model that only restates its input would write)."""
    findings = _json_lines(prompt, "findings")
    sentences = [{"text": f["statement"], "claim_ids": f["claim_ids"]} for f in findings]
    sections = [{"heading": "Key developments", "sentences": sentences}]
    statement_of = {cid: f["statement"] for f in findings for cid in f["claim_ids"]}
    conflicts = []
    for pair in _json_lines(prompt, "conflicts"):
        first, second = pair["first"], pair["second"]
        if first and second and first[0] in statement_of and second[0] in statement_of:
            text = f"{statement_of[first[0]]} Against this: {statement_of[second[0]]}"
            conflicts.append({"text": text, "claim_ids": [*first, *second]})
    if conflicts:
        sections.append({"heading": "Conflicting reports", "sentences": conflicts})
    return {"title": "Situation brief", "sections": sections}


# The phrases `briefing doctor`'s checks carry, and the answers a model would give.
DOCTOR_PHRASE = "connection check by briefing doctor"
DOCTOR_ANSWER = {"city": "Paris", "country": "France"}
SPEED_CHECK_PHRASE = "speed check by briefing doctor"


def mode_of(request: dict[str, Any]) -> str:
    """The instructor mode a request was made in, by what it asks of the server."""
    if request.get("tools"):
        return "tools"
    kind = (request.get("response_format") or {}).get("type")
    return {"json_schema": "json_schema", "json_object": "json"}.get(kind, "md_json")


# How servers refuse a mode they lack: llama-cpp-python's 500 for json_schema (its
# request schema allows only text and json_object), Ollama's 400 for tools.
MODE_REFUSALS = {
    "json_schema": (
        500,
        "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format',"
        " 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}",
    ),
    "json": (400, "response_format json_object is not supported by this model"),
    "tools": (400, "briefing-fixture-server does not support tools"),
    "md_json": (400, "this model does not support plain chat"),
}


def prompt_tokens_of(request: dict[str, Any]) -> int:
    """Tokens of a request's prompt, estimated as the usage it reports: 4 characters each."""
    tools = json.dumps(request.get("tools") or "")
    schema = json.dumps(request.get("response_format") or "")
    return (len(_text_of(request.get("messages", []))) + len(tools) + len(schema)) // 4


def choose_payload(
    fixtures: list[dict[str, Any]],
    request: dict[str, Any],
    synthesize: bool = False,
    relations: list[dict[str, Any]] | None = None,
) -> dict[str, Any] | None:
    messages = request.get("messages", [])
    prompt = _text_of(messages[:2])  # the system and first user message carry the input
    is_reask = len(messages) > 2
    if DOCTOR_PHRASE in prompt:
        return dict(DOCTOR_ANSWER)
    if SPEED_CHECK_PHRASE in prompt:
        return {"claims": []}
    if "<pairs>" in prompt:
        return relate_payload(
            prompt, _curated("relations.json") if relations is None else relations
        )
    if "<findings>" in prompt:
        composed = _curated("compose.json")
        first = "first_answer" in composed and not is_reask
        payload = compose_payload(prompt, composed["first_answer" if first else "answer"])
        if synthesize and not any(section["sentences"] for section in payload["sections"]):
            return synthesized_compose(prompt)
        return payload
    for fixture in fixtures:
        if fixture["match"] in prompt:
            extract = fixture["extract"]
            if not is_reask and "first_answer" in extract:
                return dict(extract["first_answer"])
            return dict(extract["answer"])
    return synthesized_payload(prompt) if synthesize else None


def _spoiled(payload: dict[str, Any], fault: str | None) -> dict[str, Any]:
    """The payload as a faulty model would write it."""
    if fault == "schema_invalid" and "claims" in payload:
        return {"claims": [{"statement": "A claim with no sentences and no labels."}]}
    if fault == "ungrounded" and payload.get("claims"):
        claims = [dict(c) for c in payload["claims"]]
        claims[0]["sentences"] = [100_000]  # a sentence the article does not have
        return {**payload, "claims": claims}
    return payload


def completion_body(
    request: dict[str, Any], payload: dict[str, Any], cut_off: bool = False
) -> dict[str, Any]:
    """The answer in the request's format; cut off (finish_reason "length") at the
    request's max_tokens, or half-way when `cut_off`."""
    arguments = json.dumps(payload, ensure_ascii=False)
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:24]
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish_reason = "stop"
    cap = request.get("max_tokens") or request.get("max_completion_tokens")
    if cut_off or (isinstance(cap, int) and len(arguments) // 4 > cap):
        arguments = arguments[: len(arguments) // 2 if cut_off else cap * 4]
        finish_reason = "length"
    tools = request.get("tools")
    if tools:
        name = tools[0]["function"]["name"]
        message["tool_calls"] = [
            {
                "id": f"call_{digest}",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
        ]
        finish_reason = "tool_calls" if finish_reason == "stop" else finish_reason
    elif request.get("response_format"):
        message["content"] = arguments
    else:
        message["content"] = f"```json\n{arguments}\n```"
    return {
        "id": f"chatcmpl-{digest}",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL_NAME,
        "choices": [
            {"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens_of(request),
            "completion_tokens": len(arguments) // 4,
            "total_tokens": prompt_tokens_of(request) + len(arguments) // 4,
        },
        "system_fingerprint": "fixture",
    }


def make_handler(state: FixtureState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet under pytest
            return

        def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
            body = {"error": {"message": message, "type": "fixture_error", "code": status}}
            self._send_json(status, body, headers)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._send_json(
                    200, {"object": "list", "data": [{"id": MODEL_NAME, "object": "model"}]}
                )
            elif self.path.rstrip("/") == "/props" and state.context_tokens:
                # llama.cpp's server tells its context size here
                settings = {"n_ctx": state.context_tokens}
                self._send_json(200, {"default_generation_settings": settings, "total_slots": 1})
            else:
                self._error(404, f"no route {self.path}")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if self.path == "/fixture/faults":
                state.faults.extend(json.loads(raw or b"{}").get("faults", []))
                self._send_json(200, {"queued": list(state.faults)})
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._error(404, f"no route {self.path}")
                return
            try:
                request = json.loads(raw)
            except json.JSONDecodeError:
                self._error(400, "request body is not JSON")
                return
            state.received.append(request)
            fault = state.next_fault(request_key(request))
            refusal = self._refusal(request, fault)
            if refusal is not None:
                self._error(*refusal)
                return
            if fault == "429":
                self._error(429, "rate limited by the fixture server", {"Retry-After": "0"})
                return
            if fault == "401":
                self._error(401, "Incorrect API key provided")
                return
            if fault in ("500", "503"):
                self._error(int(fault), "fixture server fault")
                return
            if fault == "drop":
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault == "slow":
                time.sleep(SLOW_SECONDS)
            payload = choose_payload(state.fixtures, request, state.synthesize, state.relations)
            if payload is None:
                self._error(400, "the fixture server has no curated response for this prompt")
                return
            if fault == "malformed":
                self._send_json(200, b'{"id": "chatcmpl-broken", "choices": [')
                return
            body = completion_body(request, _spoiled(payload, fault), cut_off=fault == "length")
            if fault == "truncated_json":  # the model's JSON cut off mid-way
                for choice in body["choices"]:
                    message = choice["message"]
                    if message.get("tool_calls"):
                        arguments = message["tool_calls"][0]["function"]["arguments"]
                        message["tool_calls"][0]["function"]["arguments"] = arguments[
                            : len(arguments) // 2
                        ]
                    elif message.get("content"):
                        message["content"] = message["content"][: len(message["content"]) // 2]
            self._send_json(200, body)

        def _refusal(self, request: dict[str, Any], fault: str | None) -> tuple[int, str] | None:
            """The status and message a server with this one's limits refuses with, if any."""
            mode = mode_of(request)
            if mode in state.rejected_modes:
                return MODE_REFUSALS[mode]
            if state.wants_max_completion_tokens and "max_tokens" in request:
                return (
                    400,
                    "Unsupported parameter: 'max_tokens' is not supported with this model."
                    " Use 'max_completion_tokens' instead.",
                )
            cap = request.get("max_tokens") or request.get("max_completion_tokens") or 0
            prompt = prompt_tokens_of(request)
            limit = state.context_tokens
            if fault == "context" or (limit and prompt + cap > limit):
                limit = limit or prompt
                return (
                    400,
                    f"This model's maximum context length is {limit} tokens. However, you"
                    f" requested {prompt + cap} tokens ({prompt} in the messages, {cap} in the"
                    " completion). Please reduce the length of the messages or completion.",
                )
            return None

    return Handler


def serve(
    port: int = 0,
    faults: list[str] | None = None,
    folder: Path | None = None,
    fault_rate: float = 0.0,
    synthesize: bool = False,
    seed: int = 0,
    context_tokens: int | None = None,
    rejected_modes: set[str] | None = None,
    wants_max_completion_tokens: bool = False,
    extra: Sequence[Path] = (),
) -> tuple[ThreadingHTTPServer, FixtureState]:
    """Start the server on 127.0.0.1 in a daemon thread; port 0 picks a free one. `extra`
    folders add curated answers and judged pairs (see --fixtures)."""
    state = FixtureState(
        load_fixtures(folder, extra),
        faults,
        fault_rate,
        seed=seed,
        synthesize=synthesize,
        context_tokens=context_tokens,
        rejected_modes=rejected_modes,
        wants_max_completion_tokens=wants_max_completion_tokens,
        relations=load_relations(extra) if extra else None,
    )
    server = ThreadingHTTPServer(("127.0.0.1", port), with_batches(make_handler(state), state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state


# The Files and Batch endpoints: a batch's requests are answered as the live endpoint would
# answer them, once the batch is read `polls` times; a plan makes some fail or the batch
# expire. Ids are hashes of content, so recorded cassettes replay with the same paths.

EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."


@dataclass
class BatchPlan:
    """How the next batches behave: set by a test (state.batches.plan), by POST
    /fixture/batch-plan {"polls": 2, "fail": ["phrase"], "expire_after": 3}, or by flags."""

    polls: int = 1  # reads that find a batch still in progress before it finishes
    fail: list[str] = field(default_factory=list)  # a request whose prompt holds one fails
    expire_after: int | None = None  # the batch expires after answering this many requests
    refuse: str | None = None  # the whole batch fails validation with this message


@dataclass
class FixtureBatch:
    body: dict[str, Any]  # the batch object as the API shows it
    lines: list[dict[str, Any]]
    plan: BatchPlan
    reads: int = 0


class BatchBook:
    """Uploaded files and created batches, in memory."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self.batches: dict[str, FixtureBatch] = {}
        self.plan = BatchPlan()
        self.created = 0  # batches created, for tests that count them
        self.lock = threading.Lock()

    def add_file(self, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
        file_id = f"file-{hashlib.sha256(content).hexdigest()[:24]}"
        body = {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": CREATED,
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self.lock:
            self.files[file_id] = (body, content)
        return body

    def create(self, request: dict[str, Any]) -> dict[str, Any] | str:
        file_id = str(request.get("input_file_id"))
        if file_id not in self.files:
            return f"no file {file_id}"
        try:
            lines = [
                json.loads(line) for line in self.files[file_id][1].decode().splitlines() if line
            ]
        except ValueError:
            return f"file {file_id} is not JSONL"
        with self.lock:
            self.created += 1
            same_file = sum(b.body["input_file_id"] == file_id for b in self.batches.values())
            digest = hashlib.sha256(f"{file_id}|{same_file}".encode()).hexdigest()[:24]
            batch_id = f"batch_{digest}"
            body = {
                "id": batch_id,
                "object": "batch",
                "endpoint": request.get("endpoint"),
                "errors": None,
                "input_file_id": file_id,
                "completion_window": request.get("completion_window"),
                "status": "validating",
                "output_file_id": None,
                "error_file_id": None,
                "created_at": CREATED,
                "in_progress_at": None,
                "expires_at": CREATED + 86_400,
                "finalizing_at": None,
                "completed_at": None,
                "failed_at": None,
                "expired_at": None,
                "cancelling_at": None,
                "cancelled_at": None,
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                "metadata": request.get("metadata"),
            }
            plan = dataclasses.replace(self.plan, fail=list(self.plan.fail))
            self.batches[batch_id] = FixtureBatch(body, lines, plan)
        return body

    def read(self, batch_id: str, state: FixtureState) -> dict[str, Any] | None:
        """The batch as the API shows it now: each read moves it on."""
        with self.lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            body = batch.body
            if body["status"] in ("completed", "expired", "failed", "cancelled"):
                return body
            batch.reads += 1
            total = len(batch.lines)
            if batch.reads <= batch.plan.polls:
                body["status"] = "in_progress"
                body["in_progress_at"] = CREATED + 1
                body["request_counts"]["completed"] = total * batch.reads // (batch.plan.polls + 1)
                return body
        self._finish(batch, state)
        return batch.body

    def cancel(self, batch_id: str, state: FixtureState) -> dict[str, Any] | None:
        batch = self.batches.get(batch_id)
        if batch is None:
            return None
        if batch.body["status"] not in ("completed", "expired", "failed", "cancelled"):
            batch.plan.expire_after = 0
            self._finish(batch, state, ended="cancelled")
        return batch.body

    def _finish(self, batch: FixtureBatch, state: FixtureState, ended: str = "") -> None:
        body, plan = batch.body, batch.plan
        if plan.refuse:
            body["status"] = "failed"
            body["failed_at"] = CREATED + 2
            body["errors"] = {
                "object": "list",
                "data": [{"code": "invalid_request", "message": plan.refuse, "line": None}],
            }
            return
        answered: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        for line in batch.lines:
            custom_id = str(line.get("custom_id"))
            request = line.get("body") or {}
            line_id = hashlib.sha256(f"{body['id']}|{custom_id}".encode()).hexdigest()[:24]
            result: dict[str, Any] = {"id": f"batch_req_{line_id}", "custom_id": custom_id}
            if plan.expire_after is not None and len(answered) >= plan.expire_after:
                code = "batch_cancelled" if ended == "cancelled" else "batch_expired"
                message = "The batch was cancelled." if ended else EXPIRED_MESSAGE
                failed.append(
                    {**result, "response": None, "error": {"code": code, "message": message}}
                )
                continue
            prompt = _text_of(request.get("messages", [])[:2])
            payload = choose_payload(state.fixtures, request, state.synthesize, state.relations)
            if any(phrase in prompt or phrase == custom_id for phrase in plan.fail):
                status, reply = (
                    500,
                    {"error": {"message": "fixture server fault", "type": "server_error"}},
                )
            elif payload is None:
                status = 400
                reply = {
                    "error": {
                        "message": "the fixture server has no curated response for this prompt",
                        "type": "fixture_error",
                    }
                }
            else:
                status, reply = 200, completion_body(request, payload)
            response = {"status_code": status, "request_id": f"req_{line_id}", "body": reply}
            (answered if status == 200 else failed).append(
                {**result, "response": response, "error": None}
            )
        for name, results in (("output_file_id", answered), ("error_file_id", failed)):
            if results:
                content = "".join(json.dumps(r) + "\n" for r in results).encode()
                body[name] = self.add_file(content, f"{body['id']}_{name}.jsonl", "batch_output")[
                    "id"
                ]
        ran_out = any((r.get("error") or {}).get("code") == "batch_expired" for r in failed)
        body["status"] = ended or ("expired" if ran_out else "completed")
        body[f"{body['status']}_at"] = CREATED + 2
        body["request_counts"] = {
            "total": len(batch.lines),
            "completed": len(answered),
            "failed": len(failed),
        }


def _form_parts(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The fields of a multipart/form-data body: name -> (filename, content)."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (part.get_filename(), payload)
    return fields


def with_batches(
    handler: type[BaseHTTPRequestHandler], state: FixtureState
) -> type[BaseHTTPRequestHandler]:
    """`handler` that also serves /v1/files, /v1/batches and POST /fixture/batch-plan."""
    book = state.batches

    class BatchHandler(handler):  # type: ignore[valid-type,misc]
        def do_GET(self) -> None:
            path = urlsplit(self.path).path.rstrip("/")
            parts = path.split("/")
            if path.endswith("/batches"):
                data = [b.body for b in reversed(list(book.batches.values()))]  # newest first
                first = data[0]["id"] if data else None
                last = data[-1]["id"] if data else None
                self._send_json(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "first_id": first,
                        "last_id": last,
                        "has_more": False,
                    },
                )
            elif len(parts) >= 2 and parts[-2] == "batches":
                body = book.read(parts[-1], state)
                if body is None:
                    self._error(404, f"No batch found with id '{parts[-1]}'")
                else:
                    self._send_json(200, body)
            elif len(parts) >= 3 and parts[-3] == "files" and parts[-1] == "content":
                found = book.files.get(parts[-2])
                if found is None:
                    self._error(404, f"No such File object: {parts[-2]}")
                else:
                    self._send_bytes(found[1])
            elif len(parts) >= 2 and parts[-2] == "files":
                found = book.files.get(parts[-1])
                if found is None:
                    self._error(404, f"No such File object: {parts[-1]}")
                else:
                    self._send_json(200, found[0])
            else:
                super().do_GET()

        def _send_bytes(self, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            path = urlsplit(self.path).path.rstrip("/")
            parts = path.split("/")
            routes = path.endswith(("/files", "/batches", "/cancel", "/fixture/batch-plan"))
            if not routes:
                super().do_POST()
                return
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if path.endswith("/fixture/batch-plan"):
                book.plan = BatchPlan(**json.loads(raw or b"{}"))
                self._send_json(200, {"plan": book.plan.__dict__})
            elif path.endswith("/files"):
                fields = _form_parts(self.headers.get("Content-Type", ""), raw)
                filename, content = fields.get("file", (None, b""))
                purpose = fields.get("purpose", (None, b""))[1].decode()
                if not content:
                    self._error(400, "no file in the upload")
                    return
                self._send_json(200, book.add_file(content, filename or "upload.jsonl", purpose))
            elif path.endswith("/cancel"):
                body = book.cancel(parts[-2], state)
                if body is None:
                    self._error(404, f"No batch found with id '{parts[-2]}'")
                else:
                    self._send_json(200, body)
            else:
                try:
                    created = book.create(json.loads(raw))
                except json.JSONDecodeError:
                    self._error(400, "request body is not JSON")
                    return
                if isinstance(created, str):
                    self._error(400, created)
                else:
                    self._send_json(200, created)

    return BatchHandler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--fault", action="append", default=[], help="queue a fault for the next request"
    )
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests faulted")
    parser.add_argument(
        "--seed", type=int, default=0, help="which requests --fault-rate faults (reproducibly)"
    )
    parser.add_argument(
        "--synthesize", action="store_true", help="answer articles that have no curated response"
    )
    parser.add_argument(
        "--batch-polls", type=int, default=1, help="reads of a batch that find it still running"
    )
    parser.add_argument(
        "--batch-fail",
        action="append",
        default=[],
        help="a batched request whose article holds this phrase fails (HTTP 500)",
    )
    parser.add_argument(
        "--batch-expire-after", type=int, default=None, help="a batch expires after N answers"
    )
    parser.add_argument("--context", type=int, help="the model's context size, in tokens")
    parser.add_argument(
        "--reject-mode",
        action="append",
        default=[],
        choices=sorted(MODE_REFUSALS),
        help="refuse this instructor mode as a real server would",
    )
    parser.add_argument(
        "--max-completion-tokens",
        action="store_true",
        help="refuse max_tokens and take max_completion_tokens, as OpenAI's newer models",
    )
    parser.add_argument(
        "--fixtures",
        action="append",
        default=[],
        type=Path,
        help="a folder of more curated answers and its relations.json (repeatable)",
    )
    args = parser.parse_args()
    state = FixtureState(
        load_fixtures(extra=args.fixtures),
        args.fault,
        args.fault_rate,
        seed=args.seed,
        synthesize=args.synthesize,
        context_tokens=args.context,
        rejected_modes=set(args.reject_mode),
        wants_max_completion_tokens=args.max_completion_tokens,
        relations=load_relations(args.fixtures) if args.fixtures else None,
    )
    state.batches.plan = BatchPlan(
        polls=args.batch_polls, fail=args.batch_fail, expire_after=args.batch_expire_after
    )
    server = ThreadingHTTPServer(("127.0.0.1", args.port), with_batches(make_handler(state), state))
    print(
        f"fixture server on http://127.0.0.1:{args.port}/v1 ({len(state.fixtures)} articles)",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
