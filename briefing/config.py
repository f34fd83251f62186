"""Settings: defaults, environment variables and paths, all in one place.

The API key is read here, lazily, by `api_key()` and by nothing else; it is never
stored on an object that could be printed or logged.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from briefing.errors import ConfigurationError

DEFAULT_CORPUS = Path("seeds")
DEFAULT_OUT = Path("briefs")
DEFAULT_FORMATS: tuple[str, ...] = ("md", "json")
SUPPORTED_FORMATS: tuple[str, ...] = ("md", "json", "html")
DEFAULT_MODEL = "gpt-4o-mini"
STORE_DIRNAME = ".briefing"

BackendName = Literal["llm", "offline"]
BackendChoice = Literal["auto", "llm", "offline"]
BACKEND_CHOICES: tuple[BackendChoice, ...] = ("auto", "llm", "offline")
INSTRUCTOR_MODES = ("tools", "json_schema", "json", "md_json")
DEFAULT_CONCURRENCY = 8
# Defaults of the settings a real server needs (see llm/client.py and llm/backend.py).
DEFAULT_TIMEOUT_SECONDS = 120.0
# The longest answer a call may ask for: always sent, so that a model that never stops
# (a small local one, say) is cut off rather than filling its whole context.
DEFAULT_MAX_TOKENS = 4096
DEFAULT_TEMPERATURE = 0.0
DEFAULT_REASKS = 2
# Estimated tokens of article text per extraction call when the model's context is not given.
DEFAULT_PART_TOKENS = 6000
# No token setting (answer cap, context, part size) is useful below this.
MIN_TOKENS = 16


@dataclass(frozen=True)
class Settings:
    """How a run reads and writes: which backend, and for the LLM, how to reach it.

    Checked when made, so that a bad value is an error before any work; the fields are
    named as the errors name them.
    """

    backend: BackendChoice = "auto"
    model: str | None = None  # default: BRIEFING_MODEL, else DEFAULT_MODEL
    mode: str | None = None  # default: BRIEFING_MODE, else tools
    concurrency: int = DEFAULT_CONCURRENCY
    max_calls: int | None = None
    max_cost_usd: float | None = None
    # The overall deadline of one LLM call, in seconds; None: DEFAULT_TIMEOUT_SECONDS.
    timeout: float | None = None
    # The cap on each answer's tokens, sent with every call; None: DEFAULT_MAX_TOKENS.
    max_tokens: int | None = None
    # The model's context size in tokens, from which the article part size is derived;
    # `part_tokens` sets the part size itself. Neither: DEFAULT_PART_TOKENS.
    context_tokens: int | None = None
    part_tokens: int | None = None
    temperature: float | None = None  # None: DEFAULT_TEMPERATURE
    reasks: int | None = None  # re-asks after a first answer that fails validation
    # Lexicon files (names, aliases, parties, stance words) added to the packaged one;
    # BRIEFING_LEXICON adds more (paths separated by os.pathsep). See lexicon.py.
    lexicon_files: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if self.backend not in BACKEND_CHOICES:
            raise ConfigurationError(
                f"backend must be one of {', '.join(BACKEND_CHOICES)}, not {self.backend!r}"
            )
        if self.mode is not None and self.mode not in INSTRUCTOR_MODES:
            raise ConfigurationError(
                f"mode must be one of {', '.join(INSTRUCTOR_MODES)}, not {self.mode!r}"
            )
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, not {self.concurrency}")
        if self.max_calls is not None and self.max_calls < 0:
            raise ConfigurationError(f"max_calls must be 0 or more, not {self.max_calls}")
        cost = self.max_cost_usd
        if cost is not None and not (math.isfinite(cost) and cost >= 0):
            raise ConfigurationError(f"max_cost_usd must be a number of dollars >= 0, not {cost}")
        timeout = self.timeout
        if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
            raise ConfigurationError(f"timeout must be a number of seconds > 0, not {timeout}")
        for name in ("max_tokens", "context_tokens", "part_tokens"):
            value = getattr(self, name)
            if value is not None and value < MIN_TOKENS:
                raise ConfigurationError(f"{name} must be at least {MIN_TOKENS}, not {value}")
        temperature = self.temperature
        if temperature is not None and not (math.isfinite(temperature) and 0 <= temperature <= 2):
            raise ConfigurationError(f"temperature must be between 0 and 2, not {temperature}")
        if self.reasks is not None and self.reasks < 0:
            raise ConfigurationError(f"reasks must be 0 or more, not {self.reasks}")

    def backend_name(self) -> BackendName:
        """`auto` is llm when a key or base URL is set, else offline."""
        if self.backend == "offline":
            return "offline"
        if self.backend == "llm":
            if not llm_configured():
                raise ConfigurationError(
                    "the llm backend needs an API: set OPENAI_API_KEY, or OPENAI_BASE_URL for"
                    " a local OpenAI-compatible server (or use the offline backend)"
                )
            return "llm"
        return "llm" if llm_configured() else "offline"

    def model_name(self) -> str:
        return self.model or os.environ.get("BRIEFING_MODEL") or DEFAULT_MODEL

    def instructor_mode(self) -> str:
        """tools suits OpenAI; local servers often need json_schema, json or md_json."""
        mode = self.mode or os.environ.get("BRIEFING_MODE") or "tools"
        if mode not in INSTRUCTOR_MODES:
            raise ConfigurationError(
                f"BRIEFING_MODE must be one of {', '.join(INSTRUCTOR_MODES)}, not {mode!r}"
            )
        return mode


def api_key() -> str | None:
    return os.environ.get("OPENAI_API_KEY") or None


def base_url() -> str | None:
    return os.environ.get("BRIEFING_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or None


def llm_configured() -> bool:
    return api_key() is not None or base_url() is not None


def store_home(corpus: Path) -> Path:
    """BRIEFING_HOME, else `.briefing/` beside the corpus folder."""
    configured = os.environ.get("BRIEFING_HOME")
    if configured:
        return Path(configured).expanduser()
    return corpus.resolve().parent / STORE_DIRNAME


def debug_enabled() -> bool:
    return os.environ.get("BRIEFING_DEBUG", "") not in ("", "0")


def parse_formats(text: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in formats if f not in SUPPORTED_FORMATS]
    if unknown or not formats:
        raise ConfigurationError(
            f"formats: a comma-separated list of {', '.join(SUPPORTED_FORMATS)}, not {text!r}"
        )
    return formats
