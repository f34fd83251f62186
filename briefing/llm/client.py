"""The LLM transport: one OpenAI-compatible client, one retry policy, usage and budget.

Every chat completion the tool makes goes through `LLMClient.complete`, which is the
`create` function instructor patches. So each HTTP call, first answer or re-ask, is
retried by tenacity alone (the SDK's own retries are off), checked against the run's
budget before it is sent, and logged with its usage after it returns.

Each call has an overall deadline (`LLMSettings.timeout`, --timeout): the SDK's own
timeout bounds each wait for a byte, so a server trickling its answer would never trip
it. A call past the deadline is retried once, not `attempts` times: a timeout says the
server is too slow, and trying again multiplies the wait.

Every call carries the run's answer cap (`max_tokens`, --max-tokens) and temperature,
so a model that never stops is cut off instead of filling its context. A server's
refusal is told apart from a fault: a 4xx (but 429), or a 5xx whose message names an
unsupported parameter or mode, is not retried, and its message, the server's own words
with a hint, names the fix (another --mode, a larger context, a smaller --max-tokens).

Works against the OpenAI API and any OpenAI-compatible server (Ollama, vLLM,
llama.cpp, LM Studio) through a base URL; `briefing doctor` finds the mode that works.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import openai
from openai.types.chat import ChatCompletion
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from briefing import config
from briefing.costs import Usage, price_of
from briefing.errors import BriefingError, BudgetExceeded, ConfigurationError

DEFAULT_TIMEOUT_SECONDS = config.DEFAULT_TIMEOUT_SECONDS
DEFAULT_ATTEMPTS = 5
# A call that timed out is tried once more, and no more, whatever `attempts` says.
TIMEOUT_ATTEMPTS = 2
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
# Characters per token, to estimate a request's size before it is sent.
CHARS_PER_TOKEN = 4
# Calls in flight per SDK client (and so per HTTP connection pool); see LLMClient.
CONNECTIONS_PER_CLIENT = 16
# Assumed completion size for the budget check before a call.
EXPECTED_COMPLETION_TOKENS = 1500


# instructor logs every failed attempt at ERROR; our messages say it once, in one line.
logging.getLogger("instructor").addHandler(logging.NullHandler())


@dataclass
class CallScope:
    """What the calls of one task are for; counts them so validators know the attempt."""

    purpose: str
    article_id: str | None = None
    calls: int = 0


# Set per asyncio task, so that concurrent tasks each see their own scope.
current_scope: contextvars.ContextVar[CallScope | None] = contextvars.ContextVar(
    "current_scope", default=None
)

CallLogger = Callable[..., None]


class BatchAnswers(Protocol):
    """Requests answered through the Batch API (briefing/llm/batch.py), not sent live."""

    def answer(self, request: dict[str, Any]) -> tuple[Any, str] | None:
        """(the completion, its batch id) for a request a batch answered; None to send it
        live (a re-ask). May raise instead: writing a batch captures each request."""
        ...


# Set while a batch is written or collected; a request goes to it before the network.
current_batch: contextvars.ContextVar[BatchAnswers | None] = contextvars.ContextVar(
    "current_batch", default=None
)


@dataclass
class Budget:
    max_calls: int | None = None
    max_cost_usd: float | None = None


@dataclass
class LLMSettings:
    model: str
    base_url: str | None
    mode: str = "tools"
    concurrency: int = 8
    attempts: int = DEFAULT_ATTEMPTS
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    budget: Budget = field(default_factory=Budget)
    max_tokens: int = config.DEFAULT_MAX_TOKENS
    temperature: float = config.DEFAULT_TEMPERATURE

    def __post_init__(self) -> None:
        if self.mode not in config.INSTRUCTOR_MODES:
            raise ConfigurationError(
                f"mode must be one of {', '.join(config.INSTRUCTOR_MODES)}, not {self.mode!r}"
            )
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, not {self.concurrency}")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ConfigurationError(f"timeout must be a number of seconds > 0, not {self.timeout}")
        if self.max_tokens < config.MIN_TOKENS:
            raise ConfigurationError(
                f"max_tokens must be at least {config.MIN_TOKENS}, not {self.max_tokens}"
            )
        if self.budget.max_cost_usd is not None and price_of(self.model) is None:
            # An unknown price would leave the budget unbounded: refuse it before any call.
            raise ConfigurationError(
                f"the price of model {self.model!r} is unknown, so a cost budget (--max-cost)"
                " cannot be kept: use --max-calls instead"
            )


class CallTimedOut(openai.OpenAIError):
    """A call took longer than the run's timeout (the SDK's, or the overall deadline)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the call took longer than {seconds:g} s: the server is too slow or not answering"
            " (allow more time with --timeout SECONDS or BRIEFING_TIMEOUT)"
        )
        self.seconds = seconds


