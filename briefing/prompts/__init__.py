"""Prompt files: rendered in a Jinja sandbox, versioned by their content hash.

The prompts are the `.j2` files in this folder (`briefing/prompts/`), shipped in the
wheel as package data and read with importlib.resources: edit them here.

A prompt file defines two blocks, `system` and `user`. A variable the template uses
but the caller did not pass is an error (StrictUndefined), and the sandbox keeps a
template from reaching Python internals. Article text is passed as a variable and
never rendered as template source, so Jinja syntax inside an article is inert; and the
rendered messages are not rendered again (briefing/llm/calls.py gives instructor no
`context=`, which would make it render every message as a template).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from briefing.errors import ConfigurationError

EXTRACT_CLAIMS = "extract_claims"
RELATE_FINDINGS = "relate_findings"
COMPOSE_BRIEF = "compose_brief"


@dataclass(frozen=True)
class Prompt:
    name: str
    source: str

    @property
    def version(self) -> str:
        """The content hash: any edit to the prompt is a new version and a cache miss."""
        return f"{self.name}@{hashlib.sha256(self.source.encode()).hexdigest()[:12]}"

    def render(self, **variables: Any) -> list[dict[str, str]]:
        """Chat messages: the system block, then the user block."""
        template = _compiled(self.source)
        try:
            context = template.new_context(variables)
            system = "".join(template.blocks["system"](context)).strip()
            user = "".join(template.blocks["user"](context)).strip()
        except (TemplateError, KeyError) as error:
            raise ConfigurationError(f"prompt {self.name!r} cannot be rendered: {error}") from None
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@cache
def _compiled(source: str) -> Template:
    # Compiling costs milliseconds; a run renders the same prompt once per article.
    return _environment().from_string(source)


@cache
def load_prompt(name: str) -> Prompt:
    resource = resources.files("briefing.prompts").joinpath(f"{name}.j2")
    try:
        return Prompt(name, resource.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(
            f"prompt file missing: {name}.j2 in the briefing package ({error.strerror})"
        ) from None
