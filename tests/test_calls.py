"""Structured calls: every instructor and OpenAI failure becomes one plain line in the
BriefingError tree; instructor is given a response model prepared once and no templating."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import instructor
import pydantic.json_schema
import pytest
from instructor.core import InstructorRetryException
from instructor.core.exceptions import FailedAttempt
from instructor.v2.providers.openai.schema import generate_openai_schema
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError, ValidationInfo, field_validator, model_validator

from briefing.errors import BudgetExceeded, LLMCallFailed
from briefing.llm.calls import (
    StructuredCalls,
    _as_briefing_error,
    prepared_model,
    remember_async_validator_checks,
)
from briefing.llm.client import CallScope, LLMClient, LLMSettings
from briefing.llm.extract import ClaimExtraction
from tests.factories import tool_call_completion


class Answer(BaseModel):
    quote: str

    @field_validator("quote")
    @classmethod
    def grounded(cls, value: str) -> str:
        raise ValueError("Fix or remove these:\nclaims[0]: quote not found verbatim in the article")


def _validation_error() -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Answer(quote="Europe")
    return caught.value


def test_exhausted_reasks_give_the_last_problem_not_instructors_dump() -> None:
    problem = _validation_error()
    error = InstructorRetryException(
        "retries exhausted",
        n_attempts=3,
        total_usage=0,
        failed_attempts=[FailedAttempt(n, problem, "{}") for n in (1, 2, 3)],
    )
    error.__cause__ = problem
    mapped = _as_briefing_error(error, CallScope("extract", "a1"))
    assert isinstance(mapped, LLMCallFailed)
    message = str(mapped)
    assert "<failed_attempts>" not in message and "\n" not in message
    assert message == (
        "extract call failed: no valid answer after 3 attempt(s):"
        " quote: claims[0]: quote not found verbatim in the article"
    )


def test_a_budget_stop_inside_instructor_is_a_budget_error_naming_the_phase() -> None:
    error = InstructorRetryException("stopped", n_attempts=1, total_usage=0)
    error.__cause__ = BudgetExceeded("the call budget is spent (max_calls=6)")
    mapped = _as_briefing_error(error, CallScope("relate"))
    assert isinstance(mapped, BudgetExceeded)
    assert str(mapped) == "relate call not made: the call budget is spent (max_calls=6)"


class Noted(BaseModel):
    """A reply whose validator notes the validation context it was given."""

    word: str

    @model_validator(mode="after")
    def note_context(self, info: ValidationInfo) -> Noted:
        seen = (info.context or {}).get("seen")
        if seen is None:
            raise ValueError("no validation context")
        seen.append(self.word)
        return self


def _completion(name: str, arguments: dict[str, Any]) -> ChatCompletion:
    return ChatCompletion.model_validate(tool_call_completion(name, json.dumps(arguments)))


class CannedClient(LLMClient):
    """Answers every call with its next canned completion and keeps what it was sent."""

    def __init__(self, *answers: ChatCompletion) -> None:
        super().__init__(LLMSettings(model="m", base_url="http://127.0.0.1:9/v1"))
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    async def complete(self, **kwargs: Any) -> Any:
        self.sent.append(kwargs)
        await asyncio.sleep(0)  # let concurrent calls interleave
        return self.answers.pop(0)


def test_the_tool_definition_is_instructors_own_and_built_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = CannedClient(*(_completion("ClaimExtraction", {"claims": []}) for _ in range(3)))
    calls = StructuredCalls(client)
    messages = [{"role": "user", "content": "text"}]

    async def three_calls() -> None:
        await calls.call(
            messages, ClaimExtraction, scope=CallScope("extract"), context={}, max_reasks=0
        )
        generated: list[object] = []
        original = pydantic.json_schema.GenerateJsonSchema.generate

        def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
            generated.append(self)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(pydantic.json_schema.GenerateJsonSchema, "generate", counting)
        for _ in range(2):
            await calls.call(
                messages, ClaimExtraction, scope=CallScope("extract"), context={}, max_reasks=0
            )
        assert generated == []  # no schema built after the first call

    asyncio.run(three_calls())
    monkeypatch.undo()
    # What instructor builds from the model when left to itself, call after call.
    own = generate_openai_schema.__wrapped__(instructor.response_schema(ClaimExtraction))
    assert [sent["tools"] for sent in client.sent] == [[{"type": "function", "function": own}]] * 3
    assert own["name"] == "ClaimExtraction" and own["parameters"]["properties"]["claims"]
    asyncio.run(client.close())


def test_the_prepared_schema_is_a_fresh_copy_each_time() -> None:
    model = prepared_model(ClaimExtraction)
    first = model.model_json_schema()
    first["properties"].clear()
    assert model.model_json_schema() == ClaimExtraction.model_json_schema()
    assert model.model_json_schema(mode="serialization") == ClaimExtraction.model_json_schema(
        mode="serialization"
    )


def test_each_concurrent_call_validates_with_its_own_context_and_its_text_as_sent() -> None:
    client = CannedClient(
        _completion("Noted", {"word": "one"}), _completion("Noted", {"word": "two"})
    )
    calls = StructuredCalls(client)
    seen: dict[str, list[str]] = {"a": [], "b": []}
    text = "The envoy wrote {{ 7 * 7 }} and {% raw %} in a note {# x #}"

    async def both() -> list[Noted]:
        return list(
            await asyncio.gather(
                *(
                    calls.call(
                        [{"role": "user", "content": f"{name}: {text}"}],
                        Noted,
                        scope=CallScope("check"),
                        context={"seen": seen[name]},
                        max_reasks=0,
                    )
                    for name in ("a", "b")
                )
            )
        )

    answers = asyncio.run(both())
    assert [answer.word for answer in answers] == ["one", "two"]
    assert seen == {"a": ["one"], "b": ["two"]}
    assert [sent["messages"][0]["content"] for sent in client.sent] == [f"a: {text}", f"b: {text}"]
    asyncio.run(client.close())


def test_a_validator_without_its_context_fails_the_call() -> None:
    """The context is what validators rely on: it must reach them, never be dropped."""
    client = CannedClient(_completion("Noted", {"word": "one"}))
    with pytest.raises(LLMCallFailed, match="no valid answer"):
        asyncio.run(
            StructuredCalls(client).call(
                [{"role": "user", "content": "x"}],
                Noted,
                scope=CallScope("check"),
                context={},
                max_reasks=0,
            )
        )
    asyncio.run(client.close())


class Checked(BaseModel):
    word: str


def test_instructor_checks_a_response_class_for_async_validators_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from instructor.v2.core import patch as instructor_patch
    from instructor.v2.validation import async_validators

    remember_async_validator_checks()
    check = async_validators.reject_async_validators
    assert instructor_patch.reject_async_validators is check  # every caller sees one check
    walked: list[object] = []
    original_get_origin = async_validators.get_origin

    def counting_get_origin(model: Any) -> Any:
        walked.append(model)
        return original_get_origin(model)

    monkeypatch.setattr(async_validators, "get_origin", counting_get_origin)
    check(Checked)
    assert walked  # the first check walks the class
    walked.clear()
    check(Checked)
    check(Checked)
    assert walked == []  # a class that passed is not walked again

    class WithAsyncCheck(BaseModel):
        word: str

        @async_validators.async_field_validator("word")
        async def looked_up(self, value: str) -> str:
            return value

    for _ in range(2):  # refused every time, never remembered as passed
        with pytest.raises(ValueError, match="async validators"):
            check(WithAsyncCheck)
    remember_async_validator_checks()  # installing twice wraps once
    assert async_validators.reject_async_validators is check
