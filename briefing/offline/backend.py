"""The offline backend: rules and templates, no network, deterministic and free."""

from __future__ import annotations

from briefing import lexicon
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

# Extraction is CPU work on the event loop: more at once would not finish sooner.
OFFLINE_CONCURRENCY = 1


class OfflineBackend:
    """Sentences picked and labelled by rules; conflicts by opposite stances; a templated brief."""

    info = ExtractorInfo(name="offline")
    concurrency = OFFLINE_CONCURRENCY

    @property
    def cache_version(self) -> str:
        # The rules read the lexicon: another lexicon is other work.
        return f"{RULES_VERSION}+{lexicon.active().fingerprint}"

    def __init__(self) -> None:
        self._extractor = OfflineExtractor()
        self.usage = Usage()

    async def extract(self, article: Article) -> ArticleExtraction:
        return self._extractor.extract(article)

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
        return None
