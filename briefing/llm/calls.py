"""One way to make a structured call: instructor over the client, errors in our tree.

Extraction, relating and composing all go through `StructuredCalls.call`: it sends the
messages as rendered, lets instructor validate and re-ask, and turns whatever instructor
or the OpenAI SDK raises into a `BriefingError`: `BudgetExceeded` when the run's budget
stops a call, `LLMCallFailed` with the cause in plain words otherwise. `cached_call` renders a prompt and answers from the store when
the same call was made before (relating and composing; extractions are cached per
article by the pipeline).

Three costs instructor would pay on every call are not paid. It wraps the response model
in a new class per call, so the tool definition and JSON schema it caches per class were
built again each time: `prepared_model` wraps each model once and keeps its schema. And
it renders every message as a Jinja template whenever it is given `context=`, which
costs a sandbox and a compile per message and would run article text as a template:
instructor is given no `context=`, and the validation context reaches the validators
through `call_context` instead (article text stays inert, and nothing is escaped).
And it walks the response model and every member of its classes six times a call to
refuse async validators, which it cannot run: a model's answer to that depends on the
class alone, so `remember_async_validator_checks` makes instructor check each class once.
"""

from __future__ import annotations

import contextvars
import copy
import functools
import hashlib
import json
import weakref
from typing import Any, TypeVar, cast

import instructor
import openai
from instructor.core import InstructorError, InstructorRetryException
from instructor.core.exceptions import IncompleteOutputException
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from briefing import config
from briefing.errors import BriefingError, BudgetExceeded, LLMCallFailed
from briefing.llm.client import CallScope, LLMClient, current_scope, describe_error, is_fatal
from briefing.prompts import Prompt
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

# The validation context of the call under way in this task (validators read it as
# `info.context`); instructor itself is never given one, so it never templates messages.
call_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "call_context", default=None
)


@functools.cache
def prepared_model(response_model: type[Model]) -> type[Model]:
    """The response model as instructor wraps it, built once: same name, docstring and
    fields, so the tool definition and schema sent are those instructor would build; its
    JSON schema made once; validation given the call's context when instructor gives none.
    """
    wrapped: Any = instructor.response_schema(response_model)
    schema = wrapped.model_json_schema()

    def model_json_schema(cls: Any, /, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return super(prepared, cls).model_json_schema(*args, **kwargs)
        return copy.deepcopy(schema)  # callers may change what they are given

    def model_validate_json(cls: Any, /, json_data: Any, **kwargs: Any) -> Any:
        if kwargs.get("context") is None:
            kwargs["context"] = call_context.get()
        return super(prepared, cls).model_validate_json(json_data, **kwargs)

    prepared: Any = type(wrapped)(
        response_model.__name__,
        (wrapped,),
        {
            "__doc__": response_model.__doc__,
            "__module__": response_model.__module__,
            "__qualname__": response_model.__qualname__,
            "model_json_schema": classmethod(model_json_schema),
            "model_validate_json": classmethod(model_validate_json),
        },
    )
    return cast(type[Model], prepared)


def remember_async_validator_checks() -> None:
    """Make instructor's refusal of async validators check each response class once.

    instructor (1.17) calls `reject_async_validators` six times a call, and each walks the
    model's fields and every member of every class in its MRO (pydantic's BaseModel has
    hundreds): a fifth of a call's CPU. The walk reads the class alone, so a class that
    passed once passes again; one that fails still raises every time. Where instructor
    lays its modules out otherwise, nothing is changed and its own check runs as before.
    """
    try:
        from instructor.v2.core import patch as instructor_patch
        from instructor.v2.validation import async_validators
    except ImportError:
        return
    check = async_validators.reject_async_validators
    if getattr(check, "remembers_passed_classes", False):
        return
    passed: weakref.WeakSet[type] = weakref.WeakSet()

    @functools.wraps(check)
    def reject_async_validators(response_model: Any) -> None:
        if isinstance(response_model, type) and response_model in passed:
            return
        check(response_model)
        if isinstance(response_model, type):
            passed.add(response_model)

    setattr(reject_async_validators, "remembers_passed_classes", True)  # noqa: B010
    # instructor's functions import it from its module when called; patch.py at import.
    async_validators.reject_async_validators = reject_async_validators
    if getattr(instructor_patch, "reject_async_validators", None) is check:
        setattr(instructor_patch, "reject_async_validators", reject_async_validators)  # noqa: B010


class StructuredCalls:
    """instructor patched over one LLMClient, for every call of a run."""

    def __init__(self, client: LLMClient, store: Store | None = None) -> None:
        self.client = client
        self.store = store
        remember_async_validator_checks()
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
        context_token = call_context.set(context)
        try:
            # No `context=`: instructor would render the messages (article text) as Jinja.
            result: Model = await self._create(
                model=self.client.settings.model,
                messages=messages,
                response_model=prepared_model(response_model),
                max_retries=max_reasks,
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
            call_context.reset(context_token)
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
