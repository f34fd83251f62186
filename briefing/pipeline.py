"""The pipeline: load, extract (cached), aggregate, compose, render, write.

`generate()` is what `briefing generate` runs; it returns data and raises
BriefingError subclasses, and never prints.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from briefing import config
from briefing.aggregate import group_syndicated, merge_findings
from briefing.compose import BriefContext, assemble_brief, brief_title, compose_offline
from briefing.corpus import Corpus, FileProblem, load_corpus
from briefing.errors import ConfigurationError, CorpusError
from briefing.extract_offline import OfflineExtractor
from briefing.render import to_html, to_json, to_markdown
from briefing.schemas import Article, ArticleExtraction, Brief, Claim, ExtractorInfo, Period
from briefing.store import Store, cache_key

Report = Callable[[str], None]


class Extractor(Protocol):
    """Turns one article into grounded claims."""

    @property
    def name(self) -> Literal["llm", "offline"]: ...
    @property
    def model(self) -> str | None: ...
    @property
    def prompt_version(self) -> str | None: ...

    def extract(self, article: Article) -> ArticleExtraction: ...


@dataclass
class ExtractionStats:
    cached: int = 0
    extracted: int = 0
    dropped_claims: int = 0
    failed: list[FileProblem] = field(default_factory=list)


@dataclass
class GenerateResult:
    brief: Brief
    paths: list[Path]
    skipped: list[FileProblem]
    warnings: list[FileProblem]
    excluded: int  # articles outside the period
    stats: ExtractionStats


def make_extractor(choice: str, model: str | None) -> Extractor:
    name = config.resolve_extractor(choice)
    if name == "offline":
        return OfflineExtractor()
    raise ConfigurationError(
        "the llm extractor is not available in this version yet; use --extractor offline"
    )


def select_period(
    articles: list[Article], since: dt.date, until: dt.date | None, undated: str
) -> tuple[list[Article], Period, int]:
    """Articles in [since, until]; until defaults to the newest article date."""
    if undated not in ("include", "exclude"):
        raise ConfigurationError(f"--undated must be include or exclude, not {undated!r}")
    if until is None:
        dated = [a.published for a in articles if a.published and a.published >= since]
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


def extract_all(
    articles: list[Article], extractor: Extractor, store: Store, stats: ExtractionStats
) -> list[Claim]:
    """Claims of every article, from the store when this exact work was done before."""
    claims: list[Claim] = []
    for article in articles:
        store.record_article(article)
        key = cache_key(article, extractor.name, extractor.model, _version(extractor))
        extraction = store.cached_extraction(key)
        if extraction is None:
            extraction = extractor.extract(article)
            store.save_extraction(key, article, extraction)
            stats.extracted += 1
        else:
            stats.cached += 1
        stats.dropped_claims += extraction.dropped
        claims.extend(extraction.claims)
    return claims


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
    model: str | None = None,
    undated: str = "include",
    report: Report | None = None,
) -> GenerateResult:
    """Write the brief for [since, until] from the articles in `corpus`; return what was done."""
    chosen = make_extractor(extractor, model)
    loaded = load_corpus(corpus)
    articles, period, excluded = select_period(loaded.articles, since, until, undated)
    if not articles:
        raise CorpusError(_no_articles_message(loaded, period, corpus))
    store = Store.open(config.store_home(corpus))
    stats = ExtractionStats()
    try:
        claims = extract_all(articles, chosen, store, stats)
    finally:
        store.close()
    by_id = {a.article_id: a for a in articles}
    groups = group_syndicated(articles)
    findings = merge_findings(claims, by_id, groups)
    notes = _notes(articles, loaded, stats)
    context = BriefContext(
        period=period,
        articles=articles,
        groups=groups,
        extractor=ExtractorInfo(
            name=chosen.name, model=chosen.model, prompt_version=chosen.prompt_version
        ),
        corpus=_display_path(corpus),
        notes=notes,
    )
    overview, sections = compose_offline(findings, context)
    brief = assemble_brief(brief_title(findings), overview, sections, context, as_of=period.until)
    paths = write_brief(brief, out, f"brief-{period.since}_{period.until}", formats)
    return GenerateResult(brief, paths, loaded.skipped, loaded.warnings, excluded, stats)


def write_brief(brief: Brief, out: Path, stem: str, formats: Sequence[str]) -> list[Path]:
    renderers = {"md": to_markdown, "json": to_json, "html": to_html}
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        # Write beside, then rename: a reader never sees half a brief.
        partial = path.with_suffix(path.suffix + ".partial")
        partial.write_text(renderers[fmt](brief), encoding="utf-8")
        os.replace(partial, path)
        paths.append(path)
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
