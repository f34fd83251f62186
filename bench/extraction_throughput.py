"""Extraction throughput against a local OpenAI-compatible server with a fixed latency.

    .venv/bin/python bench/extraction_throughput.py [--articles 256] [--latency 0.2]
        [--concurrency 8,32,128]

A tiny threaded server (in a child process, so it does not share our GIL) sleeps a fixed
latency, then answers each chat completion with a tool call whose claims quote sentences
found in the prompt's <article>...</article> text, so grounding passes first time.
The real code path runs: LLMClient + LLMBackend (mode "tools") + pipeline.extract_all
with a temporary Store, at concurrency 8, 32 and 128, after one warm-up run that is not
judged. Wall time is compared with the ideal, waves x latency (waves = calls /
concurrency, rounded up). Targets: within 1.15x, and under 2 ms of client CPU per call.

The client's CPU is the process's CPU time (time.process_time) over the run, divided by
the calls: the event loop's work (the SDK, instructor, grounding, the store), less
sensitive to other processes' load than wall time. From 16 calls in flight the articles
are prepared in worker processes; their CPU is shown apart, as is the server's (it shares
the two cores, which a remote API would not). `--overhead` measures the client alone: a
call with a one-field answer, against the SDK's own bare request. The load average is printed beside each run, as
the wall ratios depend on it (the machine may be shared).

The ratio depends on the latency: wall is about waves x latency plus the CPU that does
not overlap the waits, about one wave's worth (concurrency x CPU per call). At 0.2 s a
wave of 128 calls leaves 0.2 s for 128 calls' CPU; a real model takes seconds per
extraction call (try --latency 2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import re
import resource
import socket
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_RATIO = 1.15
CONCURRENCIES = (8, 32, 128)
TARGET_CPU_MS = 2.0
WARM_UP_ARTICLES = 32
# Sentences the server quotes: every synthetic article holds three of them.
LEAD_RE = re.compile(r"^\[(\d+)\] (The council of District \d+ [^.\n]*\.)", re.M)


# --- the server (runs in a child process) ----------------------------------------------


def claim_for(number: str, sentence: str) -> dict[str, Any]:
    return {
        "sentences": [int(number)],
        "quote": None,
        "statement": sentence,
        "speaker": None,
        "actors": ["council"],
        "reporting_chain": ["Bench Wire"],
        "attribution": "asserted",
        "claim_type": "event",
        "event_date": None,
        "event_date_text": None,
        "date_precision": None,
    }


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """A chat completion with one tool call citing the article's numbered sentences (as
    tests/fixture_server.py)."""
    user = request["messages"][1]["content"]
    tool = request["tools"][0]["function"]["name"]
    if tool == OneWord.__name__:  # the client-overhead measurement's call
        arguments = json.dumps({"word": "harbour"})
    else:
        article = user.split("<article>", 1)[1].rsplit("</article>", 1)[0]
        payload = {"claims": [claim_for(n, s) for n, s in LEAD_RE.findall(article)[:3]]}
        arguments = json.dumps(payload)
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_735_689_600,
        "model": "bench-fixed-latency",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_bench",
                            "type": "function",
                            "function": {"name": tool, "arguments": arguments},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": len(user) // 4,
            "completion_tokens": len(arguments) // 4,
            "total_tokens": len(user) // 4 + len(arguments) // 4,
        },
    }


def run_server(port_queue: Any, latency: float) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def setup(self) -> None:
            super().setup()
            # http.server writes headers and body in two sends; with Nagle on, the body
            # waits for the client's delayed ACK (~40 ms a call on a kept-alive connection).
            # Real servers (uvicorn, vLLM, llama.cpp) set TCP_NODELAY; so do we.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(latency)  # the fixed "model" latency
            data = json.dumps(answer(json.loads(body))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512  # the default backlog of 5 drops SYNs at concurrency 32

    server = Server(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


# --- the synthetic corpus --------------------------------------------------------------


def article_text(number: int) -> str:
    """About 2,500 characters of plain prose with three quotable lead sentences."""
    filler = (
        f"Residents of District {number} followed the debate closely, and local groups"
        " asked for more public hearings before any work begins. Officials said the plans"
        " would be published in full on the district website within a few weeks. "
    )
    paragraphs = [
        f"The council of District {number} approved {number + 3} new housing projects on Monday.",
        filler * 3,
        f"The council of District {number} said the budget for the projects is {number * 7} million.",
        filler * 3,
        f"The council of District {number} will meet again next month to review progress.",
        filler * 2,
    ]
    return (
        f" date 2025-03-{1 + number % 28:02d} 200\n"
        f"District {number} council approves housing plan\n" + "\n\n".join(paragraphs) + "\n"
    )


def write_corpus(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"{number:03d}.txt").write_text(article_text(number), encoding="utf-8")


# --- the measurement -------------------------------------------------------------------


def measure(
    corpus: Path, home: Path, concurrency: int
) -> tuple[float, float, float, int, int, int]:
    """(wall, event-loop CPU and worker CPU seconds of extract_all, calls, articles
    extracted, claims); fresh store."""
    from briefing.corpus import load_corpus
    from briefing.llm.backend import LLMBackend
    from briefing.llm.client import LLMClient, LLMSettings
    from briefing.pipeline import RunStats, extract_all
    from briefing.store import Store

    articles = load_corpus(corpus).articles
    store = Store.open(home)
    settings = LLMSettings(
        model="bench-model",
        base_url=os.environ["OPENAI_BASE_URL"],
        mode="tools",
        concurrency=concurrency,
    )
    client = LLMClient(settings, log_call=store.log_call)
    backend = LLMBackend(client, store)
    stats = RunStats()

    async def run() -> tuple[float, float, int]:
        started, cpu_started = time.perf_counter(), time.process_time()
        results = await extract_all(articles, backend, store, stats)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        await backend.aclose()  # joins the worker processes, so their CPU is counted below
        return elapsed, cpu, sum(len(e.claims) for e in results.values())

    workers_before = _children_cpu()
    try:
        elapsed, cpu, claims = asyncio.run(run())
    finally:
        store.close()
    if stats.failed:
        raise SystemExit(f"extraction failed: {stats.failed[0]}")
    workers = _children_cpu() - workers_before
    return elapsed, cpu, workers, client.usage.calls, stats.extracted, claims


def _process_cpu(pid: int | None) -> float:
    """CPU seconds a running process has used (Linux /proc): the bench server shares this
    machine's two cores with the client, which a remote API does not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of the child processes that ended (the worker processes that prepare
    articles at high concurrency), not counting the server, which is still running."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class OneWord(BaseModel):
    """One word of the text."""

    word: str


