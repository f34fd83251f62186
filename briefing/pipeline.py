"""The pipeline: load, extract (cached), aggregate, relate, compose, assemble; then write.

Building and writing are apart: `abuild_brief` (async) and `build_brief` return the
brief and what the run did, `write_brief` writes it, and `generate` does both. They
return data and raise BriefingError subclasses, and never print.

An article that cannot be extracted does not stop the brief: it is written from the
rest and names what it could not read (`RunStats.partial`). So does a relate or compose
call that fails: the offline rules stand in, and the brief says so. A run ends with an
error only when nothing could be extracted, when the budget stops it, or when the server
refuses every call alike (a fatal refusal: the key, the model, the mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from briefing import config, lexicon
from briefing.aggregate import SyndicationGroups, group_syndicated, merge_findings
from briefing.assemble import (
    DISCREPANCIES,
    BriefContext,
    PlannedSection,
    assemble_brief,
    counted,
)
from briefing.backend import Backend, Composition, make_backend
from briefing.corpus import Corpus, FileProblem, load_corpus
from briefing.costs import Usage
from briefing.discrepancies import discrepancy_items, source_discrepancies
from briefing.errors import (
    BriefingError,
    BudgetExceeded,
    ConfigurationError,
    CorpusError,
    ExtractionError,
    LLMCallFailed,
    LLMError,
)
from briefing.grounding import normalised_text
from briefing.offline.backend import OfflineBackend
from briefing.render import to_html, to_json, to_markdown
from briefing.schemas import (
    Article,
    ArticleExtraction,
    Brief,
    Claim,
    Finding,
    Period,
    RejectedClaim,
)
from briefing.store import RejectedQuote, Review, Store, cache_key

# Progress events: ("total", n) once, then ("cached" | "failed", 1) per article,
# ("extracted", n) for the n articles whose extractions were just saved together, and
# ("reasked", n) when answers were sent back to the model.
Progress = Callable[[str, int], None]
UndatedPolicy = str  # "include" or "exclude"
UNDATED_POLICIES = ("include", "exclude")
# New extractions are saved together (a commit costs more than storing one offline
# extraction): as soon as this many wait, or this long after the first of them finished.
# A crash loses at most those; a stop or a failure saves them first.
SAVE_EVERY_ARTICLES = 64
SAVE_AFTER_SECONDS = 0.25


@dataclass
class RunStats:
    """What one build did; `usage` is the backend's, over its whole life."""

    cached: int = 0
    extracted: int = 0
    dropped_claims: int = 0
    claims_used: int = 0  # claims that went into aggregation (after review decisions)
    reasks: int = 0
    dropped_sentences: int = 0  # composed sentences that failed validation and were left out
    failed: list[FileProblem] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # paths of articles that gave no claim
    # Steps the offline rules did because the model's call failed, with the cause.
    fallbacks: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    @property
    def partial(self) -> bool:
        """The brief was written, but not all of it as asked (see errors.EXIT_PARTIAL)."""
        return bool(self.failed or self.fallbacks)


@dataclass
class BuildResult:
    brief: Brief
    stats: RunStats
    skipped: list[FileProblem]  # files in the corpus that could not be read
    warnings: list[FileProblem]
    excluded: int  # articles outside the period


@dataclass
class GenerateResult(BuildResult):
    paths: list[Path] = field(default_factory=list)


def select_period(
    articles: list[Article], since: dt.date, until: dt.date | None, undated: UndatedPolicy
) -> tuple[list[Article], Period, int]:
    """Articles in [since, until]; until defaults to the newest article date."""
    if undated not in UNDATED_POLICIES:
        raise ConfigurationError(f"undated must be include or exclude, not {undated!r}")
    if until is None:
        # The newest article's date; a date in the future is a scraper's error, not news.
        today = dt.date.today()
        dated = [a.published for a in articles if a.published and since <= a.published <= today]
        until = max(dated) if dated else since
    if until < since:
        raise ConfigurationError(f"until ({until}) is before since ({since})")
    kept = [
        a
        for a in articles
        if (a.published is None and undated == "include")
        or (a.published is not None and since <= a.published <= until)
    ]
    return kept, Period(since=since, until=until), len(articles) - len(kept)


