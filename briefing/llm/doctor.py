"""`briefing doctor`: what the configured endpoint can do, and the settings to use with it.

One small structured request per instructor mode (a two-field answer, re-asked never),
so that a user learns before a run which mode their server takes (llama-cpp-python
refuses json_schema; Ollama's older models refuse tools), how fast it answers and,
where the server tells it, its context size: llama.cpp's server at GET /props,
vLLM in its model list (`max_model_len`). Nothing is stored; the key is never shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.error import URLError

import openai
from pydantic import BaseModel

from briefing import config
from briefing.errors import BriefingError, ConfigurationError
from briefing.llm.calls import StructuredCalls
from briefing.llm.client import Budget, CallScope, LLMClient, LLMSettings, describe_error

# A check's answer is a few tokens; a model that does not stop is cut off here.
CHECK_MAX_TOKENS = 200
# A timed-out or failed check is tried this many times in all (one retry at most).
CHECK_ATTEMPTS = 2
# The modes in the order they are recommended: a schema the server enforces first.
PREFERRED_MODES = ("tools", "json_schema", "json", "md_json")
# Reading the server's own description (/props, /models) gives up after this long.
METADATA_TIMEOUT_SECONDS = 10.0

CHECK_MESSAGES = [
    {
        "role": "system",
        "content": "This is a connection check by briefing doctor. Answer with the requested"
        " fields only.",
    },
    {"role": "user", "content": "Name the capital city of France and its country."},
]


class CapitalCity(BaseModel):
    """The check's answer: two short strings any instruction-following model can give."""

    city: str
    country: str


@dataclass
class ModeCheck:
    mode: str
    works: bool
    latency_s: float
    detail: str  # the answer when it works, else the cause in one line
    completion_tokens: int = 0


@dataclass
class Diagnosis:
    base_url: str
    requested_model: str
    reachable: bool = False
    reach_error: str | None = None
    listed_models: list[str] = field(default_factory=list)  # GET /models
    served_model: str | None = None  # what the answers named (`response.model`)
    context_tokens: int | None = None
    context_source: str | None = None
    checks: list[ModeCheck] = field(default_factory=list)
    tokens_per_second: float | None = None  # generation speed, from a plain request
    slots: int | None = None  # requests the server serves at once, when it says
    local: bool = False  # on this machine's loopback: one slot unless it says more

    @property
    def working_modes(self) -> list[str]:
        return [c.mode for c in self.checks if c.works]

    @property
    def best_mode(self) -> str | None:
        working = self.working_modes
        return next((mode for mode in PREFERRED_MODES if mode in working), None)

    def suggested_settings(self, settings: config.Settings) -> dict[str, str]:
        """Environment variables for `briefing generate` against this endpoint: the mode that
        works, an answer cap a slow server finishes in about a minute (and that leaves
        article text room in a known context), a timeout that allows for it."""
        suggested: dict[str, str] = {}
        if self.best_mode is not None:
            suggested["BRIEFING_MODE"] = self.best_mode
        suggested["BRIEFING_MODEL"] = self.requested_model
        max_tokens = settings.max_tokens or config.DEFAULT_MAX_TOKENS
        reasks = settings.reasks if settings.reasks is not None else config.DEFAULT_REASKS
        rate = self.tokens_per_second
        if rate and settings.max_tokens is None:
            affordable = int(rate * TARGET_ANSWER_SECONDS) // 128 * 128
            max_tokens = min(max_tokens, max(MIN_SUGGESTED_MAX_TOKENS, affordable))
        if rate and max_tokens / rate > SLOW_ANSWER_SECONDS and settings.reasks is None:
            reasks = min(reasks, 1)  # each re-ask resends every answer before it
        if self.context_tokens:
            max_tokens, reasks = _fit_context(self.context_tokens, max_tokens, reasks)
            suggested["BRIEFING_CONTEXT"] = str(self.context_tokens)
        suggested["BRIEFING_MAX_TOKENS"] = str(max_tokens)
        suggested["BRIEFING_REASKS"] = str(reasks)
        if rate:
            seconds = 2 * max_tokens / rate
            if seconds > config.DEFAULT_TIMEOUT_SECONDS:
                suggested["BRIEFING_TIMEOUT"] = str(int(math.ceil(seconds / 30) * 30))
        return suggested

    @property
    def concurrency(self) -> int | None:
        """The --concurrency to use: the server's slots, or 1 for a local server that does
        not say (a request beyond its slots waits, and its wait counts against --timeout)."""
        if self.slots:
            return self.slots
        return 1 if self.local else None


