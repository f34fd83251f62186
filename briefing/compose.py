"""Composition: findings become the brief's sections, and the brief gets its sources and citations.

`compose_offline` is the deterministic templated composer; whichever composer writes
the sections, `assemble_brief` numbers the sources, attaches every citation with its
offsets and checks each quote against the raw text once more.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from briefing.aggregate import SyndicationGroups
from briefing.gazetteer import is_person, is_state
from briefing.grounding import verify_evidence
from briefing.relate import Discrepancy, RoleMention
from briefing.schemas import (
    Article,
    Brief,
    BriefCitation,
    BriefItem,
    BriefSection,
    BriefSource,
    CitationRow,
    Claim,
    ExtractorInfo,
    Finding,
    Period,
)

SUMMARY = "Summary"
KEY_DEVELOPMENTS = "Key developments"
POSITIONS = "Positions by actor"
CONFLICTS = "Conflicting reports"
DISCREPANCIES = "Source discrepancies"
ESTIMATES_AND_UPDATES = "Differing estimates and later updates"
OPEN_QUESTIONS = "Open questions"
UNDATED_REPORTS = "Undated reports"
# A brief, not a transcript: the offline composer adds findings, most salient first,
# while the sections stay within this many words (the brief's limit is 1,500 with the overview).
MAX_SECTION_WORDS = 1300
_POSITION_TYPES = ("statement", "position")


@dataclass
class BriefContext:
    """What a composer needs besides the findings."""

    period: Period
    articles: list[Article]  # every article in the period, cited or not
    groups: SyndicationGroups
    extractor: ExtractorInfo
    corpus: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlannedItem:
    """One sentence of the brief and the findings whose claims it rests on."""

    findings: list[Finding]
    text: str
    actor: str | None = None
    cited_claims: list[Claim] | None = None  # when a sentence cites only some of their claims


@dataclass(frozen=True)
class PlannedSection:
    heading: str
    items: list[PlannedItem]


def compose_offline(
    findings: list[Finding],
    context: BriefContext,
    conflicts: list[tuple[Finding, Finding]] | None = None,
) -> tuple[str, list[PlannedSection]]:
    """A templated overview and sections: a dated timeline, positions by actor, conflicting
    reports, undated reports."""
    conflicts = conflicts or []
    conflict_items = [
        PlannedItem([first, second], f"{first.statement} Against this: {second.statement}")
        for first, second in conflicts
    ]
    budget = MAX_SECTION_WORDS - sum(len(item.text.split()) for item in conflict_items)
    in_conflicts = {f.finding_id for pair in conflicts for f in pair}
    findings = [f for f in findings if f.finding_id not in in_conflicts]
    kept_ids = set()
    words = 0
    for finding in sorted(findings, key=lambda f: (-f.salience, f.finding_id)):
        words += len(finding.statement.split()) + 2  # the date label
        if words > budget:
            break
        kept_ids.add(finding.finding_id)
    ordered = [f for f in findings if f.finding_id in kept_ids]  # keep timeline order
    positions: dict[str, list[Finding]] = defaultdict(list)
    timeline, undated = [], []
    for finding in ordered:
        actor = _position_holder(finding)
        if actor:
            positions[actor].append(finding)
        elif finding.event_date or finding.published:
            timeline.append(finding)
        else:
            undated.append(finding)
    sections = [
        PlannedSection(KEY_DEVELOPMENTS, [PlannedItem([f], f.statement) for f in timeline]),
        PlannedSection(
            POSITIONS,
            [
                PlannedItem([f], f.statement, actor)
                for actor in sorted(positions, key=lambda a: (-len(positions[a]), a))
                for f in positions[actor]
            ],
        ),
        PlannedSection(CONFLICTS, conflict_items),
        PlannedSection(UNDATED_REPORTS, [PlannedItem([f], f.statement) for f in undated]),
    ]
    return overview_line(ordered, context), [s for s in sections if s.items]


def _position_holder(finding: Finding) -> str | None:
    """The person or state whose position a finding states, if it states one."""
    if finding.claim_type not in _POSITION_TYPES:
        return None
    speaker = finding.speaker
    return speaker if speaker and (is_person(speaker) or is_state(speaker)) else None


def overview_line(findings: list[Finding], context: BriefContext) -> str:
    """Counts a reader wants first: sources, independence, dates, findings, corroboration."""
    dated = sorted(a.published for a in context.articles if a.published)
    undated = sum(1 for a in context.articles if not a.published)
    independent = len(set(context.groups.group_of[a.article_id] for a in context.articles))
    corroborated = sum(1 for f in findings if f.independent_sources > 1)
    span = f"published {dated[0]} to {dated[-1]}" if dated else "none of them dated"
    parts = [
        f"{len(context.articles)} sources ({independent} independent), {span}",
        f"{undated} undated" if undated and dated else "",
    ]
    text = "; ".join(p for p in parts if p) + f". {len(findings)} findings"
    text += (
        f", {corroborated} reported by more than one independent source." if corroborated else "."
    )
    return text


def estimate_and_update_items(
    estimates: list[tuple[Finding, Finding]], updates: list[tuple[Finding, Finding]]
) -> list[PlannedItem]:
    """Pairs that differ without contradicting each other, labelled as what they are."""
    items = [
        PlannedItem([a, b], f"Differing estimates, not a conflict: {a.statement} {b.statement}")
        for a, b in estimates
    ]
    for a, b in updates:
        older, newer = sorted((a, b), key=lambda f: f.event_date or f.published or dt.date.max)
        items.append(
            PlannedItem(
                [older, newer],
                f"A later update, not a conflict: {older.statement} Later: {newer.statement}",
            )
        )
    return items


def discrepancy_items(discrepancies: list[Discrepancy]) -> list[PlannedItem]:
    """Items that show two sources' incompatible descriptions of one person, both cited."""
    items = []
    for discrepancy in discrepancies:
        sides = [
            _mention_finding(discrepancy.person, m) for m in (discrepancy.first, discrepancy.second)
        ]
        text = (
            f"Sources describe {discrepancy.person} differently: one as “{discrepancy.first.phrase}”,"
            f" another as “{discrepancy.second.phrase}”."
        )
        items.append(PlannedItem(sides, " ".join(text.split())))
    return items


