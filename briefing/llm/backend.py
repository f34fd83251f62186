"""The LLM backend: the model extracts, judges candidate pairs and writes the prose;
code grounds every quote and checks every composed sentence against its claims.

`from_settings` turns the run's settings into the client's (timeout, answer cap,
temperature, budget) and the extractor's (re-asks, part size). Given the model's
context size (--context), the part size is what the context leaves once the prompt,
the schema and every answer a call's re-asks resend are counted.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor

from briefing import config, workers
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
from briefing.errors import ConfigurationError
from briefing.figures import figure_pairs
from briefing.llm.calls import StructuredCalls
from briefing.llm.client import Budget, LLMClient, LLMSettings
from briefing.llm.compose import ComposedSentence, compose_sections, unsupported
from briefing.llm.extract import ClaimExtraction, LLMExtractor, prepare_article
from briefing.llm.relate import judge_pairs
from briefing.offline.backend import OfflineBackend
from briefing.offline.compose import brief_title
from briefing.prompts import EXTRACT_CLAIMS, load_prompt
from briefing.relations import Relation, candidate_pairs
from briefing.schemas import Article, ArticleExtraction, Claim, ExtractorInfo, Finding
from briefing.store import Store

# Where the store remembers which model answered for a requested one, so that a run served
# entirely from the store names the same model as the run that made the calls.
SERVED_MODEL_KEY = "served-model|{requested}"

# Tokens a re-ask adds besides the earlier answer it resends: the validation errors.
REASK_MESSAGE_TOKENS = 300
# The prompt and the schema are counted at this many characters per token: instructions
# and JSON tokenise more densely than prose.
FIXED_CHARS_PER_TOKEN = 3
# Of the room left in the context, the share given to article text: the estimate of
# four characters per token is short for some languages and for numbered text.
CONTEXT_SHARE = 0.85
# A part smaller than this is no article text worth a call.
MIN_PART_TOKENS = 200
# A model's title longer than this is not a title.
MAX_TITLE_WORDS = 25
# From this many calls in flight, articles are prepared for their calls (split into
# numbered sentences, their people found: 3 to 15 ms of CPU a page, most of it pysbd) in
# worker processes: on the event loop, that work would hold up sending and reading the
# other calls, and wall time would pass the calls' own latency by a wave's worth of it.
PREPARE_IN_WORKERS_FROM_CONCURRENCY = 16


def extraction_prompt_chars() -> int:
    """Characters an extraction call sends besides the article: its prompt and schema."""
    schema = json.dumps(ClaimExtraction.model_json_schema())
    return len(load_prompt(EXTRACT_CLAIMS).source) + len(schema)


def part_tokens_for_context(context: int, max_tokens: int, reasks: int) -> int:
    """The article part size (estimated tokens) that fits a model's context: what is left
    once the prompt and schema, each answer (up to max_tokens) and each re-ask's errors
    are counted, for a call re-asked `reasks` times (a re-ask resends the answers before)."""
    fixed = extraction_prompt_chars() // FIXED_CHARS_PER_TOKEN
    answers = (reasks + 1) * max_tokens + reasks * REASK_MESSAGE_TOKENS
    part = int((context - fixed - answers) * CONTEXT_SHARE)
    if part < MIN_PART_TOKENS:
        raise ConfigurationError(
            f"a context of {context} tokens leaves no room for article text: the prompt"
            f" and schema take about {fixed}, and {reasks + 1} answer(s) of up to"
            f" {max_tokens} tokens (--max-tokens) with the re-asks' messages about"
            f" {answers}; lower --max-tokens or --reasks, or give the server a larger context"
        )
    return part


def part_tokens_of(settings: config.Settings, max_tokens: int, reasks: int) -> int:
    """--part-tokens if given, else what --context leaves, else the default."""
    if settings.part_tokens is not None:
        return settings.part_tokens
    if settings.context_tokens is not None:
        return part_tokens_for_context(settings.context_tokens, max_tokens, reasks)
    return config.DEFAULT_PART_TOKENS


class LLMBackend:
    """An OpenAI-compatible API through instructor, one client for the whole run."""

    def __init__(
        self,
        client: LLMClient,
        store: Store | None = None,
        *,
        reasks: int = config.DEFAULT_REASKS,
        part_tokens: int = config.DEFAULT_PART_TOKENS,
    ) -> None:
        self.client = client
        self.store = store
        self.reasks = reasks
        self._remembered: str | None = None
        self.calls = StructuredCalls(client, store)
        self.extractor = LLMExtractor(
            self.calls, max_reasks=reasks, article_token_budget=part_tokens
        )
        self._workers: ProcessPoolExecutor | None = None

    @classmethod
    def from_settings(cls, settings: config.Settings, store: Store) -> LLMBackend:
        max_tokens = settings.max_tokens or config.DEFAULT_MAX_TOKENS
        reasks = settings.reasks if settings.reasks is not None else config.DEFAULT_REASKS
        llm_settings = LLMSettings(
            model=settings.model_name(),
            base_url=config.base_url(),
            mode=settings.instructor_mode(),
            concurrency=settings.concurrency,
            timeout=settings.timeout or config.DEFAULT_TIMEOUT_SECONDS,
            budget=Budget(max_calls=settings.max_calls, max_cost_usd=settings.max_cost_usd),
            max_tokens=max_tokens,
            temperature=(
                settings.temperature
                if settings.temperature is not None
                else config.DEFAULT_TEMPERATURE
            ),
        )
        return cls(
            LLMClient(llm_settings, log_call=store.log_call),
            store,
            reasks=reasks,
            part_tokens=part_tokens_of(settings, max_tokens, reasks),
        )

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
        if self.client.settings.concurrency < PREPARE_IN_WORKERS_FROM_CONCURRENCY:
            return await self.extractor.extract(article)
        if self._workers is None:
            # The workers read with this run's lexicon (set by lexicon.use in the pipeline).
            self._workers = workers.start_pool()
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(
            self._workers, prepare_article, article, self.extractor.max_part_chars
        )
        return await self.extractor.extract(article, prepared)

    async def relate(
        self, findings: list[Finding], articles: dict[str, Article], groups: SyndicationGroups
    ) -> Related:
        """The model judges candidate pairs; findings it calls the same are merged."""
        relations = await judge_pairs(self.calls, candidate_pairs(findings), max_reasks=self.reasks)
        before = {f.finding_id: f for f in findings}
        merged = merge_same(findings, [r for r in relations if r.kind == "same"], articles, groups)
        related = _with_figures(_pairs_after_merge(merged, before, relations), articles, groups)
        related.conflicts[:] = one_pair_per_dispute(related.conflicts)
        return related

    async def compose(self, related: Related, context: BriefContext) -> Composition:
        if not related.findings:
            # Nothing to write about: no call; the offline composer says so.
            return await OfflineBackend().compose(related, context)
        # A finding stands in one section only: figures shown by code as differing
        # estimates or a later update are not given to the model to write again.
        in_conflicts = {f.finding_id for pair in related.conflicts for f in pair}
        estimates_pairs, updates = (
            [pair for pair in pairs if not {f.finding_id for f in pair} & in_conflicts]
            for pairs in (related.estimates, related.updates)
        )
        shown_apart = {f.finding_id for pair in [*estimates_pairs, *updates] for f in pair}
        composed = await compose_sections(
            self.calls,
            [f for f in related.findings if f.finding_id not in shown_apart],
            related.conflicts,
            str(context.period.since),
            str(context.period.until),
            max_reasks=self.reasks,
        )
        sections = composed.sections
        estimates = estimate_and_update_items(estimates_pairs, updates)
        if estimates:
            sections.append(PlannedSection(ESTIMATES_AND_UPDATES, estimates))
        claims = {c.claim_id: c for f in related.findings for c in f.claims}
        title = composed.title
        if not _title_stands(title, claims):
            title = brief_title(related.findings, context.articles)
        return Composition(
            title,
            overview_line(related.findings, context),
            sections,
            dropped_sentences=len(composed.dropped_sentences),
        )

    async def aclose(self) -> None:
        if self._workers is not None:
            self._workers.shutdown(cancel_futures=True)
            self._workers = None
        await self.client.close()


def _with_figures(
    related: Related, articles: dict[str, Article], groups: SyndicationGroups
) -> Related:
    """Figures compared by code, as offline: one quantity counted differently by two origins
    on one day is a conflict, a story's later version an update. Only candidate pairs reach
    the model, and a count is a fact code reads more surely than a model compares: where
    code and model judge one pair, code's judgement stands (a model calls 38 against 52
    vessels on one day "differing estimates", and an agency's 146 then 159 cases a conflict)."""
    by_code = {
        frozenset((pair.first.finding_id, pair.second.finding_id)): pair
        for pair in figure_pairs(related.findings, articles, groups)
    }

    def judged_by_model(pairs: list[tuple[Finding, Finding]]) -> list[tuple[Finding, Finding]]:
        return [(a, b) for a, b in pairs if frozenset((a.finding_id, b.finding_id)) not in by_code]

    related.conflicts[:] = judged_by_model(related.conflicts)
    related.estimates[:] = judged_by_model(related.estimates)
    related.updates[:] = judged_by_model(related.updates)
    for pair in by_code.values():
        target = related.conflicts if pair.kind == "conflict" else related.updates
        target.append((pair.first, pair.second))
    return related


