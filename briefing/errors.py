"""Errors raised by the library; the CLI turns each into one line and an exit code.

    BriefingError                 exit 1: something failed
    ├── ConfigurationError        exit 2: a bad option, environment variable or setting
    ├── CorpusError               the corpus folder is missing or holds no usable article
    ├── ExtractionError           articles could not be extracted (API down, auth, budget)
    ├── BudgetExceeded            the next LLM call would pass --max-calls or --max-cost
    ├── BriefFileError            a brief JSON given to `briefing citations` cannot be read
    └── StoreError                the SQLite store cannot be opened or written

A single bad article is not an exception: it is a `FileProblem` (see corpus.py),
reported by name and skipped so that the rest of the run goes on.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class BriefingError(Exception):
    """Something failed; the message says what and, where possible, how to fix it."""

    exit_code = EXIT_FAILED


class ConfigurationError(BriefingError):
    """An option, environment variable or setting is invalid."""

    exit_code = EXIT_USAGE


class CorpusError(BriefingError):
    """The corpus folder cannot be read or holds no usable article."""


class ExtractionError(BriefingError):
    """Some articles could not be extracted; what finished is kept in the store."""


class BudgetExceeded(BriefingError):
    """The next LLM call would pass --max-calls or --max-cost."""


class ArticleFailed(Exception):
    """One article could not be extracted; the run goes on and reports it (not a BriefingError:
    it never reaches the CLI on its own)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BriefFileError(BriefingError):
    """A brief JSON file cannot be read or does not follow the brief contract."""


class StoreError(BriefingError):
    """The store under BRIEFING_HOME cannot be opened or written."""