def _mention_finding(person: str, mention: RoleMention) -> Finding:
    evidence = mention.evidence
    article = mention.article
    claim = Claim(
        claim_id=f"{article.article_id[:6]}-r{evidence.start}",
        article_id=article.article_id,
        statement=" ".join(evidence.quote.split()),
        actors=[person],
        attribution="reported",
        claim_type="statement",
        evidence=[evidence],
    )
    return Finding(
        finding_id=f"d-{article.article_id[:6]}-{evidence.start}",
        statement=claim.statement,
        claims=[claim],
        claim_type="statement",
        attribution="reported",
        speaker=None,
        actors=[person],
        event_date=None,
        published=article.published,
        independent_sources=1,
        salience=0.0,
    )


def _unique(citations: list[BriefCitation]) -> list[BriefCitation]:
    seen: dict[tuple[int, int, int], BriefCitation] = {}
    for citation in citations:
        seen.setdefault((citation.source, citation.start, citation.end), citation)
    return list(seen.values())


def brief_title(findings: list[Finding]) -> str:
    mentions = Counter(actor for f in findings for actor in f.actors[:3])
    top = [actor for actor, _ in mentions.most_common(3)]
    return "Situation brief: " + (", ".join(top) if top else "news digest")


def assemble_brief(
    title: str,
    overview: str,
    sections: list[PlannedSection],
    context: BriefContext,
    as_of: dt.date,
) -> Brief:
    """Number the sources, attach citations and build the citation table."""
    ordered = sorted(
        context.articles, key=lambda a: (a.published is None, a.published or dt.date.max, a.path)
    )
    number = {a.article_id: n for n, a in enumerate(ordered, start=1)}
    by_id = {a.article_id: a for a in ordered}
    brief_sections = []
    rows: list[CitationRow] = []
    cited: set[str] = set()
    for section in sections:
        items = []
        for planned in section.items:
            citations = []
            only = planned.cited_claims
            claims = [
                (finding, claim)
                for finding in planned.findings
                for claim in finding.claims
                if only is None or claim in only
            ]
            for finding, claim in claims:
                article = by_id[claim.article_id]
                cited.add(article.article_id)
                for evidence in claim.evidence:
                    citations.append(
                        BriefCitation(
                            source=number[article.article_id],
                            claim_id=claim.claim_id,
                            quote=evidence.quote,
                            start=evidence.start,
                            end=evidence.end,
                        )
                    )
                    rows.append(
                        CitationRow(
                            finding_id=finding.finding_id,
                            claim_id=claim.claim_id,
                            statement=claim.statement,
                            source=number[article.article_id],
                            article_id=article.article_id,
                            path=article.path,
                            outlet=article.outlet,
                            published=article.published,
                            quote=evidence.quote,
                            start=evidence.start,
                            end=evidence.end,
                            verified=verify_evidence(evidence, article.raw_text),
                        )
                    )
            lead = planned.findings[0]
            when = lead.event_date or lead.published
            items.append(
                BriefItem(
                    text=planned.text,
                    event_date=lead.event_date,
                    date_label=(
                        f"{lead.event_date}"
                        if lead.event_date
                        else f"reported {when}"
                        if when
                        else "undated"
                    ),
                    finding_ids=[f.finding_id for f in planned.findings],
                    actor=planned.actor,
                    independent_sources=max(f.independent_sources for f in planned.findings),
                    citations=_unique(citations),
                )
            )
        brief_sections.append(BriefSection(heading=section.heading, items=items))
    sources = [
        BriefSource(
            id=number[a.article_id],
            article_id=a.article_id,
            path=a.path,
            title=a.title,
            outlet=a.outlet,
            published=a.published,
            date_source=a.date_source,
            syndication_group=context.groups.group_of[a.article_id],
            cited=a.article_id in cited,
        )
        for a in ordered
    ]
    words = (
        len(title.split())
        + len(overview.split())
        + sum(len(item.text.split()) for s in brief_sections for item in s.items)
    )
    return Brief(
        title=title,
        as_of=as_of,
        period=context.period,
        extractor=context.extractor,
        overview=overview,
        notes=context.notes,
        sources=sources,
        sections=brief_sections,
        citations=rows,
        corpus=context.corpus,
        word_count=words,
    )
