"""One way to make a structured call: instructor over the client, errors in our tree.

Extraction, relating and composing all go through `StructuredCalls.call`: it sends the
messages (made inert for instructor's own templating), lets instructor validate and
re-ask, and turns whatever instructor or the OpenAI SDK raises into a `BriefingError`:
`BudgetExceeded` when the run's budget stops a call, `LLMCallFailed` with the cause in
plain words otherwise. `cached_call` renders a prompt and answers from the store when
the same call was made before (relating and composing; extractions are cached per
article by the pipeline).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

import instructor
import openai
from instructor.core import InstructorError, InstructorRetryException
from instructor.core.exceptions import IncompleteOutputException
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from briefing import config
from briefing.errors import BriefingError, BudgetExceeded, LLMCallFailed
from briefing.llm.client import CallScope, LLMClient, current_scope, describe_error, is_fatal
from briefing.prompts import Prompt, inert_for_instructor
from briefing.schemas import SCHEMA_VERSION
from briefing.store import Store

Model = TypeVar("Model", bound=BaseModel)

# instructor's mode for each of our mode names (client.INSTRUCTOR_MODES lists them).
MODE_OF = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
# A reason shown to a user is one line of at most this many characters.
MAX_REASON_CHARS = 200


class StructuredCalls:
    """instructor patched over one LLMClient, for every call of a run."""

    def __init__(self, client: LLMClient, store: Store | None = None) -> None:
        self.client = client
        self.store = store
        self._create: Any = instructor.patch(
            create=client.complete, mode=MODE_OF[client.settings.mode]
        )

    async def call(
        self,
        messages: list[dict[str, str]],
        response_model: type[Model],
        *,
        scope: CallScope,
        context: dict[str, Any],
        max_reasks: int,
    ) -> Model:
        """The validated answer, re-asked up to `max_reasks` times; raises BriefingError."""
        token = current_scope.set(scope)
        try:
            result: Model = await self._create(
                model=self.client.settings.model,
                messages=inert_for_instructor(messages),
                response_model=response_model,
                max_retries=max_reasks,
                context=context,
            )
            return result
        except BudgetExceeded as budget:
            raise _unsent(budget, scope) from None
        except IncompleteOutputException as error:
            raise LLMCallFailed(
                scope.purpose,
                f"the answer was cut off at the cap of {self.client.settings.max_tokens}"
                " tokens: allow more with --max-tokens, or send shorter parts with"
                " --part-tokens",
            ) from error
        except (InstructorError, openai.OpenAIError) as error:
            raise _as_briefing_error(error, scope) from error
        except BriefingError:
            raise
        except Exception as error:
            # instructor or a provider handler choking on an odd answer: this call's
            # failure, in one line, not the run's crash; with BRIEFING_DEBUG=1, the crash.
            if config.debug_enabled():
                raise
            raise LLMCallFailed(
                scope.purpose,
                f"the answer could not be read: {type(error).__name__}: {_one_line(str(error))}",
            ) from error
        finally:
            current_scope.reset(token)

    async def cached_call(
        self,
        prompt: Prompt,
        variables: dict[str, Any],
        response_model: type[Model],
        *,
        scope: CallScope,
        context: dict[str, Any],
        max_reasks: int,
    ) -> Model:
        """`call` with the rendered prompt, unless the store holds this call's answer.

        A stored answer passed validation when it was made; it is validated again with
        the attempt counter at its last value, so that checking may drop, never re-ask.
        """
        messages = prompt.render(**variables)
        material = json.dumps(
            [scope.purpose, self.client.settings.model, prompt.version, SCHEMA_VERSION, messages],
            sort_keys=True,
        )
        key = f"{scope.purpose}:{hashlib.sha256(material.encode()).hexdigest()}"
        stored = self.store.cached_result(key) if self.store else None
        if stored is not None:
            scope.calls = max_reasks + 1
            return response_model.model_validate_json(stored, context=context)
        result = await self.call(
            messages, response_model, scope=scope, context=context, max_reasks=max_reasks
        )
        if self.store is not None:
            self.store.save_result(key, scope.purpose, result.model_dump_json())
        return result


def _as_briefing_error(error: Exception, scope: CallScope) -> BudgetExceeded | LLMCallFailed:
    cause: BaseException | None = error.__cause__
    if isinstance(cause, BudgetExceeded):
        return _unsent(cause, scope)
    if isinstance(error, InstructorRetryException):
        if cause is not None and not _is_validation_error(cause):
            return LLMCallFailed(scope.purpose, describe_error(cause), fatal=is_fatal(cause))
        return LLMCallFailed(
            scope.purpose,
            f"no valid answer after {error.n_attempts} attempt(s): {_last_problem(error)}",
        )
    if isinstance(error, openai.OpenAIError):
        return LLMCallFailed(scope.purpose, describe_error(error), fatal=is_fatal(error))
    return LLMCallFailed(scope.purpose, _one_line(str(error)) or type(error).__name__)


def _unsent(budget: BudgetExceeded, scope: CallScope) -> BudgetExceeded:
    return BudgetExceeded(f"{scope.purpose} call not made: {budget}")


def _is_validation_error(error: BaseException) -> bool:
    return isinstance(error, (PydanticValidationError, ValueError)) and not isinstance(
        error, openai.OpenAIError
    )


def _last_problem(error: InstructorRetryException) -> str:
    """The last validation problem in plain words, not instructor's XML dump of attempts."""
    attempts = error.failed_attempts or []
    last = attempts[-1].exception if attempts else error.__cause__
    if isinstance(last, PydanticValidationError) and last.errors():
        first = last.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        lines = [line.strip() for line in str(first["msg"]).splitlines() if line.strip()]
        # The validators' message is a general instruction, then one line per problem.
        detail = lines[1] if len(lines) > 1 else lines[0] if lines else "invalid"
        return _one_line(f"{where}: {detail}" if where else detail)
    return _one_line(str(last)) if last is not None else "the answer did not validate"


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "")[:MAX_REASON_CHARS]
