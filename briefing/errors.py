"""Errors raised by the library; the CLI turns each into one line and an exit code.

    BriefingError                 exit 1: something failed
    ├── ConfigurationError        exit 2: a bad option, environment variable or setting
    ├── CorpusError               the corpus folder is missing or holds no usable article
    ├── ExtractionError           articles could not be extracted (API down, auth, budget)
    ├── LLMError                  an LLM call could not be made or gave no valid answer
    │   ├── LLMCallFailed         the server's error, or no valid answer after the re-asks
    │   └── BudgetExceeded        the next LLM call would pass --max-calls or --max-cost
    ├── BriefFileError            a brief JSON given to `briefing citations` cannot be read
    └── StoreError                the SQLite store cannot be opened or written

A single bad article is not an exception that ends the run: a file that cannot be read,
or an article whose extraction raised an LLMError, becomes a `FileProblem` (see
corpus.py), reported by name, and the brief is written from the rest (EXIT_PARTIAL).
The run ends with ExtractionError only when no article could be extracted, when the
budget stops it, or when the server refuses every call alike (`LLMCallFailed.fatal`).

An error raised while a brief was being built carries `usage` (calls, tokens, cost so
far) when LLM calls were made, so that a failed run still says what it spent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from briefing.costs import Usage

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
# The brief was written, but not all of it as asked: some articles could not be read, or
# the offline rules stood in for a relate or compose call that failed. It says which.
EXIT_PARTIAL = 3


class BriefingError(Exception):
    """Something failed; the message says what and, where possible, how to fix it."""

    exit_code = EXIT_FAILED
    usage: Usage | None = None


class ConfigurationError(BriefingError):
    """An option, environment variable or setting is invalid."""

    exit_code = EXIT_USAGE


class CorpusError(BriefingError):
    """The corpus folder cannot be read or holds no usable article."""


class ExtractionError(BriefingError):
    """Articles could not be extracted; what finished is kept in the store.

    `stopped`: the run was stopped (the budget, or a refusal every call would meet), rather
    than finding no article it could read. `failures`: each article not read and why.
    """

    def __init__(
        self, message: str, *, stopped: bool = False, failures: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.stopped = stopped
        self.failures = failures  # "path: cause", one per article not read


class LLMError(BriefingError):
    """An LLM call could not be made, or gave no valid answer."""


class LLMCallFailed(LLMError):
    """A call failed: `purpose` is what it was for (extract, relate, compose), `reason` why.

    `fatal` when the server refuses every call of the run alike (the key, the model, a
    mode or parameter it does not support), not this call's input.
    """

    def __init__(self, purpose: str, reason: str, *, fatal: bool = False) -> None:
        super().__init__(f"{purpose} call failed: {reason}")
        self.purpose = purpose
        self.reason = reason
        self.fatal = fatal


class BudgetExceeded(LLMError):
    """The next LLM call would pass the run's call or cost budget."""


class BriefFileError(BriefingError):
    """A brief JSON file cannot be read or does not follow the brief contract."""


class StoreError(BriefingError):
    """The store under BRIEFING_HOME cannot be opened or written."""
