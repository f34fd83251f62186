"""Brief assembly, shared by both backends: planned sections become a Brief.

A backend's composer plans sections (`PlannedSection` of `PlannedItem`s, each naming
the findings it rests on); `assemble_brief` numbers the sources, attaches every
citation with its offsets and checks each quote against the raw text once more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from briefing.aggregate import SyndicationGroups
from briefing.grounding import verify_evidence
from briefing.quotes import keyed
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
MAX_SECTION_WORDS = 1350


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


def counted(n: int, noun: str) -> str:
    """ "1 source", "2 sources"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def overview_line(findings: list[Finding], context: BriefContext) -> str:
    """Counts a reader wants first: sources, independence, dates, findings, corroboration."""
    dated = sorted(a.published for a in context.articles if a.published)
    undated = sum(1 for a in context.articles if not a.published)
    independent = len({context.groups.origin(a) for a in context.articles})
    corroborated = sum(1 for f in findings if f.independent_sources > 1)
    if not dated:
        span = "none of them dated"
    elif dated[0] == dated[-1]:
        span = f"published {dated[0]}"
    else:
        span = f"published {dated[0]} to {dated[-1]}"
    parts = [
        f"{counted(len(context.articles), 'source')} ({independent} independent), {span}",
        f"{undated} undated" if undated and dated else "",
    ]
    text = "; ".join(p for p in parts if p) + f". {counted(len(findings), 'finding')}"
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


def _unique(citations: list[BriefCitation]) -> list[BriefCitation]:
    seen: dict[tuple[int, int, int], BriefCitation] = {}
    for citation in citations:
        seen.setdefault((citation.source, citation.start, citation.end), citation)
    return list(seen.values())


def _date_label(lead: Finding, articles: dict[str, Article]) -> str:
    """How an item's date is shown; a date the tool worked out says so."""
    if lead.event_date:
        inferred = " (inferred)" if lead.event_date_source == "relative" else ""
        if lead.published and lead.event_date > lead.published:
            return f"due {lead.event_date}{inferred}"  # after its report: a plan's day
        return f"{lead.event_date}{inferred}"
    if lead.published:
        sources = {
            articles[c.article_id].date_source for c in lead.claims if c.article_id in articles
        }
        return f"reported {lead.published}" + (" (inferred)" if sources == {"inferred"} else "")
    return "undated"


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
    listed: set[tuple[str, str, int, int]] = set()
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
                    row_id = (finding.finding_id, claim.claim_id, evidence.start, evidence.end)
                    if row_id in listed:
                        continue  # cited again (another section, another sentence): one row
                    listed.add(row_id)
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
                            speaker=claim.speaker,
                            reporting_chain=claim.reporting_chain,
                        )
                    )
            lead = planned.findings[0]
            items.append(
                BriefItem(
                    text=planned.text,
                    event_date=lead.event_date,
                    event_date_source=lead.event_date_source if lead.event_date else None,
                    date_label=_date_label(lead, by_id),
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
            origin=a.origin,
            published=a.published,
            date_source=a.date_source,
            date_evidence=a.date_evidence,
            syndication_group=context.groups.group_of[a.article_id],
            independent_origin=context.groups.origin(a),
            cited=a.article_id in cited,
        )
        for a in ordered
    ]
    words = (
        len(title.split())
        + len(overview.split())
        + sum(len(item.text.split()) for s in brief_sections for item in s.items)
    )
    brief = Brief(
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
    return keyed(brief)