def one_pair_per_dispute(
    conflicts: list[tuple[Finding, Finding]],
) -> list[tuple[Finding, Finding]]:
    """A statement set against two statements of one article ("you may stay" against the
    council's "must leave" and its "every household without exception") is one dispute:
    the first pair judged stands for it."""
    kept: list[tuple[Finding, Finding]] = []
    for pair in conflicts:
        if not any(_one_dispute(pair, earlier) for earlier in kept):
            kept.append(pair)
    return kept


def _one_dispute(pair: tuple[Finding, Finding], other: tuple[Finding, Finding]) -> bool:
    for side, rest in ((pair[0], pair[1]), (pair[1], pair[0])):
        for other_side, other_rest in ((other[0], other[1]), (other[1], other[0])):
            if side.finding_id == other_side.finding_id and _articles(rest) & _articles(other_rest):
                return True
    return False


def _articles(finding: Finding) -> set[str]:
    return {c.article_id for c in finding.claims}


def _title_stands(title: str, claims: dict[str, Claim]) -> bool:
    """The model's title is checked like its sentences, against every claim it was shown:
    a title naming a person, place or number no claim names is replaced by code's."""
    words = title.split()
    if not words or len(words) > MAX_TITLE_WORDS:
        return False
    sentence = ComposedSentence(text=title.strip(), claim_ids=list(claims))
    return unsupported(sentence, "title", claims) is None


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
