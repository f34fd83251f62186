"""The pipeline: load, extract (cached), aggregate, compose, render, write.

`generate()` is what `briefing generate` runs; it returns data and raises
BriefingError subclasses, and never prints.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast

from briefing import config
from briefing.aggregate import group_syndicated, merge_findings, merge_same
from briefing.compose import (
    DISCREPANCIES,
    ESTIMATES_AND_UPDATES,
    BriefContext,
    PlannedSection,
    assemble_brief,
    brief_title,
    compose_offline,
    discrepancy_items,
    estimate_and_update_items,
    overview_line,
)
from briefing.corpus import Corpus, FileProblem, load_corpus
from briefing.costs import Usage
from briefing.errors import (
    ArticleFailed,
    BriefingError,
    BudgetExceeded,
    ConfigurationError,
    CorpusError,
    ExtractionError,
)
from briefing.extract_offline import OfflineExtractor
from briefing.relate import candidate_pairs, relate_offline, source_discrepancies
from briefing.render import to_html, to_json, to_markdown
from briefing.schemas import (
    Article,
    ArticleExtraction,
    Brief,
    Claim,
    ExtractorInfo,
    Finding,
    Period,
    RejectedClaim,
)
from briefing.store import Review, Store, cache_key

if TYPE_CHECKING:
    from briefing.extract_llm import LLMExtractor

# Progress events: ("total", n) once, then ("cached" | "extracted" | "failed", 1) per
# article and ("reasked", n) when answers were sent back to the model.
Progress = Callable[[str, int], None]


class Extractor(Protocol):
    """Turns one article into grounded claims (the LLM extractor's extract is async)."""

    @property
    def name(self) -> Literal["llm", "offline"]: ...
    @property
    def model(self) -> str | None: ...
    @property
    def prompt_version(self) -> str | None: ...

    def extract(self, article: Article) -> ArticleExtraction | Awaitable[ArticleExtraction]: ...


@dataclass
class LLMOptions:
    """How to reach the LLM; ignored by the offline extractor."""

    model: str | None = None
    mode: str | None = None
    concurrency: int = 8
    max_calls: int | None = None
    max_cost_usd: float | None = None


@dataclass
class ExtractionStats:
    cached: int = 0
    extracted: int = 0
    dropped_claims: int = 0
    claims_used: int = 0  # claims that went into aggregation (after review decisions)
    reasks: int = 0
    dropped_sentences: int = 0  # composed sentences that failed validation and were left out
    failed: list[FileProblem] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


@dataclass
class GenerateResult:
    brief: Brief
    paths: list[Path]
    skipped: list[FileProblem]
    warnings: list[FileProblem]
    excluded: int  # articles outside the period
    stats: ExtractionStats


def make_extractor(choice: str, options: LLMOptions, store: Store) -> Extractor:
    if config.resolve_extractor(choice) == "offline":
        return OfflineExtractor()
    # Imported here: the offline path never loads the OpenAI SDK or instructor (start-up time).
    from briefing.extract_llm import LLMExtractor
    from briefing.llm_client import Budget, LLMClient, LLMSettings

    settings = LLMSettings(
        model=config.model_name(options.model),
        base_url=config.base_url(),
        mode=options.mode or config.instructor_mode(),
        concurrency=options.concurrency,
        budget=Budget(max_calls=options.max_calls, max_cost_usd=options.max_cost_usd),
    )
    return LLMExtractor(LLMClient(settings, log_call=store.log_call))


def select_period(
    articles: list[Article], since: dt.date, until: dt.date | None, undated: str
) -> tuple[list[Article], Period, int]:
    """Articles in [since, until]; until defaults to the newest article date."""
    if undated not in ("include", "exclude"):
        raise ConfigurationError(f"--undated must be include or exclude, not {undated!r}")
    if until is None:
        # The newest article's date; a date in the future is a scraper's error, not news.
        today = dt.date.today()
        dated = [a.published for a in articles if a.published and since <= a.published <= today]
        until = max(dated) if dated else since
    if until < since:
        raise ConfigurationError(f"--until {until} is before --since {since}")
    kept = [
        a
        for a in articles
        if (a.published is None and undated == "include")
        or (a.published is not None and since <= a.published <= until)
    ]
    return kept, Period(since=since, until=until), len(articles) - len(kept)


async def extract_all(
    articles: list[Article],
    extractor: Extractor,
    store: Store,
    stats: ExtractionStats,
    *,
    concurrency: int = 1,
    progress: Progress | None = None,
) -> dict[str, ArticleExtraction]:
    """Extractions of every article that could be extracted, by article id.

    The store answers for work done before; each new extraction is saved the moment it
    finishes, so an interrupted or failing run keeps everything finished.
    """
    notify = progress or (lambda event, count: None)
    notify("total", len(articles))
    results: dict[str, ArticleExtraction] = {}
    pending = []
    for article in articles:
        store.record_article(article)
        key = cache_key(article, extractor.name, extractor.model, _version(extractor))
        cached = store.cached_extraction(key)
        if cached is None:
            pending.append((article, key))
        else:
            results[article.article_id] = cached
            stats.cached += 1
            notify("cached", 1)
    limit = asyncio.Semaphore(concurrency)

    async def extract_one(article: Article, key: str) -> None:
        async with limit:
            try:
                outcome = extractor.extract(article)
                extraction = await outcome if inspect.isawaitable(outcome) else outcome
            except ArticleFailed as failure:
                stats.failed.append(FileProblem(article.path, failure.reason))
                notify("failed", 1)
                return
            except BudgetExceeded as budget:
                stats.failed.append(FileProblem(article.path, f"not extracted: {budget}"))
                notify("failed", 1)
                return
        store.save_extraction(key, article, extraction)
        results[article.article_id] = extraction
        stats.extracted += 1
        stats.reasks += extraction.reasks
        notify("extracted", 1)
        if extraction.reasks:
            notify("reasked", extraction.reasks)

    await asyncio.gather(*(extract_one(article, key) for article, key in pending))
    stats.dropped_claims = sum(e.dropped for e in results.values())
    return results


def with_inferred_dates(
    articles: list[Article], extractions: dict[str, ArticleExtraction]
) -> list[Article]:
    """Undated articles take the publication date the model inferred, marked as inferred."""
    dated = []
    for article in articles:
        extraction = extractions.get(article.article_id)
        if article.published is None and extraction and extraction.inferred_published:
            evidence = extraction.inferred_date_evidence
            article = article.model_copy(
                update={
                    "published": extraction.inferred_published,
                    "date_source": "inferred",
                    "date_evidence": evidence.quote if evidence else None,
                }
            )
        dated.append(article)
    return dated


def _version(extractor: Extractor) -> str | None:
    return extractor.prompt_version or getattr(extractor, "cache_version", None)


def generate(
    since: dt.date,
    until: dt.date | None = None,
    *,
    corpus: Path = config.DEFAULT_CORPUS,
    out: Path = config.DEFAULT_OUT,
    formats: Sequence[str] = config.DEFAULT_FORMATS,
    extractor: str = "auto",
    undated: str = "include",
    llm: LLMOptions | None = None,
    progress: Progress | None = None,
    stem: str | None = None,
    amend: Callable[[Brief], Brief] | None = None,
) -> GenerateResult:
    """Write the brief for [since, until] from the articles in `corpus`; return what was done.

    `stem` names the files (default brief-<since>_<until>); `amend` may add to the brief
    before it is written (the weekly "what changed" section).
    """
    options = llm or LLMOptions()
    config.resolve_extractor(extractor)  # a configuration error before any work
    if options.concurrency < 1:
        raise ConfigurationError(f"--concurrency must be at least 1, not {options.concurrency}")
    loaded = load_corpus(corpus)
    articles, period, excluded = select_period(loaded.articles, since, until, undated)
    if not articles:
        raise CorpusError(_no_articles_message(loaded, period, corpus))
    store = Store.open(config.store_home(corpus))
    stats = ExtractionStats()
    try:
        chosen = make_extractor(extractor, options, store)
        run = BriefRun(period, chosen, store, stats, loaded, _display_path(corpus))
        brief = asyncio.run(run.build(articles, options.concurrency, progress))
    finally:
        store.close()
    excluded += len(articles) - len(brief.sources)
    if amend is not None:
        brief = amend(brief)
    paths = write_brief(brief, out, stem or f"brief-{period.since}_{period.until}", formats)
    return GenerateResult(brief, paths, loaded.skipped, loaded.warnings, excluded, stats)


@dataclass
class BriefRun:
    """The stages from articles to a Brief, with the LLM client open for all of them."""

    period: Period
    extractor: Extractor
    store: Store
    stats: ExtractionStats
    loaded: Corpus
    corpus: str

    async def build(
        self, articles: list[Article], concurrency: int, progress: Progress | None
    ) -> Brief:
        llm = cast("LLMExtractor", self.extractor) if self.extractor.name == "llm" else None
        try:
            extractions = await extract_all(
                articles,
                self.extractor,
                self.store,
                self.stats,
                concurrency=concurrency,
                progress=progress,
            )
            if self.stats.failed:
                raise ExtractionError(_failure_message(self.stats, len(articles)))
            articles = [
                a
                for a in with_inferred_dates(articles, extractions)
                if a.published is None or self.period.since <= a.published <= self.period.until
            ]
            by_id = {a.article_id: a for a in articles}
            every_claim = [c for a in articles for c in extractions[a.article_id].claims]
            reviews = self.store.reviews()
            rejected = [c for c in every_claim if _rejected(c, reviews)]
            claims = [c for c in every_claim if not _rejected(c, reviews)]
            self.stats.claims_used = len(claims)
            groups = group_syndicated(articles)
            findings = merge_findings(claims, by_id, groups)
            context = BriefContext(
                period=self.period,
                articles=articles,
                groups=groups,
                extractor=ExtractorInfo(
                    name=self.extractor.name,
                    model=self.extractor.model,
                    prompt_version=self.extractor.prompt_version,
                ),
                corpus=self.corpus,
            )
            discrepancies = discrepancy_items(source_discrepancies(articles))
            if llm is None:
                title, overview, sections = self._compose_offline(findings, context)
            else:
                title, overview, sections = await self._compose_llm(llm, findings, context)
            sections += [PlannedSection(DISCREPANCIES, discrepancies)] if discrepancies else []
            context.notes = _notes(articles, self.loaded, self.stats)
            brief = assemble_brief(title, overview, sections, context, as_of=self.period.until)
            return brief.model_copy(
                update={"rejected_in_review": _rejected_records(rejected, by_id, reviews)}
            )
        finally:
            if llm is not None:
                self.stats.usage = llm.client.usage
                await llm.client.close()

    def _compose_offline(
        self, findings: list[Finding], context: BriefContext
    ) -> tuple[str, str, list[PlannedSection]]:
        by_finding = {f.finding_id: f for f in findings}
        relations = relate_offline(candidate_pairs(findings, limit=None))
        conflicts = [
            (by_finding[r.first], by_finding[r.second]) for r in relations if r.kind == "conflict"
        ]
        overview, sections = compose_offline(findings, context, conflicts)
        return brief_title(findings), overview, sections

    async def _compose_llm(
        self, llm: LLMExtractor, findings: list[Finding], context: BriefContext
    ) -> tuple[str, str, list[PlannedSection]]:
        """The model judges candidate pairs (merging those that say the same thing) and
        writes the prose; code checks every sentence against the claims it cites."""
        from briefing.compose_llm import FindingsLLM

        calls = FindingsLLM(llm.client, llm.create, self.store)
        relations = await calls.relate(candidate_pairs(findings))
        before = {f.finding_id: f for f in findings}
        articles = {a.article_id: a for a in context.articles}
        findings = merge_same(
            findings, [r for r in relations if r.kind == "same"], articles, context.groups
        )
        # Relations name findings from before the merge; follow their claims to the merged ones.
        after = {c.claim_id: f for f in findings for c in f.claims}
        paired: dict[str, list[tuple[Finding, Finding]]] = defaultdict(list)
        for relation in relations:
            first = after[before[relation.first].claims[0].claim_id]
            second = after[before[relation.second].claims[0].claim_id]
            known = {frozenset((a.finding_id, b.finding_id)) for a, b in paired[relation.kind]}
            pair_ids = frozenset((first.finding_id, second.finding_id))
            if len(pair_ids) == 2 and pair_ids not in known:
                paired[relation.kind].append((first, second))
        title, sections = await calls.compose(
            findings, paired["conflict"], str(self.period.since), str(self.period.until)
        )
        self.stats.dropped_sentences = len(calls.dropped_sentences)
        estimates = estimate_and_update_items(paired["differing_estimate"], paired["later_update"])
        sections += [PlannedSection(ESTIMATES_AND_UPDATES, estimates)] if estimates else []
        return title, overview_line(findings, context), sections


def _rejected(claim: Claim, reviews: dict[str, Review]) -> bool:
    review = reviews.get(claim.claim_id)
    return review is not None and review.decision == "rejected"


def _rejected_records(
    claims: list[Claim], articles: dict[str, Article], reviews: dict[str, Review]
) -> list[RejectedClaim]:
    return [
        RejectedClaim(
            claim_id=c.claim_id,
            statement=c.statement,
            path=articles[c.article_id].path,
            quote=c.evidence[0].quote,
            reviewer=reviews[c.claim_id].reviewer,
            at=reviews[c.claim_id].at,
            note=reviews[c.claim_id].note,
        )
        for c in claims
    ]


def _failure_message(stats: ExtractionStats, total: int) -> str:
    done = stats.cached + stats.extracted
    first = stats.failed[0]
    more = f" (and {len(stats.failed) - 1} more)" if len(stats.failed) > 1 else ""
    return (
        f"{len(stats.failed)} of {total} article(s) not extracted; {first}{more}."
        f" The {done} finished are kept in the store: run again to continue"
    )


def write_brief(brief: Brief, out: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    renderers = {"md": to_markdown, "json": to_json, "html": to_html}
    paths = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            # Write beside, then rename: a reader never sees half a brief.
            partial = path.with_suffix(path.suffix + ".partial")
            partial.write_text(renderers[fmt](brief), encoding="utf-8")
            os.replace(partial, path)
            paths.append(path)
    except OSError as error:
        raise BriefingError(
            f"cannot write the brief to {out}: {error.strerror or error}"
            " (the extractions are kept in the store)"
        ) from None
    return paths


def _notes(articles: list[Article], loaded: Corpus, stats: ExtractionStats) -> list[str]:
    notes = []
    undated = [a.path for a in articles if a.published is None]
    if undated:
        notes.append(
            f"{len(undated)} source(s) carry no publication date and are placed by their"
            f" content only: {', '.join(undated)}"
        )
    if loaded.skipped:
        notes.append(
            f"{len(loaded.skipped)} file(s) in the corpus could not be read and were skipped"
        )
    if stats.dropped_claims:
        notes.append(f"{stats.dropped_claims} claim(s) failed grounding and were left out")
    return notes


def _no_articles_message(loaded: Corpus, period: Period, corpus: Path) -> str:
    if not loaded.articles:
        return f"no readable articles in {corpus} ({len(loaded.skipped)} file(s) skipped)"
    return f"no articles in {corpus} dated {period.since} to {period.until}"


def _display_path(path: Path) -> str:
    return str(path.resolve())