async def extract_all(
    articles: list[Article],
    backend: Backend,
    store: Store,
    stats: RunStats,
    progress: Progress | None = None,
) -> dict[str, ArticleExtraction]:
    """Extractions of every article that could be extracted, by article id.

    The store answers for work done before; new extractions are saved within a quarter of
    a second of finishing, and at once when the run stops or fails, so an interrupted or
    failing run keeps everything finished.
    """
    notify = progress or (lambda event, count: None)
    notify("total", len(articles))
    info = backend.info
    results: dict[str, ArticleExtraction] = {}
    pending = []
    store.record_articles(articles)
    for article in articles:
        # The backend's cache version names what an extraction depends on (for the LLM,
        # the requested model and the prompt); the model a server reports is known only
        # after a call, so it is not part of the key.
        key = cache_key(article, info.name, None, backend.cache_version)
        cached = store.cached_extraction(key)
        if cached is None:
            pending.append((article, key))
        else:
            results[article.article_id] = cached
            stats.cached += 1
            notify("cached", 1)
    limit = asyncio.Semaphore(backend.concurrency)
    # The first refusal that every call would meet alike (the key, the model, the mode):
    # the articles not yet sent are not sent.
    refused: list[LLMError] = []
    unsaved: list[tuple[str, Article, ArticleExtraction]] = []

    async def extract_one(article: Article, key: str) -> None:
        async with limit:
            if refused:
                stats.failed.append(FileProblem(article.path, "not sent: the run stopped"))
                notify("failed", 1)
                return
            try:
                extraction = await backend.extract(article)
            except LLMError as failure:
                reason = failure.reason if isinstance(failure, LLMCallFailed) else str(failure)
                stats.failed.append(FileProblem(article.path, reason))
                if isinstance(failure, BudgetExceeded) or (
                    isinstance(failure, LLMCallFailed) and failure.fatal
                ):
                    refused.append(failure)
                notify("failed", 1)
                return
        if failed_saves:
            raise failed_saves[0]
        unsaved.append((key, article, extraction))
        if len(unsaved) >= SAVE_EVERY_ARTICLES:
            save_unsaved()
        elif len(unsaved) == 1:
            save_later.append(loop.call_later(SAVE_AFTER_SECONDS, save_by_the_clock))

    def save_by_the_clock() -> None:
        try:
            save_unsaved()
        except Exception as error:
            # Raised in the run (the next extraction to finish, or the end), not in the
            # event loop's callback, where it would only be logged.
            failed_saves.append(error)

    def save_unsaved() -> None:
        while save_later:
            save_later.pop().cancel()
        if not unsaved:
            return
        finished = unsaved[:]
        unsaved.clear()
        try:
            store.save_extractions(finished)
        except KeyboardInterrupt:
            # A stop (raised wherever the run is: cli._interruptible) that lands just after
            # the commit must still count what the store now holds.
            with contextlib.suppress(BriefingError):
                if store.cached_extraction(finished[0][0]) is not None:
                    notify("extracted", len(finished))
            raise
        notify("extracted", len(finished))
        for _, done, extraction in finished:
            results[done.article_id] = extraction
            stats.extracted += 1
            stats.reasks += extraction.reasks
            if extraction.reasks:
                notify("reasked", extraction.reasks)

    loop = asyncio.get_running_loop()
    save_later: list[asyncio.TimerHandle] = []
    failed_saves: list[Exception] = []
    try:
        await asyncio.gather(*(extract_one(article, key) for article, key in pending))
    finally:
        # Also when the run stops or fails: what was extracted is kept.
        save_unsaved()
    if failed_saves:
        raise failed_saves[0]
    stats.dropped_claims = sum(e.dropped for e in results.values())
    stats.empty = sorted(
        a.path for a in articles if a.article_id in results and not results[a.article_id].claims
    )
    if refused or (stats.failed and not results):
        raise ExtractionError(
            _failure_message(stats, len(articles), refused),
            stopped=bool(refused),
            failures=tuple(str(problem) for problem in stats.failed),
        )
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


