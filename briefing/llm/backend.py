"""The LLM backend: the model extracts, judges candidate pairs and writes the prose;
code grounds every quote and checks every composed sentence against its claims."""

from __future__ import annotations

from collections import defaultdict

from briefing import config
from briefing.aggregate import SyndicationGroups, merge_same
from briefing.assemble import (
    ESTIMATES_AND_UPDATES,
    BriefContext,
    PlannedSection,
    estimate_and_update_items,
    overview_line,
)
from briefing.backend import Composition, Related
from briefing.costs import Usage
from briefing.figures import figure_pairs
from briefing.llm.calls import StructuredCalls
from briefing.llm.client import DEFAULT_TIMEOUT_SECONDS, Budget, LLMClient, LLMSettings
from briefing.llm.compose import compose_sections
from briefing.llm.extract import LLMExtractor
from briefing.llm.relate import judge_pairs
from briefing.relations import Relation, candidate_pairs
from briefing.schemas import Article, ArticleExtraction, ExtractorInfo, Finding
from briefing.store import Store

# Where the store remembers which model answered for a requested one, so that a run served
# entirely from the store names the same model as the run that made the calls.
SERVED_MODEL_KEY = "served-model|{requested}"


class LLMBackend:
    """An OpenAI-compatible API through instructor, one client for the whole run."""

    def __init__(self, client: LLMClient, store: Store | None = None) -> None:
        self.client = client
        self.store = store
        self._remembered: str | None = None
        self.calls = StructuredCalls(client, store)
        self.extractor = LLMExtractor(self.calls)

    @classmethod
    def from_settings(cls, settings: config.Settings, store: Store) -> LLMBackend:
        llm_settings = LLMSettings(
            model=settings.model_name(),
            base_url=config.base_url(),
            mode=settings.instructor_mode(),
            concurrency=settings.concurrency,
            timeout=settings.timeout if settings.timeout is not None else DEFAULT_TIMEOUT_SECONDS,
            budget=Budget(max_calls=settings.max_calls, max_cost_usd=settings.max_cost_usd),
        )
        return cls(LLMClient(llm_settings, log_call=store.log_call), store)

    @property
    def info(self) -> ExtractorInfo:
        """The model as the server names it (see `served_model`), not only as requested."""
        return ExtractorInfo(
            name="llm", model=self.served_model, prompt_version=self.extractor.prompt_version
        )

    @property
    def requested_model(self) -> str:
        return self.client.settings.model

    @property
    def served_model(self) -> str:
        """The model(s) the server said answered this run's calls (`response.model`); when
        every answer came from the store, the one that answered the same requested model
        before; the requested model when no server has answered it yet."""
        served = ", ".join(self.client.served_models)
        if self.store is None:
            return served or self.requested_model
        key = SERVED_MODEL_KEY.format(requested=self.requested_model)
        if not served:
            return self.store.cached_result(key) or self.requested_model
        if served != self._remembered:
            self.store.save_result(key, "served_model", served)
            self._remembered = served
        return served

    @property
    def cache_version(self) -> str:
        """The requested model and the prompt: what an extraction depends on. Not the served
        model, which is known only after a call."""
        return f"{self.requested_model}|{self.extractor.prompt_version}"

    @property
    def concurrency(self) -> int:
        return self.client.settings.concurrency

    @property
    def usage(self) -> Usage:
        return self.client.usage

    async def extract(self, article: Article) -> ArticleExtraction:
        return await self.extractor.extract(article)

    async def relate(
        self, findings: list[Finding], articles: dict[str, Article], groups: SyndicationGroups
    ) -> Related:
        """The model judges candidate pairs; findings it calls the same are merged."""
        relations = await judge_pairs(self.calls, candidate_pairs(findings))
        before = {f.finding_id: f for f in findings}
        merged = merge_same(findings, [r for r in relations if r.kind == "same"], articles, groups)
        return _with_figures(_pairs_after_merge(merged, before, relations), articles, groups)

    async def compose(self, related: Related, context: BriefContext) -> Composition:
        composed = await compose_sections(
            self.calls,
            related.findings,
            related.conflicts,
            str(context.period.since),
            str(context.period.until),
        )
        sections = composed.sections
        estimates = estimate_and_update_items(related.estimates, related.updates)
        if estimates:
            sections.append(PlannedSection(ESTIMATES_AND_UPDATES, estimates))
        return Composition(
            composed.title,
            overview_line(related.findings, context),
            sections,
            dropped_sentences=len(composed.dropped_sentences),
        )

    async def aclose(self) -> None:
        await self.client.close()


def _with_figures(
    related: Related, articles: dict[str, Article], groups: SyndicationGroups
) -> Related:
    """Figures compared by code, as offline: one quantity counted differently by two origins
    on one day is a conflict, a story's later version an update. Only candidate pairs reach
    the model, and a count is a fact code reads more surely than a model compares."""
    known = {
        frozenset((a.finding_id, b.finding_id))
        for pairs in (related.conflicts, related.estimates, related.updates)
        for a, b in pairs
    }
    for pair in figure_pairs(related.findings, articles, groups):
        if frozenset((pair.first.finding_id, pair.second.finding_id)) in known:
            continue
        target = related.conflicts if pair.kind == "conflict" else related.updates
        target.append((pair.first, pair.second))
    return related


def _pairs_after_merge(
    merged: list[Finding], before: dict[str, Finding], relations: list[Relation]
) -> Related:
    """Relations name findings from before the merge; follow their claims to the merged ones."""
    after = {c.claim_id: f for f in merged for c in f.claims}
    paired: dict[str, list[tuple[Finding, Finding]]] = defaultdict(list)
    for relation in relations:
        first = after[before[relation.first].claims[0].claim_id]
        second = after[before[relation.second].claims[0].claim_id]
        known = {frozenset((a.finding_id, b.finding_id)) for a, b in paired[relation.kind]}
        pair_ids = frozenset((first.finding_id, second.finding_id))
        if len(pair_ids) == 2 and pair_ids not in known:
            paired[relation.kind].append((first, second))
    return Related(
        merged,
        conflicts=paired["conflict"],
        estimates=paired["differing_estimate"],
        updates=paired["later_update"],
    )
