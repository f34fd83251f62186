"""The client's request path: what it sends is what the SDK's `chat.completions.create`
would send for the same parameters (it posts through the SDK without `create`'s walk)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import openai
import pytest
from pydantic import BaseModel

from briefing.llm.calls import StructuredCalls
from briefing.llm.client import CallScope, LLMClient, LLMSettings
from tests.factories import tool_call_completion

KEY = "sk-test-not-a-real-key"


class Word(BaseModel):
    """One word from the text."""

    word: str


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    tool = request["tools"][0]["function"]["name"]
    answer = tool_call_completion(tool, '{"word": "harbour"}', model="served-model")
    answer["usage"] = {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}
    return answer


def _sdk(sent: list[httpx2.Request], release: asyncio.Event | None = None) -> openai.AsyncOpenAI:
    """An SDK client whose every request is kept in `sent` and answered by `_answer`
    (once `release` is set, when given)."""

    async def handle(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        if release is not None:
            await release.wait()
        return httpx2.Response(200, json=_answer(json.loads(request.content)))

    return openai.AsyncOpenAI(
        api_key=KEY,
        base_url="http://127.0.0.1:9/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handle)),
    )


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json", "md_json"])
def test_a_call_sends_what_the_sdks_create_would_send(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    ours: list[httpx2.Request] = []
    client = LLMClient(LLMSettings(model="m", base_url="http://127.0.0.1:9/v1", mode=mode))
    client._client = _sdk(ours)
    messages = [
        {"role": "system", "content": "Read the article."},
        {"role": "user", "content": "<article>The harbour {{ reopened }} today.</article>"},
    ]

    async def call() -> Any:
        try:
            return await StructuredCalls(client).call(
                messages, Word, scope=CallScope("check"), context={}, max_reasks=0
            )
        finally:
            await client.close()

    if mode != "tools":  # the answer comes back as text in these modes
        original = _answer

        def as_text(request: dict[str, Any]) -> dict[str, Any]:
            answer = original(request | {"tools": [{"function": {"name": "Word"}}]})
            message = answer["choices"][0]["message"]
            message["content"] = message.pop("tool_calls")[0]["function"]["arguments"]
            answer["choices"][0]["finish_reason"] = "stop"
            return answer

        monkeypatch.setattr("tests.test_client._answer", as_text)
    answer = asyncio.run(call())
    assert answer.word == "harbour"
    assert len(ours) == 1 and client.usage.calls == 1 and client.served_models == ["served-model"]
    body = json.loads(ours[0].content)
    # The same parameters through the SDK's typed `create`, on the same transport.
    theirs: list[httpx2.Request] = []
    sdk = _sdk(theirs)
    asyncio.run(sdk.chat.completions.create(**body))
    asyncio.run(sdk.close())
    assert json.loads(theirs[0].content) == body
    assert (ours[0].method, ours[0].url) == (theirs[0].method, theirs[0].url)
    assert ours[0].headers["authorization"] == f"Bearer {KEY}"
    assert {k: v for k, v in ours[0].headers.items() if k != "x-stainless-retry-count"} == {
        k: v for k, v in theirs[0].headers.items() if k != "x-stainless-retry-count"
    }
    # The article text as written: never rendered as a template (md_json appends to it).
    assert any(messages[1]["content"] in sent["content"] for sent in body["messages"])
    assert body["model"] == "m"


def test_calls_in_flight_are_spread_over_sdk_clients_of_a_bounded_pool_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpcore checks every connection of its pool whenever a request takes or returns
    one; so no pool holds more than CONNECTIONS_PER_CLIENT of the run's calls in flight."""
    from briefing.llm import client as client_module

    per_client = client_module.CONNECTIONS_PER_CLIENT
    concurrency = 3 * per_client
    client = LLMClient(
        LLMSettings(model="m", base_url="http://127.0.0.1:9/v1", concurrency=concurrency)
    )
    assert len(client._clients) == 3
    release = asyncio.Event()
    sent_to: list[list[httpx2.Request]] = [[] for _ in client._clients]
    for number, old in enumerate(client._clients):
        asyncio.run(old.close())
        client._clients[number] = _sdk(sent_to[number], release)
    request = {
        "model": "m",
        "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "Word", "parameters": {}}}],
    }

    async def all_at_once() -> list[Any]:
        calls = [asyncio.create_task(client.complete(**request)) for _ in range(concurrency)]
        while sum(map(len, sent_to)) < concurrency:
            await asyncio.sleep(0.01)
        release.set()
        answers = await asyncio.gather(*calls)
        await client.close()
        return answers

    answers = asyncio.run(all_at_once())
    assert len(answers) == concurrency and client.usage.calls == concurrency
    assert [len(sent) for sent in sent_to] == [per_client] * 3
