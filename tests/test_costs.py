"""Prices: known models are priced, unknown ones are "price unknown", never another's price."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from briefing.costs import Usage, cost_of, price_of
from briefing.errors import BudgetExceeded, ConfigurationError
from briefing.llm.backend import LLMBackend
from briefing.llm.client import Budget, LLMClient, LLMSettings
from briefing.store import Store

NOWHERE = "http://127.0.0.1:9/v1"  # nothing listens there; no test here sends a request


def test_known_models_and_their_snapshots_are_priced() -> None:
    assert price_of("gpt-4o-mini") == (0.15, 0.60)
    assert price_of("gpt-4o-mini-2024-07-18") == (0.15, 0.60)  # a snapshot costs its family's
    assert price_of("gpt-4o-2024-08-06") == (2.50, 10.00)
    assert price_of("gpt-5-nano-2025-08-07") == (0.05, 0.40)
    assert cost_of("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)


@pytest.mark.parametrize(
    "model",
    [
        "briefing-fixture-server",
        "llama3.1",
        "gpt-4o-minimal",
        "gpt-4o-audio-preview",
        "openai/gpt-4o-mini",
        "",
    ],
)
def test_unknown_models_have_no_price(model: str) -> None:
    assert price_of(model) is None
    assert cost_of(model, 1000, 1000) is None


def test_usage_with_an_unpriced_model_is_price_unknown() -> None:
    usage = Usage()
    assert usage.priced and usage.cost_text() == "about $0.0000"
    usage.add("gpt-4o-mini", 1_000_000, 0)
    assert usage.priced and usage.cost_text() == "about $0.1500"
    usage.add("llama3.1", 500, 100)
    assert not usage.priced and usage.unpriced_models == {"llama3.1"}
    assert usage.cost_text() == "price unknown (llama3.1)"
    assert (usage.prompt_tokens, usage.completion_tokens) == (1_000_500, 100)


def test_a_cost_budget_for_a_model_without_a_price_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"price of model 'llama3.1' is unknown"):
        LLMSettings(model="llama3.1", base_url=NOWHERE, budget=Budget(max_cost_usd=1.0))
    # a call budget needs no price
    LLMSettings(model="llama3.1", base_url=NOWHERE, budget=Budget(max_calls=3))


def _response(model: str | None, prompt_tokens: int = 1000, completion_tokens: int = 200) -> Any:
    usage = SimpleNamespace(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
    return SimpleNamespace(model=model, usage=usage)


@pytest.fixture
def logged() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def client(logged: list[dict[str, Any]]) -> Iterator[LLMClient]:
    settings = LLMSettings(model="gpt-4o-mini", base_url=NOWHERE)
    made = LLMClient(settings, log_call=lambda **row: logged.append(row))
    yield made
    asyncio.run(made.close())


def test_calls_are_logged_and_priced_as_the_model_the_server_names(
    client: LLMClient, logged: list[dict[str, Any]]
) -> None:
    request = {"model": "gpt-4o-mini", "messages": []}
    client._record(request, 0.0, _response("gpt-4o-mini-2024-07-18"), None)
    assert logged[-1]["model"] == "gpt-4o-mini-2024-07-18"
    assert client.usage.priced and client.usage.cost_usd == pytest.approx(
        (1000 * 0.15 + 200 * 0.60) / 1e6
    )
    # a server that answers a request for gpt-4o-mini as something else is not priced as it
    client._record(request, 0.0, _response("briefing-fixture-server"), None)
    assert logged[-1]["model"] == "briefing-fixture-server"
    assert not client.usage.priced
    assert client.served_models == ["gpt-4o-mini-2024-07-18", "briefing-fixture-server"]
    # a failed call has no answer: it is logged under the requested model
    client._record(request, 0.0, None, "HTTP 503 from the API")
    assert logged[-1]["model"] == "gpt-4o-mini" and logged[-1]["status"] == "error"
    assert client.served_models == ["gpt-4o-mini-2024-07-18", "briefing-fixture-server"]


def test_a_response_without_a_model_name_is_priced_as_requested(client: LLMClient) -> None:
    client._record({"model": "gpt-4o-mini", "messages": []}, 0.0, _response(None), None)
    assert client.served_models == ["gpt-4o-mini"] and client.usage.priced


def test_a_cost_budget_stops_once_an_unpriced_model_answers() -> None:
    client = LLMClient(
        LLMSettings(model="gpt-4o-mini", base_url=NOWHERE, budget=Budget(max_cost_usd=5.0))
    )
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    client._check_budget(request)  # priced as requested before any answer: allowed
    client._record(request, 0.0, _response("briefing-fixture-server"), None)
    with pytest.raises(BudgetExceeded, match=r"answered as briefing-fixture-server, whose price"):
        asyncio.run(client.complete(**request))
    assert client.usage.calls == 1  # refused before it was sent
    asyncio.run(client.close())


def test_the_brief_names_the_served_model_also_when_everything_came_from_the_store(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "home")
    try:
        first = LLMBackend(LLMClient(LLMSettings(model="gpt-4o-mini", base_url=NOWHERE)), store)
        assert first.info.model == "gpt-4o-mini"  # nothing has answered yet
        first.client.served_models.append("gpt-4o-mini-2024-07-18")
        assert first.info.model == "gpt-4o-mini-2024-07-18"
        # a later run whose answers all come from the store makes no call
        later = LLMBackend(LLMClient(LLMSettings(model="gpt-4o-mini", base_url=NOWHERE)), store)
        assert later.info.model == "gpt-4o-mini-2024-07-18"
        # another requested model is another entry
        other = LLMBackend(LLMClient(LLMSettings(model="gpt-4o", base_url=NOWHERE)), store)
        assert other.info.model == "gpt-4o"
        # the extraction cache depends on what was asked for, not on what answered
        assert first.cache_version == later.cache_version != other.cache_version
        for backend in (first, later, other):
            asyncio.run(backend.aclose())
    finally:
        store.close()
