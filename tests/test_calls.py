"""Every instructor and OpenAI failure becomes one plain line in the BriefingError tree."""

from __future__ import annotations

import pytest
from instructor.core import InstructorRetryException
from instructor.core.exceptions import FailedAttempt
from pydantic import BaseModel, ValidationError, field_validator

from briefing.errors import BudgetExceeded, LLMCallFailed
from briefing.llm.calls import _as_briefing_error
from briefing.llm.client import CallScope


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