async def build_from_articles(
    articles: list[Article],
    period: Period,
    *,
    backend: Backend,
    store: Store,
    corpus: Corpus,
    progress: Progress | None = None,
) -> tuple[Brief, RunStats]:
    """The brief of `articles` (already selected for `period`) and what building it did."""
    stats = RunStats()
    try:
        extractions = await extract_all(articles, backend, store, stats, progress)
        articles = [
            a
            for a in with_inferred_dates(articles, extractions)
            if a.article_id in extractions
            and (a.published is None or period.since <= a.published <= period.until)
        ]
        by_id = {a.article_id: a for a in articles}
        every_claim = [c for a in articles for c in extractions[a.article_id].claims]
        rejected_quotes = store.rejected_quotes()
        reviews = store.reviews()
        rejected: list[tuple[Claim, Review]] = []
        claims = []
        for claim in every_claim:
            review = _rejection(claim, reviews, rejected_quotes)
            if review is None:
                claims.append(claim)
            else:
                rejected.append((claim, review))
        groups = group_syndicated(articles)
        claims = without_feed_furniture(claims, by_id, groups)
        stats.claims_used = len(claims)
        context = BriefContext(
            period=period,
            articles=articles,
            groups=groups,
            extractor=backend.info,
            corpus=str(corpus.root.resolve()),
        )
        try:
            composition = await _relate_and_compose(
                backend, merge_findings(claims, by_id, groups), by_id, groups, context, stats
            )
        except BudgetExceeded as error:
            done = stats.cached + stats.extracted
            raise BudgetExceeded(
                f"{error}; the {done} extracted article(s) are kept in the store:"
                " run again to continue"
            ) from error
        stats.dropped_sentences = composition.dropped_sentences
        sections = list(composition.sections)
        discrepancies = discrepancy_items(
            [
                d
                for d in source_discrepancies(articles)
                if not any(
                    q.covers(m.article.article_id, m.evidence.start, m.evidence.end)
                    for m in (d.first, d.second)
                    for q in rejected_quotes
                )
            ]
        )
        if discrepancies:
            sections.append(PlannedSection(DISCREPANCIES, discrepancies))
            # Their claims are made here, not extracted: stored so that they can be reviewed.
            store.save_derived_claims(
                [c for item in discrepancies for f in item.findings for c in f.claims]
            )
        context.notes = _notes(articles, corpus, stats)
        brief = assemble_brief(
            composition.title, composition.overview, sections, context, as_of=period.until
        )
        brief = brief.model_copy(update={"rejected_in_review": _rejected_records(rejected, by_id)})
        return brief, stats
    except BriefingError as error:
        # A failed run still says what it spent.
        error.usage = backend.usage
        raise
    finally:
        stats.usage = backend.usage


async def _relate_and_compose(
    backend: Backend,
    findings: list[Finding],
    by_id: dict[str, Article],
    groups: SyndicationGroups,
    context: BriefContext,
    stats: RunStats,
) -> Composition:
    """The backend relates and composes; where its call fails (not for the budget, which
    stops the run), the offline rules do that step and `stats.fallbacks` says why."""
    offline = OfflineBackend()
    try:
        related = await backend.relate(findings, by_id, groups)
    except BudgetExceeded:
        raise
    except LLMError as error:
        stats.fallbacks.append(f"the offline rules related the findings ({error})")
        related = await offline.relate(findings, by_id, groups)
    try:
        composition = await backend.compose(related, context)
    except BudgetExceeded:
        raise
    except LLMError as error:
        stats.fallbacks.append(f"the offline composer wrote the brief ({error})")
        composition = await offline.compose(related, context)
    return composition


async def abuild_brief(
    since: dt.date,
    until: dt.date | None = None,
    *,
    corpus: Path | Corpus = config.DEFAULT_CORPUS,
    settings: config.Settings | None = None,
    backend: Backend | None = None,
    undated: UndatedPolicy = "include",
    progress: Progress | None = None,
) -> BuildResult:
    """Build the brief for [since, until] from a corpus folder (or a loaded Corpus).

    The backend is made from `settings` unless one is given (a test double, say); a
    backend made here is closed here.
    """
    settings = settings or config.Settings()
    lexicon.use(lexicon.load_lexicon(settings.lexicon_files))
    loaded = corpus if isinstance(corpus, Corpus) else load_corpus(corpus)
    articles, period, excluded = select_period(loaded.articles, since, until, undated)
    if not articles:
        raise CorpusError(_no_articles_message(loaded, period))
    store = Store.open(config.store_home(loaded.root))
    try:
        owned = backend is None
        chosen = backend or make_backend(settings, store)
        try:
            brief, stats = await build_from_articles(
                articles, period, backend=chosen, store=store, corpus=loaded, progress=progress
            )
        finally:
            if owned:
                await chosen.aclose()
    finally:
        store.close()
    _refuse_a_period_without_dated_articles(brief, loaded, period)
    # Articles whose inferred date fell outside the period; not those that were not read.
    excluded += len(articles) - len(brief.sources) - len(stats.failed)
    return BuildResult(brief, stats, loaded.skipped, loaded.warnings, excluded)


