"""The LLM extractor: instructor fills the claim schema; the grounding module validates it.

Validation happens inside instructor's loop through `context=`: a claim whose quotes
are not verbatim in the article, or whose statement has numbers its quotes lack, is
sent back to the model with the reason (a re-ask). On the last allowed attempt the
claims that still fail are dropped and counted instead, so a good answer is never
thrown away for one bad claim, and a bad claim never reaches the brief.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from briefing.dates import event_date, parse_iso_date
from briefing.grounding import GroundingFailure, ground_claim, ground_quote, normalise
from briefing.ids import claim_id
from briefing.llm.calls import StructuredCalls
from briefing.llm.client import CallScope
from briefing.prompts import EXTRACT_CLAIMS, load_prompt
from briefing.schemas import (
    Article,
    ArticleExtraction,
    Attribution,
    Claim,
    ClaimType,
    DatePrecision,
    EventDateSource,
    Evidence,
)

# Re-asks after the first answer, per part of an article.
DEFAULT_MAX_REASKS = 2
# An article longer than this (in estimated tokens) is sent in parts, split on paragraphs.
DEFAULT_ARTICLE_TOKEN_BUDGET = 6000
CHARS_PER_TOKEN = 4
# At most this many parts of one article are sent (8 x 6,000 tokens by default).
MAX_PARTS_PER_ARTICLE = 8


class QuotedClaim(BaseModel):
    """A claim as the model states it, with verbatim quotes from the article."""

    model_config = ConfigDict(extra="forbid")

    statement: str = Field(description="one self-contained sentence; nothing the quotes do not say")
    speaker: str | None = Field(description="who said or did it")
    actors: list[str] = Field(description="whom the claim concerns")
    reporting_chain: list[str] = Field(
        description="the article's outlet, then each outlet or source it cites, outermost first"
    )
    attribution: Attribution
    claim_type: ClaimType
    event_date: str | None = Field(description="YYYY-MM-DD, when the text dates the event")
    event_date_text: str | None = Field(description="the article's words that give the date")
    date_precision: DatePrecision | None
    quotes: list[str] = Field(
        min_length=1, description="spans copied exactly, character for character, from the article"
    )


class PublicationDateEstimate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: dt.date
    evidence_quote: str = Field(description="the verbatim span the estimate relies on")
    reasoning: str


@dataclass
class GroundingState:
    """What validation of one part accepted and dropped; lives in instructor's context."""

    article: Article
    scope: CallScope
    max_attempts: int
    accepted: list[tuple[QuotedClaim, list[Evidence]]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    date_evidence: Evidence | None = None


class ClaimExtraction(BaseModel):
    """The response model: the claims of one article (or one part of it)."""

    model_config = ConfigDict(extra="forbid")

    claims: list[QuotedClaim]
    publication_date: PublicationDateEstimate | None = Field(
        default=None, description="only when the article has no publication date"
    )

    @model_validator(mode="after")
    def quotes_are_grounded(self, info: ValidationInfo) -> ClaimExtraction:
        state = (info.context or {}).get("grounding")
        if not isinstance(state, GroundingState):
            return self  # validated outside an extraction (schema tests, fixtures)
        accepted, failures = [], []
        for index, claim in enumerate(self.claims):
            try:
                accepted.append((claim, ground_claim(claim.statement, claim.quotes, state.article)))
            except GroundingFailure as failure:
                failures.append(f"claims[{index}]: {failure}")
        date_evidence = None
        if self.publication_date is not None:
            try:
                date_evidence = ground_quote(
                    self.publication_date.evidence_quote, state.article
                ).evidence
            except GroundingFailure as failure:
                failures.append(f"publication_date.evidence_quote: {failure}")
        if failures and state.scope.calls < state.max_attempts:
            raise ValueError(
                "Every quote must be copied exactly from the article and every number in a"
                " statement must appear in its quotes. Fix or remove these:\n" + "\n".join(failures)
            )
        state.accepted, state.dropped, state.date_evidence = accepted, failures, date_evidence
        return self


def split_for_budget(text: str, max_chars: int) -> list[str]:
    """Parts of at most max_chars, cut between paragraphs (or lines, for one huge paragraph)."""
    if len(text) <= max_chars:
        return [text]
    pieces = re.split(r"(?<=\n)", text)
    parts: list[str] = []
    current = ""
    for piece in pieces:
        while len(piece) > max_chars:  # a single paragraph over budget: cut at a sentence end
            cut = piece.rfind(". ", 0, max_chars) + 1 or max_chars
            parts.append(piece[:cut])
            piece = piece[cut:]
        if len(current) + len(piece) > max_chars and current:
            parts.append(current)
            current = ""
        current += piece
    if current.strip():
        parts.append(current)
    return [part for part in parts if part.strip()]


class LLMExtractor:
    """Claims through an OpenAI-compatible API, validated by grounding.

    `extract` raises LLMError (LLMCallFailed, BudgetExceeded) when an article cannot be
    extracted; the pipeline reports that article and goes on with the others.
    """

    def __init__(
        self,
        calls: StructuredCalls,
        *,
        max_reasks: int = DEFAULT_MAX_REASKS,
        article_token_budget: int = DEFAULT_ARTICLE_TOKEN_BUDGET,
    ) -> None:
        self.calls = calls
        self.model = calls.client.settings.model
        self.max_reasks = max_reasks
        self.max_part_chars = article_token_budget * CHARS_PER_TOKEN
        self._prompt = load_prompt(EXTRACT_CLAIMS)
        self.prompt_version = self._prompt.version

    def parts(self, article: Article) -> tuple[list[str], list[str]]:
        """The parts of an article sent as one call each, and a note when some are left out."""
        parts = split_for_budget(article.text, self.max_part_chars)
        if len(parts) <= MAX_PARTS_PER_ARTICLE:
            return parts, []
        # A scraped dump is not an article: read its lead, and say so.
        note = f"article too long: read the first {MAX_PARTS_PER_ARTICLE} of {len(parts)} parts"
        return parts[:MAX_PARTS_PER_ARTICLE], [note]

    async def extract(self, article: Article) -> ArticleExtraction:
        parts, notes = self.parts(article)
        accepted: list[tuple[QuotedClaim, list[Evidence]]] = []
        dropped: list[str] = []
        reasks = 0
        inferred: tuple[dt.date, Evidence] | None = None
        for number, part in enumerate(parts, start=1):
            state, response = await self.extract_part(article, part, number, len(parts))
            accepted.extend(state.accepted)
            dropped.extend(state.dropped)
            reasks += max(0, state.scope.calls - 1)
            if inferred is None and response.publication_date and state.date_evidence:
                inferred = (response.publication_date.date, state.date_evidence)
        published = article.published or (inferred[0] if inferred else None)
        claims = _unique_claims(article, accepted, published)
        return ArticleExtraction(
            article_id=article.article_id,
            extractor="llm",
            model=self.model,
            prompt_version=self.prompt_version,
            claims=claims,
            dropped=len(dropped),
            drop_reasons=dropped + notes,
            reasks=reasks,
            inferred_published=inferred[0] if inferred and not article.published else None,
            inferred_date_evidence=inferred[1] if inferred and not article.published else None,
        )

    async def extract_part(
        self, article: Article, text: str, number: int, count: int
    ) -> tuple[GroundingState, ClaimExtraction]:
        """One call (and its re-asks) for one part; a batch writes its requests through it."""
        messages = self._prompt.render(
            title=article.title,
            outlet=article.outlet,
            published=article.published.isoformat() if article.published else None,
            # An article cannot close the delimiter it is wrapped in.
            text=text.replace("</article>", "</ article>"),
            part_number=number,
            part_count=count,
        )
        scope = CallScope("extract", article.article_id)
        state = GroundingState(article, scope, max_attempts=self.max_reasks + 1)
        response = await self.calls.call(
            messages,
            ClaimExtraction,
            scope=scope,
            context={"grounding": state},
            max_reasks=self.max_reasks,
        )
        return state, response


def _unique_claims(
    article: Article,
    accepted: list[tuple[QuotedClaim, list[Evidence]]],
    published: dt.date | None,
) -> list[Claim]:
    """Claims with ids and resolved dates; the same statement twice (across parts) once."""
    claims: dict[str, Claim] = {}
    for draft, evidence in accepted:
        key = normalise(draft.statement).text.lower()
        if key in claims:
            continue
        when, precision, when_source = _event_date(draft, published, article)
        claims[key] = Claim(
            claim_id=claim_id(article.article_id, draft.statement),
            article_id=article.article_id,
            statement=draft.statement.strip(),
            speaker=draft.speaker,
            actors=list(dict.fromkeys(draft.actors)),
            reporting_chain=list(dict.fromkeys(draft.reporting_chain)),
            attribution=draft.attribution,
            claim_type=draft.claim_type,
            event_date=when,
            date_precision=precision,
            event_date_source=when_source,
            evidence=evidence,
            salience=float(len(accepted) - len(claims)),  # the model lists the main news first
        )
    return sorted(claims.values(), key=lambda c: c.evidence[0].start)


def _event_date(
    draft: QuotedClaim, published: dt.date | None, article: Article
) -> tuple[dt.date | None, DatePrecision | None, EventDateSource | None]:
    """Code reads the date from the article's own words; the model's date stands only when
    its date words are in the article and code cannot read them (a wrong date is worse
    than none)."""
    words = draft.event_date_text
    if not words or normalise(words).text.lower() not in normalise(article.text).text.lower():
        return None, None, None
    found = event_date(words, published, future=draft.attribution == "planned")
    if found is not None:
        return found.date, found.precision, found.source
    parsed = parse_iso_date(draft.event_date) if draft.event_date else None
    if parsed is None or (published and parsed > published and draft.attribution != "planned"):
        return None, None, None
    return parsed, draft.date_precision or "day", "explicit"