def client_overhead(calls: int = 500, concurrency: int = 8) -> dict[str, float]:
    """CPU ms per call of the client alone, at `concurrency`: a structured call with a
    one-field answer through StructuredCalls and LLMClient (instructor, the retry policy,
    the budget, the call log; no article, no grounding), against the SDK's own bare
    request (`post`) and its typed `chat.completions.create`, with the same messages."""
    import openai
    from openai.types.chat import ChatCompletion

    from briefing.llm.calls import StructuredCalls
    from briefing.llm.client import CallScope, LLMClient, LLMSettings

    base_url = os.environ["OPENAI_BASE_URL"]
    messages = [
        {"role": "system", "content": "Read the article. " * 80},
        {"role": "user", "content": "<article>\n" + article_text(1) + "</article>"},
    ]
    tools = [
        {
            "type": "function",
            "function": {"name": OneWord.__name__, "parameters": OneWord.model_json_schema()},
        }
    ]

    async def run() -> dict[str, float]:
        client = LLMClient(LLMSettings(model="bench-model", base_url=base_url))
        structured = StructuredCalls(client)
        sdk = openai.AsyncOpenAI(base_url=base_url, max_retries=0)
        limit = asyncio.Semaphore(concurrency)
        body = {"model": "bench-model", "messages": messages, "tools": tools}

        async def through_briefing() -> None:
            await structured.call(
                messages, OneWord, scope=CallScope("bench"), context={}, max_reasks=0
            )

        async def sdk_post() -> None:
            await sdk.post("/chat/completions", body=body, cast_to=ChatCompletion)

        async def sdk_create() -> None:
            await sdk.chat.completions.create(**body)  # type: ignore[call-overload]

        async def bounded(call: Any) -> None:
            async with limit:
                await call()

        measured = {}
        for name, call in (
            ("briefing's structured call", through_briefing),
            ("the SDK's bare post", sdk_post),
            ("the SDK's chat.completions.create", sdk_create),
        ):
            await asyncio.gather(*(bounded(call) for _ in range(50)))  # warm-up
            started = time.process_time()
            await asyncio.gather(*(bounded(call) for _ in range(calls)))
            measured[name] = (time.process_time() - started) * 1000 / calls
        await client.close()
        await sdk.close()
        return measured

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per call")
    parser.add_argument(
        "--concurrency",
        default=",".join(map(str, CONCURRENCIES)),
        help="comma-separated concurrencies to run (default: %(default)s)",
    )
    parser.add_argument(
        "--overhead",
        action="store_true",
        help="measure the client's own CPU per call instead (one-field answers; try --latency 0)",
    )
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=run_server, args=(ports, args.latency), daemon=True)
    server.start()
    port = ports.get(timeout=30)
    os.environ["OPENAI_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
    os.environ["OPENAI_API_KEY"] = "sk-bench-not-a-real-key"

    if args.overhead:
        try:
            for name, cpu_ms in client_overhead().items():
                print(f"client overhead, {name}: {cpu_ms:.2f} ms CPU/call (concurrency 8)")
        finally:
            server.terminate()
            server.join()
        return
    print(f"articles={args.articles} latency={args.latency}s server=127.0.0.1:{port} mode=tools")
    # The first run in a process pays one-off costs inside extract_all (the openai SDK
    # imports its resource modules on first use); later runs show the steady state.
    concurrencies = [int(value) for value in args.concurrency.split(",")]
    runs = [("warm-up", 8)] + [("run", concurrency) for concurrency in concurrencies]
    all_pass = True
    try:
        with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
            corpus, warm_up = Path(tmp) / "corpus", Path(tmp) / "warm-up"
            write_corpus(corpus, args.articles)
            write_corpus(warm_up, min(args.articles, WARM_UP_ARTICLES))
            for number, (label, concurrency) in enumerate(runs):
                home = Path(tmp) / f"home-{number}"  # a fresh store: nothing cached
                folder = warm_up if label == "warm-up" else corpus
                served_before = _process_cpu(server.pid)
                elapsed, cpu, workers, calls, extracted, claims = measure(folder, home, concurrency)
                server_ms = (_process_cpu(server.pid) - served_before) * 1000 / max(calls, 1)
                cpu_ms = cpu * 1000 / max(calls, 1)  # one event loop: this is serial work
                workers_ms = workers * 1000 / max(calls, 1)
                ideal = math.ceil(calls / concurrency) * args.latency
                ratio = elapsed / ideal
                load = os.getloadavg()[0]
                line = (
                    f"{label} concurrency {concurrency:>3}: {calls} calls, {extracted} articles,"
                    f" {claims} claims, wall {elapsed:.3f}s, ideal {ideal:.3f}s,"
                    f" ratio {ratio:.2f}x, client CPU {cpu_ms:.2f} ms/call"
                    f" (+ {workers_ms:.2f} in workers; the server {server_ms:.2f}),"
                    f" load {load:.2f}"
                )
                if label == "warm-up":
                    print(f"{line} (not judged)")
                    continue
                ratio_ok, cpu_ok = ratio <= TARGET_RATIO, cpu_ms < TARGET_CPU_MS
                all_pass &= ratio_ok and cpu_ok
                print(
                    f"{line}: ratio {'PASS' if ratio_ok else 'MISS'} (<= {TARGET_RATIO}x),"
                    f" CPU {'PASS' if cpu_ok else 'MISS'} (< {TARGET_CPU_MS:g} ms)"
                )
    finally:
        server.terminate()
        server.join()
    verdict = "PASS" if all_pass else "MISS"
    print(f"summary at latency {args.latency:g}s: extraction throughput {verdict}")


if __name__ == "__main__":
    main()