def _refuse_a_period_without_dated_articles(brief: Brief, loaded: Corpus, period: Period) -> None:
    """A brief "as of" a period must hold an article dated in it: undated articles alone
    (included by default) would make a brief of 2030 from reports of 2025. A corpus with no
    dated article at all still gets its brief; the brief notes that none is dated."""
    dated = sorted(a.published for a in loaded.articles if a.published)
    if not dated or any(s.published for s in brief.sources):
        return
    undated = len(brief.sources)
    days = (
        f"on {period.since}"
        if period.since == period.until
        else f"from {period.since} to {period.until}"
    )
    raise ConfigurationError(
        f"no article in {loaded.root} is dated {days}"
        f" (its dated articles run {dated[0]} to {dated[-1]});"
        f" {counted(undated, 'undated article')} alone make no brief of a period:"
        " choose --since/--until within those dates"
    )


def build_brief(
    since: dt.date,
    until: dt.date | None = None,
    *,
    corpus: Path | Corpus = config.DEFAULT_CORPUS,
    settings: config.Settings | None = None,
    backend: Backend | None = None,
    undated: UndatedPolicy = "include",
    progress: Progress | None = None,
) -> BuildResult:
    """`abuild_brief` for callers without an event loop."""
    return asyncio.run(
        abuild_brief(
            since,
            until,
            corpus=corpus,
            settings=settings,
            backend=backend,
            undated=undated,
            progress=progress,
        )
    )


def generate(
    since: dt.date,
    until: dt.date | None = None,
    *,
    corpus: Path | Corpus = config.DEFAULT_CORPUS,
    out: Path = config.DEFAULT_OUT,
    formats: Sequence[str] = config.DEFAULT_FORMATS,
    settings: config.Settings | None = None,
    backend: Backend | None = None,
    undated: UndatedPolicy = "include",
    progress: Progress | None = None,
) -> GenerateResult:
    """Build the brief for [since, until] and write it as brief-<since>_<until>.<format>."""
    built = build_brief(
        since,
        until,
        corpus=corpus,
        settings=settings,
        backend=backend,
        undated=undated,
        progress=progress,
    )
    period = built.brief.period
    paths = write_brief(built.brief, out, f"brief-{period.since}_{period.until}", formats)
    return GenerateResult(
        built.brief, built.stats, built.skipped, built.warnings, built.excluded, paths
    )