def is_transient(error: BaseException) -> bool:
    """Worth another try: rate limits, server errors, timeouts, dropped connections, and a
    response body cut short (the SDK cannot decode it). Not a server error whose message
    says it cannot do what was asked: that answer would be the same every time."""
    if isinstance(error, openai.APIStatusError):
        if refusal_of(error) is not None:
            return False
        return error.status_code == 429 or error.status_code >= 500
    return isinstance(
        error,
        (
            CallTimedOut,
            openai.APITimeoutError,
            openai.APIConnectionError,
            openai.APIResponseValidationError,
            json.JSONDecodeError,
        ),
    )


def retry_after_seconds(error: BaseException) -> float | None:
    if isinstance(error, openai.APIStatusError):
        value = error.response.headers.get("retry-after")
        if value:
            try:
                return min(float(value), BACKOFF_MAX_SECONDS)
            except ValueError:
                return None
    return None


def backoff(state: RetryCallState) -> float:
    """Retry-After when the server gives one, else exponential backoff with full jitter."""
    error = state.outcome.exception() if state.outcome else None
    told = retry_after_seconds(error) if error else None
    if told is not None:
        return told
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (state.attempt_number - 1))
    return random.uniform(0, ceiling)


class LLMClient:
    """An AsyncOpenAI client with the project's retry policy, budget and call log."""

    def __init__(self, settings: LLMSettings, log_call: CallLogger | None = None) -> None:
        self.settings = settings
        self.usage = Usage()
        # The models the server says answered (`response.model`), in order of first answer:
        # an alias resolves to a snapshot, and a local server names whatever it runs.
        self.served_models: list[str] = []
        self._log_call = log_call
        # The name the answer cap is sent under: OpenAI's newer models refuse `max_tokens`
        # and ask for `max_completion_tokens`, which local servers may not know.
        self._token_parameter = "max_tokens"
        # The key is read here, passed to the SDK, and kept nowhere else. A local server
        # may need none; the SDK insists on a non-empty string.
        key = config.api_key() or "not-needed-for-local-servers"
        # One SDK client per CONNECTIONS_PER_CLIENT calls in flight, each call sent through
        # the one with the fewest in flight: the HTTP pool under the SDK (httpcore) checks
        # every connection it holds, a socket poll each, whenever a request takes or gives
        # one back, so at 128 calls in flight one pool spent a third of the client's CPU.
        self._clients = [
            openai.AsyncOpenAI(
                api_key=key, base_url=settings.base_url, max_retries=0, timeout=settings.timeout
            )
            for _ in range(math.ceil(settings.concurrency / CONNECTIONS_PER_CLIENT))
        ]
        self._in_flight = [0] * len(self._clients)

    @property
    def _client(self) -> openai.AsyncOpenAI:
        """The first SDK client: the one for single requests (listing models, batches)."""
        return self._clients[0]

    @_client.setter
    def _client(self, client: openai.AsyncOpenAI) -> None:
        """Every call through `client` (tests give one with a transport of their own)."""
        self._clients = [client]
        self._in_flight = [0]

    @property
    def api(self) -> openai.AsyncOpenAI:
        """The SDK client, for the endpoints that are not chat (files and batches)."""
        return self._client

    async def close(self) -> None:
        for client in self._clients:
            await client.close()

    def _check_budget(self, kwargs: dict[str, Any]) -> None:
        budget = self.settings.budget
        if budget.max_calls is not None and self.usage.calls + 1 > budget.max_calls:
            raise BudgetExceeded(f"the call budget is spent (max_calls={budget.max_calls})")
        if budget.max_cost_usd is None:
            return
        served = self.served_models[-1] if self.served_models else self.settings.model
        price = price_of(served)
        if not self.usage.priced or price is None:
            unknown = ", ".join(sorted(self.usage.unpriced_models)) or served
            raise BudgetExceeded(
                f"the cost budget cannot be kept (max_cost_usd={budget.max_cost_usd:.2f}):"
                f" the server answered as {unknown}, whose price is unknown"
            )
        chars = sum(len(str(m.get("content") or "")) for m in kwargs.get("messages", []))
        completion = min(EXPECTED_COMPLETION_TOKENS, self.settings.max_tokens)
        estimate = (chars / CHARS_PER_TOKEN * price[0] + completion * price[1]) / 1e6
        if self.usage.cost_usd + estimate > budget.max_cost_usd:
            raise BudgetExceeded(
                f"the cost budget would be passed (max_cost_usd={budget.max_cost_usd:.2f}:"
                f" spent ${self.usage.cost_usd:.4f}, next call about ${estimate:.4f})"
            )

    async def complete(self, **kwargs: Any) -> Any:
        """One chat completion, retried on transient failures; the function instructor patches."""
        batch = current_batch.get()
        # A batch request is the live request as sent: with the answer cap and temperature.
        answered = batch.answer(self._with_limits(kwargs)) if batch is not None else None
        if answered is not None:
            return self._answered_by_batch(kwargs, *answered)
        self._check_budget(kwargs)
        scope = current_scope.get()
        if scope is not None:
            scope.calls += 1
        timeouts = 0

        def give_up(state: RetryCallState) -> bool:
            return state.attempt_number >= self.settings.attempts or timeouts >= TIMEOUT_ATTEMPTS

        retrying = AsyncRetrying(
            stop=give_up,
            wait=backoff,
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self.usage.retries += 1
                started = time.monotonic()
                try:
                    # The SDK's timeout bounds each read; this bounds the whole call.
                    async with asyncio.timeout(self.settings.timeout):
                        response = await self._send(kwargs)
                except (TimeoutError, openai.APITimeoutError) as error:
                    timeouts += 1
                    timed_out = CallTimedOut(self.settings.timeout)
                    self._record(kwargs, started, None, str(timed_out))
                    raise timed_out from error
                except Exception as error:
                    self._record(kwargs, started, None, describe_error(error))
                    raise
                self._record(kwargs, started, response, None)
                _flag_cut_off(response, kwargs.get("max_tokens") or self.settings.max_tokens)
                return response
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _answered_by_batch(self, kwargs: dict[str, Any], completion: Any, batch_id: str) -> Any:
        """A completion the Batch API returned, counted and logged like a call (at the batch
        price); it was paid for when the batch ran, so no budget check."""
        scope = current_scope.get()
        if scope is not None:
            scope.calls += 1
        self._record(kwargs, time.monotonic(), completion, None, batch_id=batch_id)
        return completion

    async def _send(self, kwargs: dict[str, Any]) -> Any:
        """One request with the run's answer cap and temperature; if the server asks for the
        cap under its newer name, the request again under that name, and from then on."""
        try:
            return await self._post_chat(self._with_limits(kwargs))
        except openai.BadRequestError as error:
            if self._token_parameter != "max_tokens" or not _wants_max_completion_tokens(error):
                raise
        self._token_parameter = "max_completion_tokens"
        return await self._post_chat(self._with_limits(kwargs))

    async def _post_chat(self, body: dict[str, Any]) -> ChatCompletion:
        """POST /chat/completions through the SDK's own request path (auth, headers, errors,
        the answer as a ChatCompletion). Not through `chat.completions.create`, which first
        walks the whole body against its typed parameters, the tool's JSON schema included,
        to rename and reformat fields: none of ours needs it (plain JSON built here), and the
        walk was a tenth of each call's CPU. tests/test_client.py holds the body sent to
        what `create` would send."""
        index = min(range(len(self._clients)), key=self._in_flight.__getitem__)
        self._in_flight[index] += 1
        try:
            return await self._clients[index].post(
                "/chat/completions", body=body, cast_to=ChatCompletion
            )
        finally:
            self._in_flight[index] -= 1

    def _with_limits(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        limited = dict(kwargs)
        cap = limited.pop("max_tokens", None) or self.settings.max_tokens
        limited[self._token_parameter] = cap
        limited.setdefault("temperature", self.settings.temperature)
        return limited

    def _record(
        self,
        kwargs: dict[str, Any],
        started: float,
        response: Any,
        error: str | None,
        *,
        batch_id: str | None = None,
    ) -> None:
        self.usage.calls += 1
        # The model that answered, as the server names it; the requested one when it does not.
        served = getattr(response, "model", None)
        model = served if isinstance(served, str) and served else str(kwargs.get("model"))
        if response is not None and model not in self.served_models:
            self.served_models.append(model)
        prompt_tokens = completion_tokens = None
        usage = getattr(response, "usage", None)
        if usage is not None:
            prompt_tokens = usage.prompt_tokens or 0
            completion_tokens = usage.completion_tokens or 0
            self.usage.add(model, prompt_tokens, completion_tokens, batch=batch_id is not None)
        if self._log_call is not None:
            scope = current_scope.get()
            batched = {"batch_id": batch_id} if batch_id else {}
            self._log_call(
                **batched,
                purpose=scope.purpose if scope else "other",
                status="error" if error else "ok",
                article_id=scope.article_id if scope else None,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                latency_ms=None if batch_id else int((time.monotonic() - started) * 1000),
                error=error,
            )


def _flag_cut_off(response: Any, cap: int) -> None:
    """An answer as long as the cap was cut off by it, whatever finish_reason says: a
    server constraining tool calls to a grammar (llama-cpp-python) reports "tool_calls"
    for JSON cut short. Marked "length", instructor raises IncompleteOutputException
    instead of re-asking, which would resend the long answer and meet the cap again."""
    usage = getattr(response, "usage", None)
    written = getattr(usage, "completion_tokens", None)
    choices = getattr(response, "choices", None)
    if isinstance(written, int) and written >= cap and choices:
        for choice in choices:
            choice.finish_reason = "length"


def describe_error(error: BaseException) -> str:
    """A short cause for logs and messages, in the server's own words where it gave some,
    with a hint at the fix; never includes request headers or the key."""
    if isinstance(error, openai.AuthenticationError):
        return "the API refused the key (HTTP 401): check OPENAI_API_KEY"
    if isinstance(error, openai.PermissionDeniedError):
        return _with_server_message("the API denied access (HTTP 403)", error)
    if isinstance(error, openai.NotFoundError):
        return _with_server_message(
            "the API has no such model or route (HTTP 404): check --model and the base URL",
            error,
        )
    if isinstance(error, openai.APIStatusError):
        described = _with_server_message(f"HTTP {error.status_code} from the server", error)
        hint = REFUSAL_HINTS.get(refusal_of(error) or "")
        return f"{described} ({hint})" if hint else described
    if isinstance(error, (CallTimedOut, BriefingError)):
        return str(error)
    if isinstance(error, openai.APITimeoutError):
        return "the API did not answer in time"
    if isinstance(error, openai.APIConnectionError):
        if _cut_short(error):
            return "the server closed the connection before the answer was complete"
        return f"cannot connect to the API at {_host_and_port(error)}"
    if isinstance(error, json.JSONDecodeError):
        return "the API's response was not valid JSON"
    return type(error).__name__


def is_fatal(error: BaseException) -> bool:
    """The server refuses every call of this run, not one article: the key, the access, the
    model or route, or a parameter or mode it does not support. Not a context overflow,
    which a shorter article would not meet."""
    if isinstance(
        error, (openai.AuthenticationError, openai.PermissionDeniedError, openai.NotFoundError)
    ):
        return True
    return isinstance(error, openai.APIStatusError) and refusal_of(error) == "unsupported"


# A server's message when the prompt and the answer cap pass the model's context
# (OpenAI, vLLM, llama.cpp, llama-cpp-python and Ollama word it differently).
_CONTEXT_RE = re.compile(
    r"context[ _](?:length|window|size|shift)|maximum context|n_ctx|too many tokens"
    r"|prompt is too long|exceeds? (?:the )?(?:model'?s? )?(?:maximum|context|available)",
    re.IGNORECASE,
)
# A server's message when it cannot do what the request asks (a parameter, a response
# format, tools): the same request will be refused every time.
_UNSUPPORTED_RE = re.compile(
    r"not (?:supported|implemented|allowed)|unsupported|does not support|doesn't support"
    r"|unknown (?:parameter|field|argument)|unrecognized (?:parameter|field|argument)"
    r"|extra (?:fields|inputs) (?:are )?not permitted"
    # a request the server's own schema rejects (llama-cpp-python answers json_schema so,
    # with a 500): "1 validation error: ... Input should be 'text' or 'json_object'"
    r"|validation errors? for|\d+ validation errors?:|input should be",
    re.IGNORECASE,
)
REFUSAL_HINTS = {
    "context": "the article part and the answer do not fit the model's context: give the"
    " server a larger context (llama.cpp: -c / --n_ctx), or pass --context with the"
    " server's context size, or a smaller --max-tokens or --part-tokens",
    "unsupported": "the server cannot do what this request asks: try another --mode"
    " (`briefing doctor` shows which work; llama-cpp-python takes --mode tools)",
}
# A reason shown to a user quotes at most this much of the server's message.
MAX_SERVER_MESSAGE_CHARS = 240


def refusal_of(error: openai.APIStatusError) -> str | None:
    """ "context" when the server says the request passes its context, "unsupported" when it
    says it cannot do what was asked, else None (a fault, perhaps transient)."""
    if error.status_code == 429:
        return None
    message = server_message(error)
    if _CONTEXT_RE.search(message):
        return "context"
    if _UNSUPPORTED_RE.search(message):
        return "unsupported"
    return None


def server_message(error: openai.APIStatusError) -> str:
    """The server's own words (OpenAI's `error.message`, FastAPI's `detail`, a text body),
    on one line, shortened, with the key masked should a server echo it."""
    body: Any = error.body
    if isinstance(body, dict):
        for key in ("message", "detail", "error", "msg"):
            if body.get(key):
                body = body[key]
                break
    if isinstance(body, list):  # FastAPI's validation errors
        body = "; ".join(
            str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in body
        )
    if isinstance(body, dict):
        body = json.dumps(body, ensure_ascii=False)
    # The first paragraph: llama-cpp-python appends where in its code the error arose.
    text = " ".join(str(body or "").strip().split("\n\n")[0].split())
    secret = config.api_key()
    if secret:
        text = text.replace(secret, "***")
    if len(text) > MAX_SERVER_MESSAGE_CHARS:
        text = text[: MAX_SERVER_MESSAGE_CHARS - 3].rstrip() + "..."
    return text


def _with_server_message(described: str, error: openai.APIStatusError) -> str:
    message = server_message(error)
    return f'{described}: "{message}"' if message else described


def _wants_max_completion_tokens(error: openai.BadRequestError) -> bool:
    """OpenAI's newer models refuse `max_tokens` and name the parameter they take instead."""
    message = server_message(error)
    return "max_tokens" in message and "max_completion_tokens" in message


# What the HTTP library (httpx, or httpx2 under newer SDKs) raises when a server closed
# the connection mid-answer, as opposed to refusing it; matched by name to fit both.
_CUT_SHORT_ERRORS = frozenset({"RemoteProtocolError", "ReadError", "IncompleteRead"})


def _cut_short(error: BaseException) -> bool:
    """The connection was made and then dropped before the whole response was read."""
    seen: set[int] = set()
    cause: BaseException | None = error.__cause__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if any(kind.__name__ in _CUT_SHORT_ERRORS for kind in type(cause).__mro__):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _host_and_port(error: openai.APIConnectionError) -> str:
    """host:port of the request's URL; never its path or query, which may carry a key."""
    try:
        url = error.request.url
    except Exception:  # an error made without a request
        return "its base URL"
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.host}:{port}"
