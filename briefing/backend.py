"""The one seam between the pipeline and whatever reads and writes: the Backend.

A backend extracts claims from one article, relates findings (which state the same
thing, which conflict) and composes the brief's sections. Two ship with the tool,
siblings behind this protocol: `offline` (rules, no network; briefing/offline/) and
`llm` (an OpenAI-compatible API through instructor; briefing/llm/). `make_backend`
builds one from the settings, once per run; tests and library users may pass any
object that follows the protocol (see briefing.testing.FakeBackend).

The pipeline owns everything around the seam: the store and its cache, aggregation,
source discrepancies and the assembly of the brief.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from briefing import config
from briefing.assemble import BriefContext, PlannedSection
from briefing.costs import Usage
from briefing.schemas import Article, ArticleExtraction, ExtractorInfo, Finding

if TYPE_CHECKING:
    from briefing.aggregate import SyndicationGroups
    from briefing.store import Store


@dataclass
class Related:
    """Findings after relating: merged where they state the same thing, and the pairs found."""

    findings: list[Finding]
    conflicts: list[tuple[Finding, Finding]] = field(default_factory=list)
    estimates: list[tuple[Finding, Finding]] = field(default_factory=list)  # differing figures
    updates: list[tuple[Finding, Finding]] = field(default_factory=list)  # a later figure


@dataclass
class Composition:
    """What a composer writes: the brief's title, overview and sections."""

    title: str
    overview: str
    sections: list[PlannedSection]
    dropped_sentences: int = 0  # composed sentences that failed validation and were left out


class Backend(Protocol):
    """Extract, relate, compose. Methods raise BriefingError subclasses only; `extract`
    raises LLMError when one article cannot be extracted, and the run goes on."""

    @property
    def info(self) -> ExtractorInfo:
        """Name, model and prompt version, as the brief reports them."""
        ...

    @property
    def cache_version(self) -> str:
        """Part of the extraction cache key: a change means cached extractions are stale."""
        ...

    @property
    def concurrency(self) -> int:
        """How many articles may be extracted at once."""
        ...

    @property
    def usage(self) -> Usage:
        """Calls, tokens and cost so far (zero for a backend that calls nothing)."""
        ...

    async def extract(self, article: Article) -> ArticleExtraction: ...

    async def relate(
        self, findings: list[Finding], articles: dict[str, Article], groups: SyndicationGroups
    ) -> Related: ...

    async def compose(self, related: Related, context: BriefContext) -> Composition: ...

    async def aclose(self) -> None:
        """Release connections; called once when the run ends, however it ends."""
        ...


def make_backend(settings: config.Settings, store: Store) -> Backend:
    """The backend the settings ask for; `auto` is decided here and nowhere else."""
    if settings.backend_name() == "offline":
        from briefing.offline.backend import OfflineBackend

        return OfflineBackend()
    # Imported here: the offline path never loads the OpenAI SDK or instructor (start-up time).
    from briefing.llm.backend import LLMBackend

    return LLMBackend.from_settings(settings, store)