# A suggested answer cap is what a slow server writes in about this many seconds ...
TARGET_ANSWER_SECONDS = 60
# ... and never less than this.
MIN_SUGGESTED_MAX_TOKENS = 512
# A full answer slower than this makes re-asks dear: one at most is suggested.
SLOW_ANSWER_SECONDS = 30
# The speed check asks for an answer of at most this many tokens.
SPEED_CHECK_TOKENS = 96
SPEED_CHECK_MESSAGES = [
    {
        "role": "system",
        "content": "This is a speed check by briefing doctor. List the claims of the article.",
    },
    {
        "role": "user",
        "content": "<article>\nThe port of the town reopened on Monday after a storm, the"
        " harbour master said. Ferries will sail again from Tuesday.\n</article>",
    },
]


def _fit_context(context: int, max_tokens: int, reasks: int) -> tuple[int, int]:
    """An answer cap and re-ask count that leave article text room in the context."""
    from briefing.llm.backend import part_tokens_for_context

    cap = min(max_tokens, max(config.MIN_TOKENS, context // 4))
    for tries in range(reasks, -1, -1):
        try:
            part_tokens_for_context(context, cap, tries)
            return cap, tries
        except ConfigurationError:
            continue
    return cap, 0


async def diagnose(settings: config.Settings) -> Diagnosis:
    """Reach the endpoint, read what it says of itself, and try each mode once."""
    base_url = config.base_url()
    if base_url is None and config.api_key() is None:
        raise ConfigurationError(
            "no endpoint to check: set OPENAI_BASE_URL (or BRIEFING_BASE_URL) for a local"
            " OpenAI-compatible server, or OPENAI_API_KEY for OpenAI"
        )
    timeout = settings.timeout or config.DEFAULT_TIMEOUT_SECONDS
    model = settings.model_name()
    diagnosis = Diagnosis(base_url or "https://api.openai.com/v1", model)
    client = LLMClient(_check_settings(model, base_url, "tools", timeout))
    try:
        try:
            listed = await asyncio.wait_for(client._client.models.list(), timeout)
            diagnosis.reachable = True
            diagnosis.listed_models = [m.id for m in listed.data]
            diagnosis.context_tokens = _context_in_models(listed.data, model)
            if diagnosis.context_tokens:
                diagnosis.context_source = "the server's model list (max_model_len)"
        except openai.APIStatusError:
            diagnosis.reachable = True  # it answered; it has no model list
        except (openai.APIConnectionError, openai.APITimeoutError, TimeoutError) as error:
            diagnosis.reach_error = describe_error(error)
            return diagnosis
    finally:
        await client.close()
    if base_url is not None:
        diagnosis.local = _is_loopback(base_url)
        context, slots = await asyncio.to_thread(_read_props, base_url)
        diagnosis.slots = slots
        if diagnosis.context_tokens is None and context:
            diagnosis.context_tokens = context
            diagnosis.context_source = "the server's /props (n_ctx)"
    for mode in PREFERRED_MODES:
        check, served = await _check_mode(mode, model, base_url, timeout)
        diagnosis.checks.append(check)
        diagnosis.served_model = diagnosis.served_model or served
    if diagnosis.best_mode is not None:
        diagnosis.tokens_per_second = await _generation_speed(
            diagnosis.best_mode, model, base_url, timeout
        )
    return diagnosis


async def _generation_speed(
    mode: str, model: str, base_url: str | None, timeout: float
) -> float | None:
    """Tokens per second of an answer in the extraction schema, in the mode that works:
    a server that constrains answers to a schema's grammar (llama-cpp-python) writes a
    large schema many times slower than plain text. None when the server does not say
    how many tokens it wrote. The answer itself does not matter, only its pace."""
    from briefing.llm.extract import ClaimExtraction

    client = LLMClient(_check_settings(model, base_url, mode, timeout, SPEED_CHECK_TOKENS))
    calls = StructuredCalls(client)
    started = time.monotonic()
    with contextlib.suppress(BriefingError):  # cut off or invalid: the pace is known
        await calls.call(
            SPEED_CHECK_MESSAGES,
            ClaimExtraction,
            scope=CallScope("check"),
            context={},
            max_reasks=0,
        )
    elapsed = time.monotonic() - started
    await client.close()
    written = client.usage.completion_tokens
    return written / elapsed if written and elapsed > 0 else None


def _is_loopback(base_url: str) -> bool:
    host = urllib.parse.urlsplit(base_url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def _check_settings(
    model: str, base_url: str | None, mode: str, timeout: float, max_tokens: int = 0
) -> LLMSettings:
    return LLMSettings(
        model=model,
        base_url=base_url,
        mode=mode,
        concurrency=1,
        attempts=CHECK_ATTEMPTS,
        timeout=timeout,
        budget=Budget(),
        max_tokens=max_tokens or CHECK_MAX_TOKENS,
    )


async def _check_mode(
    mode: str, model: str, base_url: str | None, timeout: float
) -> tuple[ModeCheck, str | None]:
    client = LLMClient(_check_settings(model, base_url, mode, timeout))
    calls = StructuredCalls(client)
    started = time.monotonic()
    try:
        answer = await calls.call(
            CHECK_MESSAGES, CapitalCity, scope=CallScope("check"), context={}, max_reasks=0
        )
        elapsed = time.monotonic() - started
        detail = f"answered {json.dumps(answer.model_dump(), ensure_ascii=False)}"
        check = ModeCheck(mode, True, elapsed, detail, client.usage.completion_tokens)
    except BriefingError as error:
        reason = getattr(error, "reason", str(error))
        check = ModeCheck(mode, False, time.monotonic() - started, reason)
    finally:
        await client.close()
    served = client.served_models[0] if client.served_models else None
    return check, served


def _context_in_models(models: list[Any], requested: str) -> int | None:
    """vLLM lists each model's context as `max_model_len`."""
    for entry in models:
        extra = getattr(entry, "model_extra", None) or {}
        length = extra.get("max_model_len")
        if isinstance(length, int) and length > 0 and (entry.id == requested or len(models) == 1):
            return length
    return None


def _read_props(base_url: str) -> tuple[int | None, int | None]:
    """The context size and slot count llama.cpp's server tells at /props (beside /v1);
    other servers have no such route, and a failure only means they are not known."""
    root = base_url.rstrip("/")
    root = root[: -len("/v1")] if root.endswith("/v1") else root
    request = urllib.request.Request(f"{root}/props")
    key = config.api_key()
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=METADATA_TIMEOUT_SECONDS) as response:
            props = json.loads(response.read(1_000_000))
    except (URLError, OSError, ValueError):
        return None, None
    if not isinstance(props, dict):
        return None, None
    generation = props.get("default_generation_settings")
    context = None
    for holder in (props, generation if isinstance(generation, dict) else {}):
        n_ctx = holder.get("n_ctx")
        if isinstance(n_ctx, int) and n_ctx > 0:
            context = n_ctx
            break
    slots = props.get("total_slots")
    return context, slots if isinstance(slots, int) and slots > 0 else None
