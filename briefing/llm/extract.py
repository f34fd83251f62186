"""The LLM extractor: the model cites sentence numbers; code turns them into quotes.

The prompt shows the cleaned article as numbered sentences. A claim names the numbers
of the sentences that state it (and, optionally, the words within them it rests on);
code maps them to raw-file offsets, so a quote cannot be misquoted. Validation happens
inside instructor's loop, given the call's context: a claim that cites no such sentence,
or whose statement says more than its sentences (numbers, names, negation, stance, a
dropped "reportedly" or "may"), is sent back to the model with the reason (a re-ask).
On the last allowed attempt the claims that still fail are dropped and counted
instead, so a good answer is never thrown away for one bad claim, and a bad claim
never reaches the brief.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from briefing.dates import date_agrees, event_date, parse_iso_date
from briefing.grounding import GroundingFailure, ground_quote, normalised_text, span_evidence
from briefing.ids import claim_id
from briefing.lexicon import Entity, Lexicon, active, find_people
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
from briefing.sentences import NumberedSentence, number_sentences
from briefing.support import unsupported_by

# Re-asks after the first answer, per part of an article.
DEFAULT_MAX_REASKS = 2
# An article longer than this (in estimated tokens) is sent in parts, split on paragraphs.
DEFAULT_ARTICLE_TOKEN_BUDGET = 6000
CHARS_PER_TOKEN = 4
# At most this many parts of one article are sent (8 x 6,000 tokens by default).
MAX_PARTS_PER_ARTICLE = 8


def _untitled_fields(schema: dict[str, Any]) -> None:
    """Drops pydantic's field titles ("Reporting Chain" for reporting_chain) from the schema
    sent with every call: they repeat the field names."""
    for field_schema in schema.get("properties", {}).values():
        field_schema.pop("title", None)


# The response models' fields are explained in the prompt (prompts/extract_claims.j2),
# which every call sends in every mode: descriptions here would repeat it in each request.
RESPONSE_CONFIG = ConfigDict(extra="forbid", json_schema_extra=_untitled_fields)


class CitedClaim(BaseModel):
    """A claim, citing the numbers of the sentences that state it."""

    model_config = RESPONSE_CONFIG

    sentences: list[int] = Field(min_length=1)
    quote: str | None
    statement: str
    speaker: str | None
    actors: list[str]
    reporting_chain: list[str]
    attribution: Attribution
    claim_type: ClaimType
    event_date: str | None
    event_date_text: str | None
    date_precision: DatePrecision | None


class PublicationDateEstimate(BaseModel):
    model_config = RESPONSE_CONFIG

    date: dt.date
    sentence: int
    reasoning: str


@dataclass
class GroundingState:
    """What validation of one part accepted and dropped; lives in instructor's context."""

    article: Article
    sentences: dict[int, NumberedSentence]  # the part's sentences, by number
    scope: CallScope
    max_attempts: int
    lexicon: Lexicon = field(default_factory=active)  # with the article's people
    accepted: list[tuple[CitedClaim, list[Evidence]]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    date_evidence: Evidence | None = None


class ClaimExtraction(BaseModel):
    """The claims of one article (or part of it)."""

    model_config = RESPONSE_CONFIG

    claims: list[CitedClaim]
    publication_date: PublicationDateEstimate | None = Field(
        default=None, description="only when the article has no publication date"
    )

    @model_validator(mode="after")
    def claims_rest_on_their_sentences(self, info: ValidationInfo) -> ClaimExtraction:
        state = (info.context or {}).get("grounding")
        if not isinstance(state, GroundingState):
            return self  # validated outside an extraction (schema tests, fixtures)
        accepted, failures = [], []
        for index, claim in enumerate(self.claims):
            try:
                accepted.append((claim, supported_evidence(claim, state)))
            except GroundingFailure as failure:
                failures.append(f"claims[{index}]: {failure}")
        date_evidence = None
        if self.publication_date is not None:
            try:
                date_evidence = cited_sentences([self.publication_date.sentence], state)[0]
            except GroundingFailure as failure:
                failures.append(f"publication_date.sentence: {failure}")
        if failures and state.scope.calls < state.max_attempts:
            raise ValueError(
                "Every claim must cite the numbers of the sentences that state it, and its"
                " statement must say no more than they do: the same numbers and names, the"
                " same negation and stance, and their hedges ('reportedly', 'may') kept."
                " Fix or remove these:\n" + "\n".join(failures)
            )
        state.accepted, state.dropped, state.date_evidence = accepted, failures, date_evidence
        return self


def cited_sentences(numbers: list[int], state: GroundingState) -> list[Evidence]:
    """The raw-text evidence of the cited sentences; consecutive sentences are one quote."""
    return [item for run in _runs(numbers, state) for item in _run_evidence(run, state)]


def supported_evidence(claim: CitedClaim, state: GroundingState) -> list[Evidence]:
    """The claim's evidence, once its statement is checked against it; raises
    GroundingFailure with the reason.

    The evidence is the cited sentences, consecutive ones as one quote; a claim's
    `quote` stands instead of the sentences it lies in, and must lie in cited ones.
    """
    runs = _runs(claim.sentences, state)
    evidence: list[Evidence] = []
    if claim.quote:
        quoted = _quote_in(claim.quote, runs, state)
        if quoted is None:
            cited = ", ".join(str(n) for n in sorted(set(claim.sentences)))
            raise GroundingFailure(
                f"quote is not in the cited sentences ({cited}); copy it exactly or"
                f" set it to null: {claim.quote!r}"
            )
        evidence.append(quoted[1])
        runs = [
            part
            for run in runs
            for part in _split_run([s for s in run if s not in quoted[0]], state)
        ]
    evidence += [item for run in runs for item in _run_evidence(run, state)]
    evidence.sort(key=lambda item: item.start)
    source = " ".join(" ".join(item.quote.split()) for item in evidence)
    problem = unsupported_by(
        claim.statement,
        source,
        lexicon=state.lexicon,
        sources="the cited sentences",
        hedge_remedy="keep that hedge in the statement, or, when it qualifies other words"
        " of the sentence, set quote to the words that state the claim",
    )
    if problem:
        raise GroundingFailure(problem)
    return evidence


def _quote_in(
    quote: str, runs: list[list[NumberedSentence]], state: GroundingState
) -> tuple[list[NumberedSentence], Evidence] | None:
    """(the sentences the quote lies in, its evidence), or None when it is in none."""
    for run in runs:
        try:
            found = ground_quote(quote, state.article, within=(run[0].start, run[-1].end))
        except GroundingFailure:
            continue
        raw_start, raw_end = found.evidence.start, found.evidence.end
        covered = [
            s
            for s in run
            if any(
                e.start < raw_end and raw_start < e.end
                for e in span_evidence(state.article, s.start, s.end)
            )
        ]
        return covered, found.evidence
    return None


def _split_run(
    sentences: list[NumberedSentence], state: GroundingState
) -> list[list[NumberedSentence]]:
    return _runs([s.number for s in sentences], state) if sentences else []


def _runs(numbers: list[int], state: GroundingState) -> list[list[NumberedSentence]]:
    """The cited sentences in runs of consecutive numbers; an unknown number is an error."""
    unknown = sorted({n for n in numbers if n not in state.sentences})
    if unknown:
        shown = sorted(state.sentences)
        have = f"{shown[0]}-{shown[-1]}" if shown else "none"
        raise GroundingFailure(
            f"no sentence {unknown[0]} in the article text shown; its sentences are {have}"
        )
    runs: list[list[NumberedSentence]] = []
    for number in sorted(set(numbers)):
        sentence = state.sentences[number]
        if runs and runs[-1][-1].number == number - 1:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return runs


def _run_evidence(run: list[NumberedSentence], state: GroundingState) -> list[Evidence]:
    return span_evidence(state.article, run[0].start, run[-1].end)


def split_into_parts(
    sentences: list[NumberedSentence], max_chars: int
) -> list[list[NumberedSentence]]:
    """Runs of sentences of at most max_chars (as shown), cut where a paragraph opens
    when one does, else between sentences; a sentence longer than that is a part alone."""
    parts: list[list[NumberedSentence]] = []
    current: list[NumberedSentence] = []
    for sentence in sentences:
        size = sum(_shown_chars(s) for s in current)
        if current and size + _shown_chars(sentence) > max_chars:
            cut = max(
                (i for i, s in enumerate(current) if s.opens_paragraph and i > 0),
                default=len(current),
            )
            parts.append(current[:cut])
            current = current[cut:]
        current.append(sentence)
    if current:
        parts.append(current)
    return parts


def numbered_text(sentences: list[NumberedSentence]) -> str:
    """The sentences as the model sees them: "[n] text", one a line, paragraphs apart.

    Each sentence is one line (its line breaks are spaces), so the numbers at the start
    of lines are ours; and an article cannot close the delimiter it is wrapped in.
    """
    lines = []
    for index, sentence in enumerate(sentences):
        if sentence.opens_paragraph and index:
            lines.append("")
        lines.append(f"[{sentence.number}] {sentence.text.replace('</article>', '</ article>')}")
    return "\n".join(lines)


def _shown_chars(sentence: NumberedSentence) -> int:
    return len(sentence.text) + len(str(sentence.number)) + 4


@dataclass(frozen=True)
class PreparedArticle:
    """What an article's calls need besides the model: its parts as numbered sentences,
    notes on what was left out, and the people it names. Finding them is the extractor's
    CPU work (sentence splitting is most of it), which a worker process may do."""

    parts: list[list[NumberedSentence]]
    notes: list[str]
    people: list[Entity]


def article_parts(
    article: Article, max_part_chars: int
) -> tuple[list[list[NumberedSentence]], list[str]]:
    """The parts of an article sent as one call each, and a note when some are left out."""
    parts = split_into_parts(number_sentences(article.text), max_part_chars)
    if len(parts) <= MAX_PARTS_PER_ARTICLE:
        return parts, []
    # A scraped dump is not an article: read its lead, and say so.
    note = f"article too long: read the first {MAX_PARTS_PER_ARTICLE} of {len(parts)} parts"
    return parts[:MAX_PARTS_PER_ARTICLE], [note]


def prepare_article(article: Article, max_part_chars: int) -> PreparedArticle:
    """The article's parts and people, with the active lexicon (a worker's is the run's)."""
    parts, notes = article_parts(article, max_part_chars)
    return PreparedArticle(parts, notes, find_people(article.text, active()))


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

    def parts(self, article: Article) -> tuple[list[list[NumberedSentence]], list[str]]:
        """The parts of an article sent as one call each (numbered sentences), and a note
        when some are left out."""
        return article_parts(article, self.max_part_chars)

    @staticmethod
    def people_of(article: Article) -> Lexicon:
        """The lexicon with the article's people: "Roe" in a claim is the text's "Jane Roe"."""
        return active().with_entities(find_people(article.text, active()))

    async def extract(
        self, article: Article, prepared: PreparedArticle | None = None
    ) -> ArticleExtraction:
        """The article's claims; `prepared` is its parts and people when they were found
        elsewhere (in a worker process), else they are found here."""
        prepared = prepared or prepare_article(article, self.max_part_chars)
        parts, notes = prepared.parts, prepared.notes
        lexicon = active().with_entities(prepared.people)  # found once for all parts
        accepted: list[tuple[CitedClaim, list[Evidence]]] = []
        dropped: list[str] = []
        reasks = 0
        inferred: tuple[dt.date, Evidence] | None = None
        for number, part in enumerate(parts, start=1):
            state, response = await self.extract_part(article, part, number, len(parts), lexicon)
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
        self,
        article: Article,
        sentences: list[NumberedSentence],
        number: int,
        count: int,
        lexicon: Lexicon | None = None,
    ) -> tuple[GroundingState, ClaimExtraction]:
        """One call (and its re-asks) for one part; a batch writes its requests through it."""
        messages = self._prompt.render(
            title=article.title,
            outlet=article.outlet,
            published=article.published.isoformat() if article.published else None,
            text=numbered_text(sentences),
            part_number=number,
            part_count=count,
        )
        scope = CallScope("extract", article.article_id)
        state = GroundingState(
            article,
            {sentence.number: sentence for sentence in sentences},
            scope,
            max_attempts=self.max_reasks + 1,
            lexicon=lexicon or self.people_of(article),
        )
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
    accepted: list[tuple[CitedClaim, list[Evidence]]],
    published: dt.date | None,
) -> list[Claim]:
    """Claims with ids and resolved dates; the same statement twice (across parts) once."""
    claims: dict[str, Claim] = {}
    for draft, evidence in accepted:
        key = normalised_text(draft.statement).lower()
        if key in claims:
            continue
        when, precision, when_source = _event_date(draft, evidence, published, article)
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
    draft: CitedClaim, evidence: list[Evidence], published: dt.date | None, article: Article
) -> tuple[dt.date | None, DatePrecision | None, EventDateSource | None]:
    """The event date, read by code from the article's own words.

    The model names the words (event_date_text); they must stand in the cited sentences
    or elsewhere in the article, code must be able to read a date from them, and a date
    the model gives must agree with that reading. Otherwise the claim is left undated:
    a wrong date is worse than none.
    """
    words = draft.event_date_text
    if not words:
        return None, None, None
    wanted = normalised_text(words).lower()
    cited = " ".join(normalised_text(item.quote).lower() for item in evidence)
    if wanted not in cited and wanted not in normalised_text(article.text).lower():
        return None, None, None
    found = event_date(words, published, future=draft.attribution == "planned")
    if found is None:
        return None, None, None
    if draft.event_date is not None:
        claimed = parse_iso_date(draft.event_date)
        if claimed is None or not date_agrees(claimed, found):
            return None, None, None
    return found.date, found.precision, found.source
