"""Validated records that flow through the pipeline: articles, claims, findings, briefs.

Every model forbids unknown fields so that a typo in a producer (or in an LLM's
answer) is an error rather than silently lost data.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2"

DateSource = Literal["header", "dateline", "metadata", "inferred", "unknown"]
Attribution = Literal["asserted", "reported", "alleged", "denied", "speculative", "planned"]
ClaimType = Literal["event", "statement", "position", "plan", "assessment", "figure"]
DatePrecision = Literal["day", "month", "year"]
# How an event date was found: written out in the sentence ("on 3 March 2025"), resolved
# from words relative to the publication date ("on Sunday"), or the publication date itself.
EventDateSource = Literal["explicit", "relative", "publication"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Segment(Record):
    """A run of cleaned text copied unchanged from the raw text."""

    clean_start: int
    raw_start: int
    length: int


class Article(Record):
    """One article: the raw text citations point into, and the cleaned text claims come from."""

    article_id: str
    path: str = Field(description="relative to the corpus folder's parent; file#N for a record")
    raw_text: str = Field(description="the text offsets refer to: the decoded file or record")
    text: str = Field(description="cleaned text: boilerplate and repeated paragraphs removed")
    segments: list[Segment]
    content_hash: str
    title: str | None = None
    outlet: str | None = Field(default=None, description="the publishing site")
    origin: str | None = Field(
        default=None, description="the wire agency or outlet the article credits"
    )
    url: str | None = None
    published: dt.date | None = None
    date_source: DateSource = "unknown"
    date_evidence: str | None = None
    encoding: str = "utf-8"

    def raw_span(self, clean_start: int, clean_end: int) -> tuple[int, int] | None:
        """Map a span of cleaned text to the raw text, or None if it crosses removed text."""
        for segment in self.segments:
            seg_end = segment.clean_start + segment.length
            if segment.clean_start <= clean_start and clean_end <= seg_end:
                offset = segment.raw_start - segment.clean_start
                return clean_start + offset, clean_end + offset
        return None


class Evidence(Record):
    """A verbatim quote: raw_text[start:end] == quote."""

    quote: str = Field(min_length=1)
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Claim(Record):
    claim_id: str
    article_id: str
    statement: str = Field(min_length=1, description="one self-contained sentence")
    speaker: str | None = Field(default=None, description="who said or did it")
    actors: list[str] = Field(default_factory=list, description="whom it concerns")
    reporting_chain: list[str] = Field(
        default_factory=list,
        description="the outlet, then any outlet or source it cites, outermost first",
    )
    attribution: Attribution = "asserted"
    claim_type: ClaimType = "event"
    event_date: dt.date | None = None
    date_precision: DatePrecision | None = None
    event_date_source: EventDateSource | None = None
    evidence: list[Evidence] = Field(min_length=1)
    salience: float = Field(default=0.0, description="ranking weight; higher is more central")


class ArticleExtraction(Record):
    article_id: str
    extractor: str
    model: str | None = None
    prompt_version: str | None = None
    claims: list[Claim]
    dropped: int = Field(default=0, description="claims that failed grounding and were dropped")
    drop_reasons: list[str] = Field(default_factory=list)
    reasks: int = Field(default=0, description="answers sent back to the model for correction")
    inferred_published: dt.date | None = Field(
        default=None, description="for an undated article: the publication date the model estimated"
    )
    inferred_date_evidence: Evidence | None = None


class Finding(Record):
    """One thing stated, possibly in several articles: all its claims and citations."""

    finding_id: str
    statement: str
    claims: list[Claim]
    claim_type: ClaimType
    attribution: Attribution
    speaker: str | None
    actors: list[str]
    event_date: dt.date | None
    event_date_source: EventDateSource | None = None
    published: dt.date | None = Field(description="earliest publication date among its articles")
    independent_sources: int = Field(description="syndication groups that report it")
    salience: float


# --- the brief (the JSON contract: these models are it; the README shows its use) --------


class Period(Record):
    since: dt.date
    until: dt.date


class ExtractorInfo(Record):
    name: str = Field(description="the backend: llm or offline (a test double names itself)")
    model: str | None = None
    prompt_version: str | None = None


class BriefSource(Record):
    id: int
    article_id: str
    path: str
    title: str | None
    outlet: str | None
    origin: str | None = None
    published: dt.date | None
    date_source: DateSource
    date_evidence: str | None = None
    syndication_group: int
    independent_origin: str | None = Field(
        default=None,
        description="where its text comes from: 'outlet:Reuters', or 'group:N' for an"
        " unnamed one; sources sharing it count once as independent",
    )
    cited: bool
    in_period: bool = Field(
        default=True, description="False for an earlier week's source cited under 'What changed'"
    )


class BriefCitation(Record):
    source: int
    claim_id: str
    quote: str
    start: int
    end: int
    key: str | None = Field(
        default=None,
        description='the marker "S.Q": source S, its Q-th quoted passage; the row of `quotes`',
    )


class BriefItem(Record):
    text: str
    event_date: dt.date | None
    event_date_source: EventDateSource | None = None
    date_label: str = Field(description="how the date is shown: event, published or undated")
    finding_ids: list[str] = Field(min_length=1)
    actor: str | None = Field(default=None, description="whose position, in positions sections")
    independent_sources: int
    citations: list[BriefCitation] = Field(min_length=1)


class BriefSection(Record):
    heading: str
    items: list[BriefItem]


class CitationRow(Record):
    finding_id: str
    claim_id: str
    statement: str = Field(description="the claim the quote supports")
    source: int
    article_id: str
    path: str
    outlet: str | None
    published: dt.date | None
    quote: str
    start: int
    end: int
    verified: bool
    speaker: str | None = Field(default=None, description="who said or did it")
    reporting_chain: list[str] = Field(
        default_factory=list, description="the outlet, then each source it cites"
    )
    key: str | None = Field(default=None, description="the quote's marker, as in BriefCitation")


class ItemRef(Record):
    """Where a quote is cited: the section's heading and the item's number in it (from 1)."""

    section: str
    item: int


class QuoteRow(Record):
    """One row of the brief's citation table: one quoted passage and everything it backs."""

    key: str = Field(description='"S.Q", the marker the text shows: source S, its Q-th quote')
    source: int
    article_id: str
    path: str
    outlet: str | None
    published: dt.date | None
    quote: str
    start: int
    end: int
    verified: bool
    finding_ids: list[str] = Field(description="the findings this quote supports")
    claim_ids: list[str] = Field(description="the claims it is evidence for (reviewed by id)")
    cited_in: list[ItemRef] = Field(default_factory=list)


class RejectedClaim(Record):
    """A claim an analyst rejected in review: left out of the brief, listed for the record."""

    claim_id: str
    statement: str
    path: str
    quote: str
    reviewer: str
    at: str
    note: str | None


class Brief(Record):
    title: str
    as_of: dt.date
    period: Period
    extractor: ExtractorInfo
    overview: str
    notes: list[str]
    sources: list[BriefSource]
    sections: list[BriefSection]
    citations: list[CitationRow]
    quotes: list[QuoteRow] = Field(
        default_factory=list,
        description="the citation table as a reader sees it: one row per quote, by key",
    )
    corpus: str = Field(description="the corpus folder; source paths are relative to its parent")
    word_count: int = Field(description="words in the title, overview and section items")
    rejected_in_review: list[RejectedClaim] = Field(default_factory=list)
