"""The offline backend: rules and templates, no network, deterministic and free."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ProcessPoolExecutor

from briefing import lexicon, workers
from briefing.aggregate import SyndicationGroups
from briefing.assemble import BriefContext
from briefing.backend import Composition, Related
from briefing.costs import Usage
from briefing.figures import figure_pairs
from briefing.offline.compose import brief_title, compose_offline
from briefing.offline.extract import RULES_VERSION, OfflineExtractor
from briefing.offline.relate import contradictions, relate_offline
from briefing.relations import opposed_pairs, parties_of
from briefing.schemas import Article, ArticleExtraction, ExtractorInfo, Finding

# Extraction is CPU work. A run that extracts more articles than this goes on in one
# worker process per core (a pool's start-up, about a tenth of a second, pays for itself
# only on a big corpus; a brief of a few dozen pages never starts one).
POOL_AFTER_ARTICLES = 200
# Articles in hand per worker: with one each, a worker waited while the run stored its
# last result and sent the next article.
ARTICLES_PER_WORKER = 8


class OfflineBackend:
    """Sentences picked and labelled by rules; conflicts by opposite stances; a templated brief."""

    info = ExtractorInfo(name="offline")

    @property
    def cache_version(self) -> str:
        # The rules read the lexicon: another lexicon is other work.
        return f"{RULES_VERSION}+{lexicon.active().fingerprint}"

    def __init__(self) -> None:
        self._extractor = OfflineExtractor()
        self.usage = Usage()
        self._extracted_here = 0
        self._pool: ProcessPoolExecutor | None = None
        self._workers = max(1, os.cpu_count() or 1)

    @property
    def concurrency(self) -> int:
        return self._workers * ARTICLES_PER_WORKER

    async def extract(self, article: Article) -> ArticleExtraction:
        if self._extracted_here < POOL_AFTER_ARTICLES:
            self._extracted_here += 1
            return self._extractor.extract(article)
        if self._pool is None:
            # The workers read with this run's lexicon (set by lexicon.use in the pipeline).
            self._pool = workers.start_pool(self._workers)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _extract_in_worker, article)

    async def relate(
        self, findings: list[Finding], articles: dict[str, Article], groups: SyndicationGroups
    ) -> Related:
        by_id = {f.finding_id: f for f in findings}
        # Parties (and which actors are too broad to compare on) come from every finding.
        parties = parties_of(findings)
        relations = relate_offline(opposed_pairs(findings, parties), parties)
        known = {frozenset((r.first, r.second)) for r in relations}
        relations += [
            r
            for r in contradictions(findings, parties.lexicon)
            if frozenset((r.first, r.second)) not in known
        ]
        conflicts = [(by_id[r.first], by_id[r.second]) for r in relations if r.kind == "conflict"]
        figures = figure_pairs(findings, articles, groups)
        conflicts += [(p.first, p.second) for p in figures if p.kind == "conflict"]
        updates = [(p.first, p.second) for p in figures if p.kind == "update"]
        return Related(findings, conflicts=conflicts, updates=updates)

    async def compose(self, related: Related, context: BriefContext) -> Composition:
        overview, sections = compose_offline(
            related.findings, context, related.conflicts, related.updates
        )
        return Composition(brief_title(related.findings, context.articles), overview, sections)

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


_WORKER_EXTRACTOR = OfflineExtractor()


def _extract_in_worker(article: Article) -> ArticleExtraction:
    return _WORKER_EXTRACTOR.extract(article)
