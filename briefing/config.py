"""Settings: defaults, environment variables and paths, all in one place.

The API key is read here, lazily, by `api_key()` and by nothing else; it is never
stored on an object that could be printed or logged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from briefing.errors import ConfigurationError

DEFAULT_CORPUS = Path("seeds")
DEFAULT_OUT = Path("briefs")
DEFAULT_FORMATS: tuple[str, ...] = ("md", "json")
SUPPORTED_FORMATS: tuple[str, ...] = ("md", "json", "html")
DEFAULT_MODEL = "gpt-4o-mini"
STORE_DIRNAME = ".briefing"

ExtractorName = Literal["llm", "offline"]


def api_key() -> str | None:
    return os.environ.get("OPENAI_API_KEY") or None


def base_url() -> str | None:
    return os.environ.get("BRIEFING_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or None


def llm_configured() -> bool:
    return api_key() is not None or base_url() is not None


def instructor_mode() -> str:
    """tools suits OpenAI; local servers often need json_schema, json or md_json."""
    return os.environ.get("BRIEFING_MODE") or "tools"


def model_name(option: str | None) -> str:
    return option or os.environ.get("BRIEFING_MODEL") or DEFAULT_MODEL


def store_home(corpus: Path) -> Path:
    """BRIEFING_HOME, else `.briefing/` beside the corpus folder."""
    configured = os.environ.get("BRIEFING_HOME")
    if configured:
        return Path(configured).expanduser()
    return corpus.resolve().parent / STORE_DIRNAME


def debug_enabled() -> bool:
    return os.environ.get("BRIEFING_DEBUG", "") not in ("", "0")


def resolve_extractor(choice: str) -> ExtractorName:
    """`auto` is llm when a key or base URL is set, else offline."""
    if choice == "offline":
        return "offline"
    if choice == "llm":
        if not llm_configured():
            raise ConfigurationError(
                "--extractor llm needs an API: set OPENAI_API_KEY, or OPENAI_BASE_URL for a "
                "local OpenAI-compatible server (or use --extractor offline)"
            )
        return "llm"
    if choice == "auto":
        return "llm" if llm_configured() else "offline"
    raise ConfigurationError(f"--extractor must be auto, llm or offline, not {choice!r}")


def parse_formats(text: str) -> tuple[str, ...]:
    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in formats if f not in SUPPORTED_FORMATS]
    if unknown or not formats:
        raise ConfigurationError(
            f"--format takes a comma-separated list of {', '.join(SUPPORTED_FORMATS)}; got {text!r}"
        )
    return formats