def write_brief(brief: Brief, out: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    """Write `out/stem.<format>` for each format; a reader never sees half a file.

    Each file is written beside its final name, to a new file of a name no one could
    plant (never through a symlink left there), then renamed; on failure it is removed.
    A lone surrogate (from a JSON record's metadata) is written as U+FFFD: the files are
    always valid UTF-8. Quotes never hold one, since an article's text cannot.
    """
    renderers = {"md": to_markdown, "json": to_json, "html": to_html}
    unknown = [f for f in formats if f not in renderers]
    if unknown:
        raise ConfigurationError(f"formats: no such format {unknown[0]!r} (md, json, html)")
    paths = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            data = _LONE_SURROGATE_RE.sub("\ufffd", renderers[fmt](brief)).encode("utf-8")
            # A new file under a random name, made with O_EXCL: it never follows a planted
            # symlink, and a stale or planted `.partial` is never written through.
            partial = out / f".{path.name}.{secrets.token_hex(8)}.partial"
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(partial, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(partial)
                raise
            paths.append(path)
    except OSError as error:
        raise BriefingError(
            f"cannot write the brief to {out}: {error.strerror or error}"
            " (the extractions are kept in the store)"
        ) from None
    return paths


_LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def without_feed_furniture(
    claims: list[Claim], articles: dict[str, Article], groups: SyndicationGroups
) -> list[Claim]:
    """Claims less a feed's own furniture: a sentence that stands in records of one file
    that are otherwise unrelated ("Valley Wire aggregates regional news ...") is the
    feed's, not news. Copies of one story (one syndication group) may share sentences."""

    def key(claim: Claim) -> tuple[str, str] | None:
        path = articles[claim.article_id].path
        if "#" not in path:
            return None  # a file of one article is no feed
        return path.split("#", 1)[0], normalised_text(claim.statement).lower()

    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    for claim in claims:
        if (found := key(claim)) is not None:
            seen[found].add(groups.group_of[claim.article_id])
    furniture = {found for found, groups_in in seen.items() if len(groups_in) > 1}
    if not furniture:
        return claims
    return [c for c in claims if key(c) not in furniture]


def _rejection(
    claim: Claim, reviews: dict[str, Review], rejected_quotes: list[RejectedQuote]
) -> Review | None:
    """The rejection that keeps a claim out: its own, or one of a claim citing the same words."""
    own = reviews.get(claim.claim_id)
    if own is not None and own.decision == "rejected":
        return own
    for quote in rejected_quotes:
        if any(quote.covers(claim.article_id, e.start, e.end) for e in claim.evidence):
            return quote.review
    return None


def _rejected_records(
    rejected: list[tuple[Claim, Review]], articles: dict[str, Article]
) -> list[RejectedClaim]:
    return [
        RejectedClaim(
            claim_id=claim.claim_id,
            statement=claim.statement,
            path=articles[claim.article_id].path,
            quote=claim.evidence[0].quote,
            reviewer=review.reviewer,
            at=review.at,
            note=review.note,
        )
        for claim, review in rejected
    ]


def without_rejected(brief: Brief, rejected_quotes: list[RejectedQuote]) -> Brief:
    """An earlier brief without the items and citation rows that rest on a rejected quote:
    what a later brief may still cite from it."""
    article_of = {source.id: source.article_id for source in brief.sources}

    def kept(source: int, start: int, end: int) -> bool:
        article_id = article_of.get(source, "")
        return not any(q.covers(article_id, start, end) for q in rejected_quotes)

    sections = []
    for section in brief.sections:
        items = []
        for item in section.items:
            # An item resting on a rejected quote goes whole: its text may state it.
            if all(kept(c.source, c.start, c.end) for c in item.citations):
                items.append(item)
        sections.append(section.model_copy(update={"items": items}))
    rows = [r for r in brief.citations if kept(r.source, r.start, r.end)]
    return brief.model_copy(update={"sections": sections, "citations": rows})


def _failure_message(stats: RunStats, total: int, refused: Sequence[LLMError] = ()) -> str:
    done = stats.cached + stats.extracted
    # The refusal that stopped the run, else the first article's cause.
    first = next(
        (p for p in stats.failed if refused and p.reason == _reason(refused[0])), stats.failed[0]
    )
    more = f" (and {len(stats.failed) - 1} more)" if len(stats.failed) > 1 else ""
    return (
        f"{len(stats.failed)} of {total} article(s) not extracted; {first}{more}."
        f" The {done} finished are kept in the store: run again to continue"
    )


def _reason(failure: LLMError) -> str:
    return failure.reason if isinstance(failure, LLMCallFailed) else str(failure)


def _notes(articles: list[Article], loaded: Corpus, stats: RunStats) -> list[str]:
    notes = []
    undated = [a.path for a in articles if a.published is None]
    if undated:
        carry = "carries" if len(undated) == 1 else "carry"
        notes.append(
            f"{counted(len(undated), 'source')} {carry} no publication date and"
            f" {'is' if len(undated) == 1 else 'are'} placed by content only: {', '.join(undated)}"
        )
    if loaded.skipped:
        notes.append(
            f"{counted(len(loaded.skipped), 'file')} in the corpus could not be read and"
            f" {'was' if len(loaded.skipped) == 1 else 'were'} skipped"
        )
    if stats.failed:
        notes.append(
            f"partial brief: {len(stats.failed)} article(s) could not be read and are not in it: "
            + "; ".join(str(problem) for problem in stats.failed[:MAX_NAMED])
            + (
                f"; and {len(stats.failed) - MAX_NAMED} more"
                if len(stats.failed) > MAX_NAMED
                else ""
            )
        )
    if stats.empty:
        notes.append(
            f"{len(stats.empty)} article(s) gave no claim: "
            + ", ".join(stats.empty[:MAX_NAMED])
            + (f" and {len(stats.empty) - MAX_NAMED} more" if len(stats.empty) > MAX_NAMED else "")
        )
    notes += [f"the model's call failed, so {fallback}" for fallback in stats.fallbacks]
    if stats.dropped_claims:
        notes.append(
            f"{counted(stats.dropped_claims, 'claim')} failed grounding and"
            f" {'was' if stats.dropped_claims == 1 else 'were'} left out"
        )
    return notes


# A note names at most this many articles.
MAX_NAMED = 10


def _no_articles_message(loaded: Corpus, period: Period) -> str:
    if not loaded.articles:
        return f"no readable articles in {loaded.root} ({len(loaded.skipped)} file(s) skipped)"
    return f"no articles in {loaded.root} dated {period.since} to {period.until}"
